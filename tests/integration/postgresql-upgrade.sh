#!/usr/bin/env bash
# A real PostgreSQL minor upgrade in scripted mode: postgresql-15,
# postgresql-client-15 and libpq5 15.18-0+deb12u1 -> 15.20-0+deb12u1,
# swapped in one step by the shipped plan, run as an unprivileged user, with
# a pgbench database and pgbench clients writing while the upgrade runs.
# Asserts on PostgreSQL's own data: the rows pgbench reported committed are
# all there, TPC-B's balances still add up, the running server says 15.20;
# a file of each package is 15.20's after the upgrade and 15.18's after the
# rollback.
. "$UPSHIFT_SRCDIR/tests/lib/common.sh"
. "$UPSHIFT_SRCDIR/tests/lib/postgresql.sh"

pg_need_root
pg_sandbox "$T_DIR/pg" || { echo "cannot set up the PostgreSQL sandbox"; exit 1; }
pg_start_free || { echo "postgresql did not start"; exit 1; }
port=$PG_PORT

psql_ -d postgres -c 'CREATE DATABASE bench' || { echo "cannot create the database"; exit 1; }
"$PG_BIN/pgbench" -h 127.0.0.1 -p "$port" -U postgres -i -s 3 -q bench > "$T_DIR/pgbench-init.log" 2>&1 ||
	{ tail -n 20 "$T_DIR/pgbench-init.log"; echo "pgbench -i failed"; exit 1; }

check_match "the old server says 15.18" "$(psql_ -d bench -c 'SELECT version()')" '^PostgreSQL 15\.18 '
new_postgres=$T_DIR/pg/new/usr/lib/postgresql/15/bin/postgres
check "the two packages hold different servers" sh -c "! cmp -s '$PG_BIN/postgres' '$new_postgres'"
counts() {
	psql_ -d bench -c "SELECT (SELECT count(*) FROM pgbench_accounts) || ' ' ||
		(SELECT count(*) FROM pgbench_branches) || ' ' || (SELECT count(*) FROM pgbench_tellers)"
}
counts_before=$(counts)
# One file of each of the three packages: its old copy kept, to compare.
while read -r pkg f; do
	cp -a "$PG_ROOT/$f" "$T_DIR/old.$(basename "$f")"
	check "$pkg: $f differs between 15.18 and 15.20" \
		sh -c "! cmp -s '$PG_ROOT/$f' '$(pg_new_file "$pkg" "$f")'"
done <<<"$PG_SWAPPED_FILES"
check_eq "300,000 accounts, 3 branches, 30 tellers before" "$counts_before" "300000 3 30"
databases_before=$(psql_ -d postgres -c 'SELECT datname FROM pg_database ORDER BY 1')

# pgbench clients writing during the upgrade (time-bounded by -T; the
# upgrade must disconnect them long before).
"$PG_BIN/pgbench" -h 127.0.0.1 -p "$port" -U postgres -n -c 4 -j 2 -T 240 bench \
	> "$T_DIR/pgbench.out" 2> "$T_DIR/pgbench.err" &
pgbench=$!
t_track "$pgbench"
clients() {
	psql_ -d postgres -c "SELECT count(*) FROM pg_stat_activity
		WHERE application_name = 'pgbench' AND backend_type = 'client backend'"
}
history() {
	psql_ -d bench -c 'SELECT count(*) FROM pgbench_history'
}
wait_for 30 sh -c "[ \"\$(PGCONNECT_TIMEOUT=5 '$PG_BIN/psql' -XAtq -h 127.0.0.1 -p $port -U postgres -d bench -c 'SELECT count(*) FROM pgbench_history')\" -gt 100 ]"
check_eq "4 pgbench clients are connected" "$(clients)" 4
history_before=$(history)
check "pgbench is committing transactions" test "${history_before:-0}" -gt 100

answers=$T_DIR/answers.yaml
pg_answers "$answers"
state=$T_DIR/state

# upshift plan shows every command resolved from the answers.
run_upshift plan postgresql --plans-dir "$PLANS_DIR" --answers "$answers"
check_eq "upshift plan exits 0" "$T_RC" 0
check_match "plan: detect runs the sandbox's postgres --version" "$T_OUT" \
	"version: \\$ $PG_BIN/postgres --version"
