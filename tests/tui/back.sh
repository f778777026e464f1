#!/usr/bin/env bash
# The questions: a wrong value is refused in place with the reason, and the
# values typed stay; Esc (Back) returns to the previous form, which still
# holds what was typed; a checklist item must be answered yes; Back from
# the review returns to the last form. Then the upgrade runs with what was
# typed.
. "$UPSHIFT_SRCDIR/tests/lib/common.sh"
. "$UPSHIFT_SRCDIR/tests/lib/redis.sh"
. "$UPSHIFT_SRCDIR/tests/lib/tui.sh"

redis_upgrade_setup
# The Redis plan with a checklist before disconnect: a second form.
redis_plan_variant "disconnect:
" "disconnect:
  checklist: [\"The application servers are paused\"]
" || { echo "cannot write the plan"; exit 1; }

tui_start_redis 100 40 run
check_screen "the first form says it is one of two" "Questions (1 of 2)" 30
# The SHA-256 field takes only hexadecimal digits, and counts them.
tui_keys Down
tui_type "xyzAB12"
check_screen "a SHA-256 field counts the digits as they are typed" "4 of 64 hexadecimal digits" 10
check_match "and refuses what is not one" "$(tui_screen)" "│ +AB12 *$"
tui_keys C-u Up
tui_answer_redis "$T_DIR/no-such-package.deb"
tui_keys NPage Enter
check_screen "a missing package is refused in place" "\"package\": no such file" 30
screen=$(tui_screen)
check_match "the other values stay as typed" "$screen" "$REDIS_DIR/redis.pid"
check_match "the port stays as typed" "$screen" "^ .* $REDIS_PORT *$"
check_match "the focus is on the refused field" "$screen" "▸ New redis-tools package"
tui_keys C-u
tui_type "$NEW_DEB"
tui_keys NPage Enter
check_screen "the second form is the checklist" "Checklist before disconnect (2 of 2)" 30
check_screen "it shows the checklist item" "The application servers are paused" 5
tui_keys Escape
check_screen "Esc goes back to the first form" "Questions (1 of 2)" 30
screen=$(tui_screen)
check_match "the first form still holds the typed package" "$screen" "deb12u10_amd64.deb"
check_match "the first form still holds the typed pid file" "$screen" "$REDIS_DIR/redis.pid"
check_match "the first form still holds the typed port" "$screen" "^ .* $REDIS_PORT *$"
check_match "the first form still holds the chosen manager" "$screen" "< pidfile >"
tui_keys NPage Enter
check_screen "forward again to the checklist" "Checklist before disconnect (2 of 2)" 30
tui_keys Enter
check_screen "an unchecked item is refused" "answer yes once this is done" 30
tui_keys Space Enter
check_screen "checked, the review follows" "Start the upgrade" 30
tui_keys Escape
check_screen "Esc in the review goes back to the last form" "Checklist before disconnect (2 of 2)" 30
check_screen "which keeps the item checked" "[x] done" 5
tui_keys Enter
check_screen "the review again" "Start the upgrade" 30
check "nothing ran before the start" test ! -e "$state/journal"
tui_keys Enter
check_screen "the stop asks for confirmation" "Yes: Stop the service" 60
tui_keys Down Enter
check_screen "the upgrade finishes" "Redis upgraded" 90
tui_keys Enter
tui_exited 20
T_RC=$TUI_CODE
T_OUT=$(tui_screen)
redis_upgraded "the upgrade runs with what was typed" "$state" "$old_sha" "$new_sha" "$digest"
check "the saved answers hold the checklist's yes" grep -q 'disconnect_check_1: "*yes' "$state/answers.yaml"

t_done
