#!/usr/bin/env bash
# The questions: a wrong value is refused in place with the reason, and the
# values typed stay; Back from the review returns to the form, which still
# holds what was typed. A step's checklist is asked when that step is due,
# not before the run, and each item must be answered yes. Then the upgrade
# runs with what was typed. (Back from one form to the one before is in
# hops.sh, whose path has a form per hop.)
. "$UPSHIFT_SRCDIR/tests/lib/common.sh"
. "$UPSHIFT_SRCDIR/tests/lib/redis.sh"
. "$UPSHIFT_SRCDIR/tests/lib/tui.sh"

redis_upgrade_setup
# The Redis plan with a checklist before disconnect: one item, longer than
# a row of the form.
redis_plan_variant "disconnect:
" "disconnect:
  checklist: [\"The application servers are paused (redis \${target}) and their job queues drained, so that nothing writes to Redis during the upgrade\"]
" || { echo "cannot write the plan"; exit 1; }

tui_start_redis 100 40 run
check_screen "the questions come first" "Questions" 30
no_checklist() { ! tui_screen | grep -q 'Checklist'; }
check "the checklist is not among the questions" no_checklist
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
check_screen "the review follows the questions" "Start the upgrade" 30
tui_keys Escape
check_screen "Esc in the review goes back to the form" "Questions" 30
screen=$(tui_screen)
check_match "the form still holds the typed package" "$screen" "deb12u10_amd64.deb"
check_match "the form still holds the typed pid file" "$screen" "$REDIS_DIR/redis.pid"
check_match "the form still holds the typed port" "$screen" "^ .* $REDIS_PORT *$"
check_match "the form still holds the chosen manager" "$screen" "< pidfile >"
tui_keys NPage Enter
check_screen "the review again" "Start the upgrade" 30
check "nothing ran before the start" test ! -e "$state/journal"
tui_keys Enter
check_screen "the checklist comes when disconnect is due" "Checklist before disconnect" 60
check_screen "its item names the target version" "The application servers are paused (redis 7.0.15)" 5
check_screen "and is wrapped, not cut, at the form's width" "nothing writes to Redis during the upgrade" 5
check_match "backup has run by then" "$(tui_screen)" "✓ 2 Back up data"
check "disconnect has not started" sh -c "! grep -q 'ev: step_start, step: disconnect' '$state/journal'"
no_back() { ! tui_screen | grep -q -e '\[ Back \]' -e 'Esc back'; }
check "it offers no Back: the questions are behind" no_back
tui_keys Escape
sleep 0.5
check_match "Esc neither goes back to the questions nor stops the run" "$(tui_screen)" "Checklist before disconnect"
tui_keys Enter
check_screen "an unchecked item is refused" "answer yes once this is done" 30
tui_keys Space Enter
check_screen "checked, the stop asks for confirmation" "Yes: Stop the service" 60
tui_keys Down Enter
check_screen "the upgrade finishes" "Redis upgraded" 90
tui_keys Enter
tui_exited 20
T_RC=$TUI_CODE
T_OUT=$(tui_screen)
redis_upgraded "the upgrade runs with what was typed" "$state" "$old_sha" "$new_sha" "$digest"
log_order() {
	cat "$state"/log/run-1-*.log | grep -E -o 'checklist: the operator confirmed: The application servers are paused \(redis 7\.0\.15\).*upgrade$|disconnect: \$ [^ ]*redis-cli' |
		head -n 2 | tr '\n' '|'
}
check_match "the run log records the confirmation, before disconnect's first command" "$(log_order)" \
	'^checklist: the operator confirmed: The application servers are paused \(redis 7\.0\.15\) and their job queues drained, so that nothing writes to Redis during the upgrade\|disconnect: \$ '

t_done