check_match "plan: stop is pg_ctl stop -m fast as $PG_OS_USER" "$T_OUT" \
	"runuser -u $PG_OS_USER -- $PG_BIN/pg_ctl stop -w -t 120 -D $PG_DATA -m fast"
check_match "plan: the start command names the log file" "$T_OUT" \
	"pg_ctl start -w -t 120 -D $PG_DATA -l $PG_LOG"
check_match "plan: the cold backup archives the data directory while it runs, then what changed" \
	"$T_OUT" "while the service runs; once it has stopped, what changed since"
check_match "plan: the backup lists the data directory" "$T_OUT" "^ +$PG_DATA\$"
check_match "plan: the server binary is swapped in the sandbox" "$T_OUT" \
	"$PG_BIN/postgres <- usr/lib/postgresql/15/bin/postgres"
check_match "plan: share/ is swapped in the sandbox" "$T_OUT" \
	"$PG_ROOT/usr/share/postgresql/15/postgres.bki <- usr/share/postgresql/15/postgres.bki"
check_match "plan: psql (postgresql-client-15) is swapped in the sandbox" "$T_OUT" \
	"$PG_BIN/psql <- usr/lib/postgresql/15/bin/psql"
check_match "plan: libpq (libpq5) is swapped in the sandbox" "$T_OUT" \
	"$PG_ROOT/usr/lib/x86_64-linux-gnu/libpq.so.5.15 <- usr/lib/x86_64-linux-gnu/libpq.so.5.15"
check_match "plan: detect stages the client package" "$T_OUT" "stage the package ${PG_NEW_CLIENT_DEB//+/\\+}"
check_match "plan: detect stages the libpq5 package" "$T_OUT" "stage the package ${PG_NEW_LIBPQ_DEB//+/\\+}"
check_match "plan: clients are listed from pg_stat_activity" "$T_OUT" \
	"clients: .*-p $port -U postgres -d bench .*pg_stat_activity"
check_match "plan: verify waits for pg_isready" "$T_OUT" \
	"ready: \\$ $PG_BIN/pg_isready -h 127.0.0.1 -p $port"
check_match "plan: verify checks SELECT version() for 15.20" "$T_OUT" 'must match /\^PostgreSQL 15\.20 /'
check_match "plan: verify compares the row counts" "$T_OUT" 'row_counts is the same'
# The online migration is listed under verify, after the readiness check.
ready_line=$(printf '%s\n' "$T_OUT" | grep -n -m1 'ready: \$ .*pg_isready' | cut -d: -f1)
online_line=$(printf '%s\n' "$T_OUT" | grep -n -m1 'online migration 1, the service running' | cut -d: -f1)
check_eq "plan: vacuumdb --analyze-in-stages is the online migration's command" \
	"$(printf '%s\n' "$T_OUT" | sed -n "$((${online_line:-0} + 1))p" | sed 's/^ *//')" \
	"\$ runuser -u $PG_OS_USER -- $PG_BIN/vacuumdb -h 127.0.0.1 -p $port -U postgres --all --analyze-in-stages"
check "plan: the online migration comes after verify's readiness check" \
	test "${online_line:-0}" -gt "${ready_line:-999999}"

# upshift answers gives a template that loads once filled.
run_upshift answers postgresql --plans-dir "$PLANS_DIR"
check_eq "upshift answers exits 0" "$T_RC" 0
printf '%s\n' "$T_OUT" > "$T_DIR/template.yaml"
check_match "the template asks for the package" "$T_OUT" '^package:'
check_match "the template asks for the client package" "$T_OUT" '^package_client:'
check_match "the template asks for the libpq5 package" "$T_OUT" '^package_libpq:'
check_match "the template gives the default data directory" "$T_OUT" '^data_dir: /var/lib/postgresql/15/main$'
sed -e "s|^package:.*|package: $PG_NEW_DEB|" \
    -e "s|^package_client:.*|package_client: $PG_NEW_CLIENT_DEB|" \
    -e "s|^package_libpq:.*|package_libpq: $PG_NEW_LIBPQ_DEB|" \
    -e "s|^pg_root:.*|pg_root: $PG_ROOT|" \
    -e "s|^port:.*|port: 6543|" \
    -e "s|^database:.*|database: appdb|" \
    "$T_DIR/template.yaml" > "$T_DIR/filled.yaml"
