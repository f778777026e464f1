#!/usr/bin/env bash
# Several packages in one swap (swap: packages:), on a real PostgreSQL
# minor upgrade 15.18-0+deb12u1 -> 15.20-0+deb12u1: the shipped plan swaps
# postgresql-15, postgresql-client-15 and libpq5, here each with its own
# SHA-256 answered. All three are staged at detect and swapped in one step;
# a wrong SHA-256 on any of them is refused before anything changes; a
# rollback puts the old files of all three back. (postgresql-upgrade.sh
# runs the same plan under pgbench clients, without the SHA-256s.)
. "$UPSHIFT_SRCDIR/tests/lib/common.sh"
. "$UPSHIFT_SRCDIR/tests/lib/postgresql.sh"

pg_need_root
pg_sandbox "$T_DIR/pg" || { echo "cannot set up the PostgreSQL sandbox"; exit 1; }
client_new=$PG_NEW_CLIENT_DEB
libpq_new=$PG_NEW_LIBPQ_DEB
pg_start_free || { echo "postgresql did not start"; exit 1; }
t_track "$(pg_pid)"
psql_ -d postgres -c 'CREATE DATABASE bench' || { echo "cannot create the database"; exit 1; }
"$PG_BIN/pgbench" -h 127.0.0.1 -p "$PG_PORT" -U postgres -i -s 1 -q bench > "$T_DIR/pgbench-init.log" 2>&1 ||
	{ tail -n 20 "$T_DIR/pgbench-init.log"; echo "pgbench -i failed"; exit 1; }
re() { printf '%s' "$1" | sed 's/[][\\.*^$+?(){}|]/\\&/g'; }

# One file of each package, old and new.
libpq=usr/lib/x86_64-linux-gnu/libpq.so.5.15
while read -r pkg f; do
	cp -a "$PG_ROOT/$f" "$T_DIR/old.$(basename "$f")"
	check "$f differs between 15.18 and 15.20" sh -c "! cmp -s '$PG_ROOT/$f' '$(pg_new_file "$pkg" "$f")'"
done <<<"$PG_SWAPPED_FILES"

sum() { sha256sum "$1" | cut -d' ' -f1; }
answers=$T_DIR/answers.yaml
pg_answers "$answers"
cat >> "$answers" <<ANS
package_sha256: $(sum "$PG_NEW_DEB")
package_client_sha256: $(sum "$client_new")
package_libpq_sha256: $(sum "$libpq_new")
ANS
state=$T_DIR/state

run_upshift plan postgresql --plans-dir "$PLANS_DIR" --answers "$answers"
check_eq "upshift plan exits 0" "$T_RC" 0
check_match "plan: detect stages the libpq5 package" "$T_OUT" "stage the package $(re "$libpq_new"), SHA-256"
check_match "plan: swap puts libpq in place" "$T_OUT" "$(re "$PG_ROOT/$libpq") <- $(re "$libpq")"

# A wrong SHA-256 for one of the three: refused before anything changes.
sed "s|^package_libpq_sha256:.*|package_libpq_sha256: $(sum "$client_new")|" "$answers" > "$T_DIR/bad.yaml"
run_upshift run postgresql --plans-dir "$PLANS_DIR" --answers "$T_DIR/bad.yaml" --yes --state-dir "$T_DIR/bad-state"
check_eq "a wrong libpq5 SHA-256 is refused (exit 2)" "$T_RC" 2
check_match "the refusal names the libpq5 package" "$T_OUT" "package \"$(re "$libpq_new")\": SHA-256 is"
check "no state directory was made" test ! -e "$T_DIR/bad-state"

run_upshift run postgresql --plans-dir "$PLANS_DIR" --answers "$answers" --yes --state-dir "$state"
echo "$T_OUT" > "$T_DIR/run.out"
check_eq "upshift run exits 0" "$T_RC" 0
[ "$T_RC" = 0 ] || sed 's/^/#   /' "$T_DIR/run.out" | tail -n 40
t_track "$(pg_pid)"
while read -r n deb; do
	check_match "detect staged $n file(s) from $(basename "$deb")" "$(cat "$T_DIR/run.out")" \
		"staging $n file\\(s\\) from package $(re "$deb")"
done <<STAGED
17 $PG_NEW_DEB
18 $client_new
1 $libpq_new
STAGED
check "the journal has the SHA-256 of each of the three packages" grep -Eq \
	"key: packages.sha256, value: \"?postgresql-15 $(sum "$PG_NEW_DEB"), postgresql-client-15 $(sum "$client_new"), libpq5 $(sum "$libpq_new")\"?}" \
	"$state/journal"
check_match "SELECT version() says 15.20" "$(psql_ -d postgres -c 'SELECT version()')" '^PostgreSQL 15\.20 '
while read -r pkg f; do
	check "after the upgrade $f ($pkg) is 15.20's" cmp -s "$PG_ROOT/$f" "$(pg_new_file "$pkg" "$f")"
done <<<"$PG_SWAPPED_FILES"

run_upshift rollback postgresql --plans-dir "$PLANS_DIR" --answers "$answers" --yes --state-dir "$state"
check_eq "the rollback exits 4 (rolled back)" "$T_RC" 4
[ "$T_RC" = 4 ] || echo "$T_OUT" | sed 's/^/#   /' | tail -n 40
t_track "$(pg_pid)"
check_match "SELECT version() says 15.18 again" "$(psql_ -d postgres -c 'SELECT version()')" '^PostgreSQL 15\.18 '
while read -r pkg f; do
	check "after the rollback $f ($pkg) is 15.18's again" cmp -s "$PG_ROOT/$f" "$T_DIR/old.$(basename "$f")"
done <<<"$PG_SWAPPED_FILES"

pg_stop
t_done
