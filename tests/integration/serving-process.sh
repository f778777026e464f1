#!/usr/bin/env bash
# Verify and rollback check the process that serves, not the file on disk
# (issue 13): a plan whose stop leaves Redis running and whose verify starts
# nothing swaps the binary under the old process. Its /proc/PID/exe then
# names the replaced file "(deleted)": verify must fail and say so. The
# rollback that follows restarts the old binary and checks the process too.
. "$UPSHIFT_SRCDIR/tests/lib/common.sh"
. "$UPSHIFT_SRCDIR/tests/lib/redis.sh"

redis_upgrade_setup
check "the two packages hold different binaries" test "$old_sha" != "$new_sha"
redis_plan_variant \
	'manager: "${service_manager}"' 'manager: none' \
	'stop:
  confirm:' 'stop:
  run: [["true"]]
  confirm:' || { echo "cannot write the plan variant"; exit 1; }
pid_before=$(redis_pid)

run_upshift run redis --plans-dir "$T_DIR/plans" --answers "$answers" --yes --state-dir "$state"
printf '%s\n' "$T_OUT" > "$T_DIR/run.out"
check "the old server kept running through the swap" test "$(redis_pid)" = "$pid_before"
check_match "its executable is the replaced file" "$(readlink "/proc/$pid_before/exe")" ' \(deleted\)$'
check "the run fails in verify" test "$T_RC" != 0
check_match "verify says the serving process runs the old file" "$T_OUT" \
	"\(pid $pid_before\) runs $REDIS_BIN/redis-check-rdb \(deleted\): the old file"
check_match "and what to do" "$T_OUT" 'restart it'
[ "$T_RC" != 0 ] || sed 's/^/#   /' "$T_DIR/run.out" | tail -n 20

# The rollback: verify's undo stops the old process, stop's undo starts the
# restored old binary; the process serving then runs it.
run_upshift rollback redis --plans-dir "$T_DIR/plans" --answers "$answers" --yes --state-dir "$state"
printf '%s\n' "$T_OUT" > "$T_DIR/rollback.out"
check_eq "the rollback exits 4 (rolled back)" "$T_RC" 4
[ "$T_RC" = 4 ] || sed "s/^/#   /" "$T_DIR/rollback.out" | tail -n 20
t_track "$(redis_pid)"
check_eq "the running server is the old binary" "$(redis_running_binary_sha 2>/dev/null)" "$old_sha"
check_match "the rollback checked the serving process" "$T_OUT" \
	"\(pid $(redis_pid)\) runs $REDIS_BIN/redis-check-rdb: the old file"
redis_stop
t_done