run_upshift plan postgresql --plans-dir "$PLANS_DIR" --answers "$T_DIR/filled.yaml"
check_eq "the filled template loads (upshift plan exits 0)" "$T_RC" 0
check_match "the filled template's answers are used" "$T_OUT" \
	"$PG_BIN/pg_isready -h /var/run/postgresql -p 6543"
check_match "the filled template keeps the default service" "$T_OUT" 'manager systemd, postgresql@15-main'
run_upshift plan postgresql --plans-dir "$PLANS_DIR" --answers "$T_DIR/template.yaml"
check_eq "the unfilled template is refused (exit 2)" "$T_RC" 2

# The upgrade, with pgbench writing.
run_upshift run postgresql --plans-dir "$PLANS_DIR" --answers "$answers" --yes --state-dir "$state"
echo "$T_OUT" > "$T_DIR/run.out"
check_eq "upshift run exits 0" "$T_RC" 0
[ "$T_RC" = 0 ] || sed 's/^/#   /' "$T_DIR/run.out" | tail -n 40
t_track "$(pg_pid)"

# pgbench was disconnected, with an error, and reported what it committed.
wait_for 30 sh -c "! kill -0 $pgbench 2>/dev/null"
wait "$pgbench"
pgbench_rc=$?
check "pgbench exited" sh -c "! kill -0 $pgbench 2>/dev/null"
check_eq "pgbench exited with status 2 (aborted)" "$pgbench_rc" 2
check_match "pgbench's clients lost their connection" "$(cat "$T_DIR/pgbench.err")" \
	'terminating connection due to administrator command|server closed the connection'
committed=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$T_DIR/pgbench.out")
check_match "pgbench reports the transactions it committed" "$committed" '^[0-9]+$'
check_match "upshift saw the pgbench clients" "$(cat "$T_DIR/run.out")" '[4] clients connected'
# The server's own log: the four clients were terminated (disconnect's
# pg_terminate_backend) before the fast shutdown (stop's pg_ctl -m fast).
before_stop=$(sed '/received fast shutdown request/q' "$PG_LOG")
check_eq "server log: 4 clients terminated before the shutdown" \
	"$(printf '%s\n' "$before_stop" | grep -c 'FATAL:  terminating connection due to administrator command')" 4
check_match "server log: the old server got a fast shutdown" "$(tail -n 1 <<<"$before_stop")" \
	'received fast shutdown request'
check_match "server log: then 15.20 started" "$(sed -n '/received fast shutdown request/,$p' "$PG_LOG")" \
	'starting PostgreSQL 15\.20 '

# The new server runs, on the same data.
check "postgresql answers after the upgrade" pg_ready
check_match "SELECT version() says 15.20" "$(psql_ -d bench -c 'SELECT version()')" \
	'^PostgreSQL 15\.20 \(Debian 15\.20-0\+deb12u1\)'
check "the postgres binary is the 15.20 package's" cmp -s "$PG_BIN/postgres" "$new_postgres"
check_eq "the running postmaster is the new binary" \
	"$(sha256sum "/proc/$(pg_pid)/exe" 2>/dev/null | cut -d' ' -f1)" \
	"$(sha256sum "$new_postgres" | cut -d' ' -f1)"
# Every file of the new server package below usr/lib/postgresql/15 and
# usr/share/postgresql/15 is in place, byte for byte (its programs mapped by
# name, lib/ and share/ as directories); links stay links.
(cd "$T_DIR/pg/new" && find usr/lib/postgresql/15 usr/share/postgresql/15 -type f -print0 |
	xargs -0 sha256sum) > "$T_DIR/new.sha256"
files=$(wc -l < "$T_DIR/new.sha256")
differ=$(cd "$PG_ROOT" && sha256sum -c --quiet "$T_DIR/new.sha256" 2>&1 | tee "$T_DIR/differ.txt" | wc -l)
[ "$differ" = 0 ] || sed 's/^/#   /' "$T_DIR/differ.txt" | head -n 10
check_eq "bin/postmaster is still a link to postgres" "$(readlink "$PG_BIN/postmaster")" postgres
check "more than 1,000 files in the package's two directories" test "$files" -gt 1000
check_eq "every one of them is in place, as in the package" "$differ" 0
# The client package's programs and libpq5's library: 15.20's too.
while read -r pkg f; do
	check "after the upgrade $f ($pkg) is 15.20's" cmp -s "$PG_ROOT/$f" "$(pg_new_file "$pkg" "$f")"
