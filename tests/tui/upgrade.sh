#!/usr/bin/env bash
# The wizard, in tmux, upgrades a real Redis answered from the keyboard:
# the questions form, the review, the confirmation of the stop, the live
# log, the end screen; the data and binaries checked on the server itself.
. "$UPSHIFT_SRCDIR/tests/lib/common.sh"
. "$UPSHIFT_SRCDIR/tests/lib/redis.sh"
. "$UPSHIFT_SRCDIR/tests/lib/tui.sh"

redis_upgrade_setup
rm -f "$answers"

tui_start_redis 120 40 run
check_screen "the wizard opens on the questions" "New redis-tools package" 30
screen=$(tui_screen)
check_match "the title names the plan and the target" "$screen" "upshift: Redis on .*7\.0\.15"
for s in Detect "Back up data" "Stop the service" "Swap binaries" Verify "Reconnect clients"; do
	check_match "the step list shows $s" "$screen" "$s"
done

tui_answer_redis
tui_keys Enter
check_screen "the review follows the questions" "What will be done" 30
check_screen "the review resolves the commands with the answers" "$REDIS_PORT" 5
# The size is the sum of the data directory's files, as bytes_format writes it.
data_size=$(find "$REDIS_DIR/data" -type f -printf '%s\n' | awk '{ s += $1 } END {
	split("B KiB MiB GiB", u, " "); i = 1; v = s
	while (v >= 1024 && i < 4) { v /= 1024; i++ }
	if (i == 1) printf "%d B", s; else printf "%.1f %s", v, u[i] }')
echo "# the data directory holds $data_size"
check_screen "the review gives the size of the data and the backup's room" \
	"Backup: $data_size of data now, into $REDIS_DIR/backups" 5
check_screen "and warns that the backup's own commands (SAVE) may add to it" \
	"The backup's own commands run first" 5
check_eq "nothing ran before the start: no state directory" "$(test -e "$state/journal" && echo yes || echo no)" no
tui_keys Enter

check_screen "the stop asks for confirmation" "Yes: Stop the service" 60
check_screen "the confirmation names the consequence" "The service is down from now" 5
check_screen "the log pane shows the backup's commands" "SAVE" 5
check_match "the title shows the version detect found" "$(tui_screen)" "7\.0\.15 . 7\.0\.15"
check "redis still runs before the confirmation" redis_ping
tui_keys Down Enter

check_screen "the end screen says it is upgraded" "Redis upgraded" 90
check_screen "the end screen names the backup" "Backup: $REDIS_DIR/backups/redis-" 5
check_screen "the end screen says how to roll back" "To roll back: upshift rollback redis" 5
screen=$(tui_screen)
check_match "every step is done in the list" "$screen" "✓ 8 Reconnect"
tui_keys Enter
tui_exited 20
T_RC=$TUI_CODE
T_OUT=$(tui_screen)
check_eq "the wizard exits 0" "$TUI_CODE" 0
check_match "the report is printed when the wizard leaves" "$T_OUT" "Redis upgraded: 7\.0\.15 -> 7\.0\.15"
redis_upgraded "the upgrade from the keyboard ends as a scripted one" "$state" "$old_sha" "$new_sha" "$digest"
check_eq "DBSIZE is the same" "$(rcli DBSIZE)" 10003
check "the answers were saved for a later run" grep -q "port: \"*$REDIS_PORT" "$state/answers.yaml"

# The wizard again on the finished upgrade: nothing left to do.
pid_before=$(redis_pid)
tui_stop
tui_start_redis 120 40 run
check_screen "a second wizard says there is nothing left to do" "nothing left to do" 30
tui_keys Enter
tui_exited 20
check_eq "and exits 0" "$TUI_CODE" 0
check_eq "and leaves the server alone" "$(redis_pid)" "$pid_before"

t_done
