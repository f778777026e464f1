#!/usr/bin/env bash
# A start command that stays in the foreground (issue 13): the plan starts
# Redis with "--daemonize no". The service is ready while the command still
# runs: upshift leaves it running, detached, as the service, instead of
# waiting for it to exit and killing it. The run finishes with the new
# server up, and a rollback with the same plan finishes too.
# Then the same without a pid file written by the server nor a port: the
# plan's own ready check (redis-cli PING) tells when it is up, and upshift
# writes the pid file for it, as start-stop-daemon --make-pidfile does.
. "$UPSHIFT_SRCDIR/tests/lib/common.sh"
. "$UPSHIFT_SRCDIR/tests/lib/redis.sh"

redis_upgrade_setup
# A short service timeout bounds the test on the code before the fix,
# which waited for the command to exit until then.
redis_plan_variant \
	'start: ["${bin_dir}/redis-server", "${config}"]' \
	'start: ["${bin_dir}/redis-server", "${config}", --daemonize, "no"]' \
	'timeout: 60s' 'timeout: 30s' || { echo "cannot write the plan variant"; exit 1; }

# upshift_expect NAME RC SUBCOMMAND: run it on the sandbox, track the server
# it leaves running, check the exit code (showing the output's end if not).
upshift_expect() {
	run_upshift "$3" redis --plans-dir "$T_DIR/plans" --answers "$answers" --yes --state-dir "$state"
	t_track "$(redis_pid)"
	check_eq "$1" "$T_RC" "$2"
	[ "$T_RC" = "$2" ] || printf '%s\n' "$T_OUT" | sed 's/^/#   /' | tail -n 20
}

upshift_expect "the run exits 0" 0 run
check "the server answers after upshift exited" redis_ours_answers
check_eq "the running server is the new binary" "$(redis_running_binary_sha 2>/dev/null)" "$new_sha"
check_eq "the data is the same" "$(redis_digest 2>/dev/null)" "$digest"
pid=$(redis_pid)
check "the server is in a session of its own" test -n "$pid" -a "$(ps -o sid= -p "$pid" 2>/dev/null | tr -d ' ')" = "$pid"
check_eq "it holds nothing of upshift's open (journal, lock)" \
	"$(ls -l "/proc/$pid/fd" 2>/dev/null | grep -c "$state/[^s]")" 0
check_match "upshift says the start command stays in the foreground" "$T_OUT" \
	'stays in the foreground'

upshift_expect "the rollback exits 4 (rolled back)" 4 rollback
check "the server answers after the rollback" redis_ours_answers
check_eq "the running server is the old binary" "$(redis_running_binary_sha 2>/dev/null)" "$old_sha"

# The ready check alone: the server writes no pid file, the plan names no port.
redis_plan_variant \
	'start: ["${bin_dir}/redis-server", "${config}"]' \
	'start: ["${bin_dir}/redis-server", "${config}", --daemonize, "no", --pidfile, ""]' \
	'  port: "${port}"
  timeout: 60s' '  timeout: 30s' || { echo "cannot write the plan variant"; exit 1; }
state=$T_DIR/state-ready
upshift_expect "with the ready check only, the run exits 0" 0 run
check "the server answers after upshift exited" redis_ours_answers
check_eq "the running server is the new binary" "$(redis_running_binary_sha 2>/dev/null)" "$new_sha"
check_eq "the data is the same" "$(redis_digest 2>/dev/null)" "$digest"
check_match "upshift says the start command stays in the foreground" "$T_OUT" \
	'stays in the foreground'
check_match "the pid file upshift wrote names the server" \
	"$(readlink "/proc/$(redis_pid)/exe" 2>/dev/null)" 'redis-check-rdb'
upshift_expect "with the ready check only, the rollback exits 4 (rolled back)" 4 rollback
check_match "the rollback leaves the old server in the foreground too" "$T_OUT" \
	'stays in the foreground'
check "the server answers after the rollback" redis_ours_answers
check_eq "the running server is the old binary" "$(redis_running_binary_sha 2>/dev/null)" "$old_sha"
redis_stop
t_done
