#!/usr/bin/env bash
# Several packages in one swap (swap: packages:), on a real PostgreSQL
# minor upgrade 15.18-0+deb12u1 -> 15.20-0+deb12u1: the shipped plan with
# its swap: section replaced by three packages (postgresql-15,
# postgresql-client-15, libpq5), each with its own answer and SHA-256. All
# three are staged at detect and swapped in one step; a wrong SHA-256 on any
# of them is refused before anything changes; a rollback puts the old files
# of all three back.
. "$UPSHIFT_SRCDIR/tests/lib/common.sh"
. "$UPSHIFT_SRCDIR/tests/lib/postgresql.sh"

pg_need_root
pg_sandbox "$T_DIR/pg" || { echo "cannot set up the PostgreSQL sandbox"; exit 1; }
client_new=$(fetch_deb postgresql-client-15 "$PG_NEW_VERSION") || exit 1
libpq_old=$(fetch_deb libpq5 "$PG_OLD_VERSION") || exit 1
libpq_new=$(fetch_deb libpq5 "$PG_NEW_VERSION") || exit 1
dpkg-deb -x "$libpq_old" "$PG_ROOT" || exit 1
mkdir -p "$T_DIR/new-client" "$T_DIR/new-libpq"
dpkg-deb -x "$client_new" "$T_DIR/new-client" || exit 1
dpkg-deb -x "$libpq_new" "$T_DIR/new-libpq" || exit 1
pg_start_free || { echo "postgresql did not start"; exit 1; }
t_track "$(pg_pid)"
psql_ -d postgres -c 'CREATE DATABASE bench' || { echo "cannot create the database"; exit 1; }
"$PG_BIN/pgbench" -h 127.0.0.1 -p "$PG_PORT" -U postgres -i -s 1 -q bench > "$T_DIR/pgbench-init.log" 2>&1 ||
	{ tail -n 20 "$T_DIR/pgbench-init.log"; echo "pgbench -i failed"; exit 1; }
re() { printf '%s' "$1" | sed 's/[][\\.*^$+?(){}|]/\\&/g'; }

# One file of each package, old and new.
server=usr/lib/postgresql/15/bin/postgres
client=usr/lib/postgresql/15/bin/psql
libpq=usr/lib/x86_64-linux-gnu/libpq.so.5.15
new_of() { # FILE: the new package's copy of FILE
	case $1 in
	"$server") echo "$T_DIR/pg/new/$1" ;;
	"$client") echo "$T_DIR/new-client/$1" ;;
	*) echo "$T_DIR/new-libpq/$1" ;;
	esac
}
for f in "$server" "$client" "$libpq"; do
	cp -a "$PG_ROOT/$f" "$T_DIR/old.$(basename "$f")"
	check "$f differs between 15.18 and 15.20" sh -c "! cmp -s '$PG_ROOT/$f' '$(new_of "$f")'"
done

# The plan: the shipped one, its swap: section replaced.
mkdir -p "$T_DIR/plans"
awk '
	/^swap:/ { skip = 1; print "swap:\n  packages:\n" \
		"    postgresql-15:\n      package: \"${package}\"\n      sha256: \"${package_sha256}\"\n" \
		"      files:\n        usr/lib/postgresql/15/: \"${pg_root}/usr/lib/postgresql/15/\"\n" \
		"        usr/share/postgresql/15/: \"${pg_root}/usr/share/postgresql/15/\"\n" \
		"    postgresql-client-15:\n      package: \"${package_client}\"\n      sha256: \"${package_client_sha256}\"\n" \
		"      files:\n        usr/lib/postgresql/15/bin/psql: \"${pg_root}/usr/lib/postgresql/15/bin/psql\"\n" \
		"        usr/lib/postgresql/15/bin/vacuumdb: \"${pg_root}/usr/lib/postgresql/15/bin/vacuumdb\"\n" \
		"    libpq5:\n      package: \"${package_libpq}\"\n      sha256: \"${package_libpq_sha256}\"\n" \
		"      files:\n        usr/lib/x86_64-linux-gnu/libpq.so.5.15: \"${pg_root}/usr/lib/x86_64-linux-gnu/libpq.so.5.15\"\n"; next }
	skip && /^[a-z]/ { skip = 0 }
	skip { next }
	/^ask:/ { print; print "  - key: package_client\n    text: New postgresql-client-15 package (.deb)\n    type: file" \
		"\n  - key: package_client_sha256\n    text: Its SHA-256\n    type: sha256" \
		"\n  - key: package_libpq\n    text: New libpq5 package (.deb)\n    type: file" \
		"\n  - key: package_libpq_sha256\n    text: Its SHA-256\n    type: sha256"; next }
	{ print }
