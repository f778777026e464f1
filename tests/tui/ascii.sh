#!/usr/bin/env bash
# Line drawing: UTF-8 box characters where the locale's codeset is UTF-8,
# plain ASCII otherwise (LANG=C, as on the Linux console).
. "$UPSHIFT_SRCDIR/tests/lib/common.sh"
. "$UPSHIFT_SRCDIR/tests/lib/tui.sh"

state=$T_DIR/state

tui_start 80 24 env LANG=C LC_ALL=C "$UPSHIFT" run redis --plans-dir "$PLANS_DIR" --state-dir "$state"
check_screen "the wizard opens with LANG=C" "New redis-tools package" 30
screen=$(tui_screen)
check "LANG=C: only ASCII on the screen" sh -c "! printf '%s' \"\$1\" | LC_ALL=C grep -q '[^ -~]'" sh "$screen"
check_match "LANG=C: the step list's border is ASCII" "$screen" "^ Steps +\| "
check_match "LANG=C: the title's arrow is ASCII" "$screen" "\? -> "
check_match "LANG=C: pending steps are marked in ASCII" "$screen" "^ \. 1 Detect"
tui_keys F10 y
tui_exited 20
check_eq "quitting at the questions exits 1" "$TUI_CODE" 1
tui_stop

tui_start 80 24 env LANG=C.UTF-8 LC_ALL=C.UTF-8 "$UPSHIFT" run redis --plans-dir "$PLANS_DIR" \
	--state-dir "$state"
check_screen "the wizard opens with LANG=C.UTF-8" "New redis-tools package" 30
screen=$(tui_screen)
check_match "UTF-8: the step list's border is a box line" "$screen" "^ Steps +│ "
check_match "UTF-8: the title's arrow is an arrow" "$screen" "\? → "
tui_keys F10 y
tui_exited 20
check "nothing was changed" test ! -e "$state/journal"

t_done