done <<<"$PG_SWAPPED_FILES"
for b in "$T_DIR/pg/new-client/usr/lib/postgresql/15/bin/"*; do
	cmp -s "$b" "$PG_BIN/$(basename "$b")" || echo "$b"
done > "$T_DIR/client-differ.txt"
check_eq "every program of postgresql-client-15 is 15.20's" "$(cat "$T_DIR/client-differ.txt")" ""
pkgs='postgresql-15, postgresql-client-15, libpq5 15\.20-0\+deb12u1'
check_match "the report names the three packages and their version" "$(cat "$T_DIR/run.out")" \
	"upgraded: 15\\.18 -> 15\\.20 \\(packages $pkgs\\)"
check "the journal names the three packages and their version" \
	grep -Eq "key: packages, value: \"?$pkgs\"?}" "$state/journal"
check_eq "the same databases after" "$(psql_ -d postgres -c 'SELECT datname FROM pg_database ORDER BY 1')" \
	"$databases_before"
check_eq "the same accounts, branches and tellers after" "$(counts)" "$counts_before"
history_after=$(history)
check "no history row seen before the upgrade is lost" test "${history_after:-0}" -ge "$history_before"
check "every transaction pgbench committed is there" test "${history_after:-0}" -ge "${committed:-999999999}"
# TPC-B: each transaction adds the same delta to an account, a teller, a
# branch and a history row, so the four sums agree unless a committed
# transaction was lost in part.
sums=$(psql_ -d bench -c "SELECT (SELECT sum(abalance) FROM pgbench_accounts) || ' ' ||
	(SELECT sum(tbalance) FROM pgbench_tellers) || ' ' || (SELECT sum(bbalance) FROM pgbench_branches) || ' ' ||
	(SELECT coalesce(sum(delta), 0) FROM pgbench_history)")
check_match "the balances add up to the history's deltas" "$sums" '^(-?[0-9]+) \1 \1 \1$'
check "the server still accepts writes" psql_ -d bench -c 'INSERT INTO pgbench_history VALUES (1, 1, 1, 0, now())'

# The backup: a cold archive of the data directory in two parts, verified:
# taken while the server ran, then what changed until it stopped (the
# shutdown checkpoint rewrote pg_control).
backup=$(ls "$PG_DIR"/backups/postgresql-*.tar.zst 2>/dev/null | grep -v -- '-changed\.' | head -n 1)
delta=$(ls "$PG_DIR"/backups/postgresql-*-changed.tar.zst 2>/dev/null | head -n 1)
check "a backup archive was written" test -f "$backup"
check_match "it holds the data directory" "$(tar -tf "$backup" 2>&1)" "^${PG_DATA#/}/PG_VERSION$"
check "the journal says the backup was verified" grep -q 'key: backup.verified, value: "yes"' "$state/journal"
check_match "what changed until the stop holds pg_control" "$(tar -tf "$delta" 2>&1)" \
	"^${PG_DATA#/}/global/pg_control$"
check "the journal says it was verified" grep -q 'key: backup.delta.verified, value: "yes"' "$state/journal"

for s in detect backup disconnect stop swap migrate verify reconnect; do
	check "journal: $s done" grep -q "ev: step_done, step: $s[,}]" "$state/journal"
done

# The online migration: vacuumdb ran in verify, after the new server was
# ready (verify.ready_at journaled first), and its ANALYZE is newer than
# that; the downtime reported is stop.at to verify.ready_at, without it.
jline() {
	grep -n -m1 "$1" "$state/journal" | cut -d: -f1
}
check "journal: the migrate step ran no migration" \
	test "$(sed -n "$(jline 'ev: step_start, step: migrate'),$(jline 'ev: step_done, step: migrate')p" \
		"$state/journal" | grep -c 'migrate\.started')" = 0
check "journal: verify started before verify.ready_at" test "$(jline 'ev: step_start, step: verify')" -lt "$(jline 'key: verify.ready_at')"
check "journal: verify.ready_at before the online migration started" \
	test "$(jline 'key: verify.ready_at')" -lt "$(jline 'key: migrate.started.0')"
check "journal: the online migration done before verify was done" \
	test "$(jline 'key: migrate.done.0')" -lt "$(jline 'ev: step_done, step: verify')"
stop_at=$(sed -n 's/.*key: stop.at, value: "\{0,1\}\([0-9]*\)"\{0,1\}}.*/\1/p' "$state/journal" | head -n 1)
ready_at=$(sed -n 's/.*key: verify.ready_at, value: "\{0,1\}\([0-9]*\)"\{0,1\}}.*/\1/p' "$state/journal" | head -n 1)
analyzed_ms=$(psql_ -d bench -c "SELECT (extract(epoch FROM last_analyze) * 1000)::bigint
	FROM pg_stat_user_tables WHERE relname = 'pgbench_accounts'")
check "pgbench_accounts was analyzed after the new server was ready" \
	test "${analyzed_ms:-0}" -ge "${ready_at:-999999999999999}"
check_match "vacuumdb's stages are in the run's output" "$(cat "$T_DIR/run.out")" \
	'Generating default \(full\) optimizer statistics'
down_ms=$(( ${ready_at:-0} - ${stop_at:-0} ))
if [ "$down_ms" -lt 10000 ]; then
	down=$(awk -v ms="$down_ms" 'BEGIN { printf "%.1fs", ms / 1000 }')
elif [ "$down_ms" -lt 60000 ]; then
	down=$((down_ms / 1000))s
else
	down=$(printf '%dm%02ds' $((down_ms / 60000)) $((down_ms / 1000 % 60)))
fi
check_match "the downtime reported is stop to ready ($down), not the online migration" \
	"$(cat "$T_DIR/run.out")" "downtime: $down \\(from stop to ready[;)]"
run_upshift status postgresql --plans-dir "$PLANS_DIR" --state-dir "$state"
check_match "upshift status says it finished" "$T_OUT" 'finished: nothing left to do'
check_match "upshift status names the three packages and their version" "$T_OUT" "^  packages $pkgs\$"

# A second run has nothing left to do and leaves the server alone.
pid_before=$(pg_pid)
run_upshift run postgresql --plans-dir "$PLANS_DIR" --answers "$answers" --yes --state-dir "$state"
check_eq "a second run exits 0" "$T_RC" 0
check_match "a second run says there is nothing left to do" "$T_OUT" 'nothing left to do'
check_eq "a second run leaves the server alone" "$(pg_pid)" "$pid_before"

# A rollback restores the data directory from the two parts of the cold
# backup: 15.18 serves again, on the data as it was at the stop (every
# transaction pgbench committed, the balances adding up), and the row
# written after the upgrade is gone.
run_upshift rollback postgresql --plans-dir "$PLANS_DIR" --answers "$answers" --yes --state-dir "$state"
check_eq "the rollback exits 4 (rolled back)" "$T_RC" 4
t_track "$(pg_pid)"
check_match "the rollback checked and restored both parts" "$T_OUT" \
	"checking .*-changed\.tar\.zst, what changed before the stop"
check_match "SELECT version() says 15.18 again" "$(psql_ -d bench -c 'SELECT version()')" \
	'^PostgreSQL 15\.18 '
while read -r pkg f; do
	check "after the rollback $f ($pkg) is 15.18's again" cmp -s "$PG_ROOT/$f" "$T_DIR/old.$(basename "$f")"
done <<<"$PG_SWAPPED_FILES"
check_eq "the history is as it was at the stop" "$(history)" "$history_after"
sums=$(psql_ -d bench -c "SELECT (SELECT sum(abalance) FROM pgbench_accounts) || ' ' ||
	(SELECT sum(tbalance) FROM pgbench_tellers) || ' ' || (SELECT sum(bbalance) FROM pgbench_branches) || ' ' ||
	(SELECT coalesce(sum(delta), 0) FROM pgbench_history)")
check_match "the restored balances add up to the history's deltas" "$sums" '^(-?[0-9]+) \1 \1 \1$'

pg_stop
t_done
