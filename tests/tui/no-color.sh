#!/usr/bin/env bash
# NO_COLOR (and --no-color): the wizard uses no colour at all, only bold,
# reverse and underline, on every screen of an upgrade; without it, the
# same screens have colours (so the check below can see them).
. "$UPSHIFT_SRCDIR/tests/lib/common.sh"
. "$UPSHIFT_SRCDIR/tests/lib/redis.sh"
. "$UPSHIFT_SRCDIR/tests/lib/tui.sh"

redis_upgrade_setup

# Without NO_COLOR the frame is coloured: the check can see colours.
tui_start 100 30 env -u NO_COLOR LANG=C.UTF-8 "$UPSHIFT" run redis --plans-dir "$PLANS_DIR" \
	--state-dir "$state"
check_screen "the wizard opens" "New redis-tools package" 30
check "without NO_COLOR the screen has colours" test -n "$(tui_colours)"
tui_keys F10
check_screen "F10 asks before quitting" "Quit?" 10
tui_keys y
tui_exited 20
check_eq "quitting at the questions exits 1" "$TUI_CODE" 1
check "quitting at the questions changed nothing" test ! -e "$state/journal"
tui_stop

# --no-color on the command line.
tui_start 100 30 env -u NO_COLOR LANG=C.UTF-8 "$UPSHIFT" run redis --no-color \
	--plans-dir "$PLANS_DIR" --state-dir "$state"
check_screen "the wizard opens with --no-color" "New redis-tools package" 30
check_eq "--no-color: no colour" "$(tui_colours | sort -u | tr '\n' ' ')" ""
tui_keys C-c
check_screen "Ctrl-C asks before quitting" "Quit?" 10
tui_keys y
tui_exited 20
tui_stop

# NO_COLOR through a whole upgrade.
tui_start 100 30 env NO_COLOR=1 LANG=C.UTF-8 "$UPSHIFT" run redis --plans-dir "$PLANS_DIR" \
	--state-dir "$state"
check_screen "the wizard opens with NO_COLOR" "New redis-tools package" 30
check_eq "NO_COLOR, questions: no colour" "$(tui_colours | sort -u | tr '\n' ' ')" ""
check_match "NO_COLOR, questions: bold and reverse still mark things" "$(tui_attributes)" "1 .*7"
tui_answer_redis
tui_keys Enter
check_screen "the review" "Start the upgrade" 30
check_eq "NO_COLOR, review: no colour" "$(tui_colours | sort -u | tr '\n' ' ')" ""
tui_keys Enter
check_screen "the confirmation" "Yes: Stop the service" 60
check_eq "NO_COLOR, confirmation and log: no colour" "$(tui_colours | sort -u | tr '\n' ' ')" ""
tui_keys Down Enter
check_screen "the end" "Redis upgraded" 90
check_eq "NO_COLOR, end screen: no colour" "$(tui_colours | sort -u | tr '\n' ' ')" ""
tui_keys Enter
tui_exited 20
T_RC=$TUI_CODE
T_OUT=$(tui_screen)
redis_upgraded "the upgrade under NO_COLOR" "$state" "$old_sha" "$new_sha" "$digest"

t_done
