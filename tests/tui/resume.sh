#!/usr/bin/env bash
# Quitting the wizard while a step runs stops the run at a safe point; the
# next wizard on the same state shows the resume screen (what was done,
# what was in progress), shows the log, and resumes to a finished upgrade.
. "$UPSHIFT_SRCDIR/tests/lib/common.sh"
. "$UPSHIFT_SRCDIR/tests/lib/redis.sh"
. "$UPSHIFT_SRCDIR/tests/lib/tui.sh"

redis_upgrade_setup
# The Redis plan with a slow online backup command.
redis_plan_variant '    - ["${bin_dir}/redis-cli", -h, "${host}", -p, "${port}", SAVE]
' '    - ["${bin_dir}/redis-cli", -h, "${host}", -p, "${port}", SAVE]
    - [sleep, "30"]
' || { echo "cannot write the plan"; exit 1; }

tui_start_redis 120 40 run
tui_through_review
check_screen "the backup's slow command runs" '$ sleep 30' 60
tui_keys q
check_screen "q asks before quitting" "Quit?" 10
check_screen "it says the run can be resumed" "can be resumed later" 5
tui_keys y
check_screen "the run stops: the end screen" "Stopped" 30
check_screen "it says it was interrupted" "interrupted" 5
tui_keys Enter
tui_exited 20
check_eq "the interrupted wizard exits 1" "$TUI_CODE" 1
check "the interruption is journaled" grep -q 'ev: step_failed, step: backup' "$state/journal"
check_eq "redis still runs the old data" "$(redis_digest)" "$digest"

tui_stop
tui_start_redis 120 40 run
check_screen "a second wizard shows the resume screen" "An upgrade did not finish" 30
screen=$(tui_screen)
check_match "it says what was done" "$screen" "Done: detect\."
check_match "it says what was in progress" "$screen" "In progress: backup, failed: .*interrupted"
check_match "it offers to resume" "$screen" "Resume the upgrade"
check_match "it offers to roll back" "$screen" "Roll back"
tui_keys Down Down Enter    # Show the log
check_screen "Show the log shows the run's log" "backup: \$ sleep 30" 10
tui_keys Escape
check_screen "Esc comes back to the resume screen" "Resume the upgrade" 10
tui_keys Up Up Enter        # Resume the upgrade
check_screen "resuming reaches the stop's confirmation" "Yes: Stop the service" 90
screen=$(tui_screen)
check_match "detect is done from the earlier run" "$screen" "✓ 1 Detect"
tui_keys Down Enter
check_screen "the resumed upgrade finishes" "Redis upgraded" 120
tui_keys Enter
tui_exited 20
T_RC=$TUI_CODE
T_OUT=$(tui_screen)
redis_upgraded "the resumed upgrade ends as an uninterrupted one" "$state" "$old_sha" "$new_sha" "$digest"
check_eq "detect started once" "$(grep -c 'ev: step_start, step: detect[,}]' "$state/journal")" 1

t_done