' "$PLANS_DIR/postgresql.yaml" > "$T_DIR/plans/postgresql.yaml"
chmod 0644 "$T_DIR/plans/postgresql.yaml"

sum() { sha256sum "$1" | cut -d' ' -f1; }
answers=$T_DIR/answers.yaml
pg_answers "$answers"
cat >> "$answers" <<ANS
package_sha256: $(sum "$PG_NEW_DEB")
package_client: $client_new
package_client_sha256: $(sum "$client_new")
package_libpq: $libpq_new
package_libpq_sha256: $(sum "$libpq_new")
ANS
state=$T_DIR/state

run_upshift plan postgresql --plans-dir "$T_DIR/plans" --answers "$answers"
check_eq "upshift plan exits 0" "$T_RC" 0
check_match "plan: detect stages the libpq5 package" "$T_OUT" "stage the package $(re "$libpq_new"), SHA-256"
check_match "plan: swap puts libpq in place" "$T_OUT" "$(re "$PG_ROOT/$libpq") <- $(re "$libpq")"

# A wrong SHA-256 for one of the three: refused before anything changes.
sed "s|^package_libpq_sha256:.*|package_libpq_sha256: $(sum "$client_new")|" "$answers" > "$T_DIR/bad.yaml"
run_upshift run postgresql --plans-dir "$T_DIR/plans" --answers "$T_DIR/bad.yaml" --yes --state-dir "$T_DIR/bad-state"
check_eq "a wrong libpq5 SHA-256 is refused (exit 2)" "$T_RC" 2
check_match "the refusal names the libpq5 package" "$T_OUT" "package \"$(re "$libpq_new")\": SHA-256 is"
check "no state directory was made" test ! -e "$T_DIR/bad-state"

run_upshift run postgresql --plans-dir "$T_DIR/plans" --answers "$answers" --yes --state-dir "$state"
echo "$T_OUT" > "$T_DIR/run.out"
check_eq "upshift run exits 0" "$T_RC" 0
[ "$T_RC" = 0 ] || sed 's/^/#   /' "$T_DIR/run.out" | tail -n 40
t_track "$(pg_pid)"
check_match "detect staged the three packages" "$(cat "$T_DIR/run.out")" \
	"staging 1 file\\(s\\) from package $(re "$libpq_new")"
check_match "SELECT version() says 15.20" "$(psql_ -d postgres -c 'SELECT version()')" '^PostgreSQL 15\.20 '
for f in "$server" "$client" "$libpq"; do
	check "after the upgrade $f is 15.20's" cmp -s "$PG_ROOT/$f" "$(new_of "$f")"
done

run_upshift rollback postgresql --plans-dir "$T_DIR/plans" --answers "$answers" --yes --state-dir "$state"
check_eq "the rollback exits 4 (rolled back)" "$T_RC" 4
[ "$T_RC" = 4 ] || echo "$T_OUT" | sed 's/^/#   /' | tail -n 40
t_track "$(pg_pid)"
check_match "SELECT version() says 15.18 again" "$(psql_ -d postgres -c 'SELECT version()')" '^PostgreSQL 15\.18 '
for f in "$server" "$client" "$libpq"; do
	check "after the rollback $f is 15.18's again" cmp -s "$PG_ROOT/$f" "$T_DIR/old.$(basename "$f")"
done

pg_stop
t_done
