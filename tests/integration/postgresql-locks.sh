#!/usr/bin/env bash
# The PostgreSQL plan's fact queries run with a lock_timeout (issue 13): a
# session holding ACCESS EXCLUSIVE on a table detect counts stalls detect
# for seconds, not for ever, and the error names that session's pid. A
# command that runs for more than a few seconds says so in the log.
. "$UPSHIFT_SRCDIR/tests/lib/common.sh"
. "$UPSHIFT_SRCDIR/tests/lib/postgresql.sh"

pg_need_root
pg_sandbox "$T_DIR/pg" || { echo "cannot set up the PostgreSQL sandbox"; exit 1; }
pg_start_free || { echo "postgresql did not start"; exit 1; }
psql_ -d postgres -c 'CREATE DATABASE bench' || { echo "cannot create the database"; exit 1; }
psql_ -d bench -c 'CREATE TABLE pgbench_accounts (aid int); INSERT INTO pgbench_accounts SELECT generate_series(1, 100)' ||
	{ echo "cannot create the table"; exit 1; }

# A session that holds ACCESS EXCLUSIVE on a stable table: psql reads its
# commands from a FIFO this test keeps open, so the transaction stays open
# until the test closes it.
mkfifo "$T_DIR/locker.in"
"$PG_BIN/psql" -X -A -t -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d bench \
	< "$T_DIR/locker.in" > "$T_DIR/locker.out" 2>&1 &
locker=$!
t_track "$locker"
exec 9> "$T_DIR/locker.in"
echo "BEGIN; LOCK TABLE pgbench_accounts IN ACCESS EXCLUSIVE MODE; SELECT 'backend ' || pg_backend_pid();" >&9
wait_for 60 grep -q '^backend ' "$T_DIR/locker.out" || { cat "$T_DIR/locker.out"; echo "the lock was not taken"; exit 1; }
backend=$(sed -n 's/^backend //p' "$T_DIR/locker.out")
check_eq "the lock is held" "$(psql_ -d bench -c "SELECT count(*) FROM pg_locks WHERE pid = $backend AND mode = 'AccessExclusiveLock' AND granted AND relation = 'pgbench_accounts'::regclass")" 1

answers=$T_DIR/answers.yaml
pg_answers "$answers"
state=$T_DIR/state
# Bounded: without a lock_timeout detect would wait as long as the lock is
# held, that is until this test ends.
T_OUT=$(timeout 120 "$UPSHIFT" run postgresql --plans-dir "$PLANS_DIR" --answers "$answers" --yes --state-dir "$state" 2>&1)
T_RC=$?
check_eq "detect fails (not the timeout of this test)" "$T_RC" 1
# The error (its command's script spans lines) ends with the headline.
check_match "the error names the pid holding the lock" "$(printf '%s\n' "$T_OUT" | sed -n '/^upshift: error:/,$p')" \
	"failed with exit status 1: error: cannot count the rows of the stable tables: a lock held by pid $backend \\(AccessExclusiveLock on public\\.pgbench_accounts\\)"
check_match "the log said the command was still running" "$(cat "$state"/log/run-1-*.log)" \
	'still running after [0-9]+s: sh -c'
check "the server was not stopped" pg_ready
check_eq "the session still holds its lock (nobody killed it)" \
	"$(psql_ -d bench -c "SELECT count(*) FROM pg_locks WHERE pid = $backend AND mode = 'AccessExclusiveLock' AND granted")" 1

echo "COMMIT;" >&9
exec 9>&-
wait_for 60 pid_gone "$locker"
pg_stop
t_done
