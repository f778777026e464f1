#!/usr/bin/env bash
# After a rollback, upshift checks the process that serves, not the file
# put back (issue 13): a hot-swap plan whose reload restarts Redis from the
# swapped file makes the new binary serve; for the rollback the reload does
# nothing (as a reload that fails silently would), so the new binary still
# serves once the old file is back. The rollback must fail, say which pid
# runs the new file, and what to do; it must not report "rolled back".
. "$UPSHIFT_SRCDIR/tests/lib/common.sh"
. "$UPSHIFT_SRCDIR/tests/lib/redis.sh"

redis_upgrade_setup
check "the two packages hold different binaries" test "$old_sha" != "$new_sha"
# The reload restarts Redis only while $pidfile.restart exists.
redis_plan_variant \
	'  files:
    usr/bin/redis-check-rdb' "  hot: true
  reload:
    - shell: '[ -e \"\$pidfile.restart\" ] || exit 0; \"\$bin_dir/redis-cli\" -h 127.0.0.1 -p \"\$port\" SHUTDOWN SAVE; for i in \$(seq 1 200); do [ -e \"\$pidfile\" ] || break; sleep 0.05; done; exec \"\$bin_dir/redis-server\" \"\$config\"'
  files:
    usr/bin/redis-check-rdb" \
	'    timeout: 60s
  checks:' '    timeout: 10s
  checks:' || { echo "cannot write the plan variant"; exit 1; }

touch "$REDIS_DIR/redis.pid.restart"
run_upshift run redis --plans-dir "$T_DIR/plans" --answers "$answers" --yes --state-dir "$state"
t_track "$(redis_pid)"
check_eq "the run exits 0" "$T_RC" 0
[ "$T_RC" = 0 ] || printf '%s\n' "$T_OUT" | sed 's/^/#   /' | tail -n 20
check_eq "the new binary serves" "$(redis_running_binary_sha 2>/dev/null)" "$new_sha"
pid=$(redis_pid)

rm -f "$REDIS_DIR/redis.pid.restart"
run_upshift rollback redis --plans-dir "$T_DIR/plans" --answers "$answers" --yes --state-dir "$state"
check "the new server still runs" test "$(redis_pid)" = "$pid"
check "the rollback fails" test "$T_RC" != 0 -a "$T_RC" != 4
check_match "it names the pid and that it runs the new file" "$T_OUT" \
	"\(pid $pid\) runs $REDIS_BIN/redis-check-rdb \(deleted\): the new file, not the old one put back"
check_match "and what to do" "$T_OUT" 'restart it \(the plan.s service stop and start\)'
[ "$T_RC" != 0 ] && [ "$T_RC" != 4 ] || printf '%s\n' "$T_OUT" | sed 's/^/#   /' | tail -n 20
redis_stop
t_done
