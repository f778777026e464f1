#!/usr/bin/env bash
# A destructive step refused at its confirmation: the run stops there (the
# end screen, not a failure), the service keeps running the old binary with
# its data, and the end screen says how to resume.
. "$UPSHIFT_SRCDIR/tests/lib/common.sh"
. "$UPSHIFT_SRCDIR/tests/lib/redis.sh"
. "$UPSHIFT_SRCDIR/tests/lib/tui.sh"

redis_upgrade_setup
pid_before=$(redis_pid)
# A client that stays connected: disconnect would kill it (CLIENT KILL TYPE
# pubsub), so it must still be there after the "No".
subscribed() { rcli CLIENT LIST 2>/dev/null | grep -q 'cmd=subscribe'; }
rcli SUBSCRIBE upshift-refuse-stop >/dev/null 2>&1 &
sub=$!
t_track "$sub"
wait_for 20 subscribed || { echo "the subscriber did not connect"; exit 1; }

tui_start_redis 120 40 run
tui_through_review
check_screen "the stop asks for confirmation" "Yes: Stop the service" 60
screen=$(tui_screen)
check_match "the refusal is the choice in focus" "$screen" "▸ No: stop here"
check "it is asked before disconnect turned anyone away" subscribed
tui_keys Enter              # No: stop here
check_screen "the run stops there: the end screen" "Stopped" 30
check_screen "it says the step was not confirmed" "was not confirmed: nothing more was changed" 5
no_failure_screen() { ! tui_screen | grep -q -e 'Retry the step' -e 'Stop the service failed'; }
check "it is not a failure screen" no_failure_screen
check_screen "it says how to resume, with nothing to fix" "when you are ready, resume with:" 5
check_screen "the command on a line of its own" "  upshift run redis --plans-dir" 5
tui_keys Enter
tui_exited 20
check_eq "the wizard exits 1" "$TUI_CODE" 1
check "redis still answers" redis_ping
check_eq "it is the same server process" "$(redis_pid)" "$pid_before"
check_eq "the running server is the old binary" "$(redis_running_binary_sha)" "$old_sha"
check_eq "the binary in place is the old one" "$(sha256sum "$REDIS_BIN/redis-check-rdb" | cut -d' ' -f1)" "$old_sha"
check_eq "the data is the same" "$(redis_digest)" "$digest"
check "the journal has no stop" sh -c "! grep -q 'ev: step_start, step: stop' '$state/journal'"
check "the journal has no disconnect" sh -c "! grep -q 'ev: step_start, step: disconnect' '$state/journal'"
check "the client is still connected" subscribed
check "its process is still there" pid_alive "$sub"
check "the run's end is journaled as declined" grep -q 'ev: run_end, result: declined, exit: 1' "$state/journal"
check_match "upshift status says so" "$("$UPSHIFT" status redis --plans-dir "$PLANS_DIR" --state-dir "$state" 2>&1)" \
	"stopped before disconnect: the operator said no; when you are ready, resume with:\$"
check "the backup was done" grep -q 'key: backup.verified, value: "yes"' "$state/journal"

# upshift rollback on a terminal: the wizard asks to confirm, then undoes
# what the refused run did (the backup is kept, the staged files go).
tui_stop
tui_start_redis 120 40 rollback
check_screen "the rollback wizard asks for confirmation" "Yes: Roll back the upgrade" 30
check_match "its title says it is a rollback" "$(tui_screen)" "upshift rollback: Redis"
tui_keys Down Enter
check_screen "it ends rolled back" "Rolled back" 90
tui_keys Enter
tui_exited 20
check_eq "the rollback wizard exits 4" "$TUI_CODE" 4
check_eq "the running server is still the old binary" "$(redis_running_binary_sha)" "$old_sha"
t_track "$(redis_pid)"
check_eq "the data is still the same" "$(redis_digest)" "$digest"
check "no staged new file is left beside the binary" test ! -e "$REDIS_BIN/redis-check-rdb.upshift-new"

t_done
