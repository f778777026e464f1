#!/usr/bin/env bash
# The wizard's rollback labels what is not the step on screen (issue 13):
# the data restore's lines say "restore:" (not shown as migrate's), the
# check after the undo "check:", in the log pane and in the log searched
# with /. The toy service (tests/lib/toy.sh), upgraded by a scripted run
# first, rolled back in the wizard at 80x24; the end screen's summary is
# whole (issue 14).
. "$UPSHIFT_SRCDIR/tests/lib/common.sh"
. "$UPSHIFT_SRCDIR/tests/lib/toy.sh"
. "$UPSHIFT_SRCDIR/tests/lib/tui.sh"

root=$T_DIR/root
state=$T_DIR/state
answers=$T_DIR/answers.yaml
pkg=$T_DIR/toy-0.80.2.tar.gz
plans=$UPSHIFT_SRCDIR/tests/data/plans

toy_sandbox "$root" 0.30.0 && toy_start || { echo "cannot set up the toy sandbox"; exit 1; }
toy_release 0.80.2 "$pkg" || { echo "cannot build the release"; exit 1; }
toy_answers "$answers" "$root" "$pkg"
run_upshift run toy --plans-dir "$plans" --answers "$answers" --yes --state-dir "$state"
check_eq "the scripted upgrade exits 0" "$T_RC" 0
toy_track

tui_start 80 24 env LANG=C.UTF-8 "$UPSHIFT" rollback toy --plans-dir "$plans" --state-dir "$state"
check_screen "the rollback asks for confirmation" "Yes: Roll back the upgrade" 60
tui_keys Down Enter
check_screen "the end screen says it was rolled back" "Rolled back" 120
toy_track
# The summary, to its end: where the replaced data is kept, and its size.
if tui_wait_re '\([0-9.]+ [KMG]?i?B\)' 5; then
	ok "the end screen's summary is whole, to the replaced data's size"
else
	not_ok "the end screen's summary is whole, to the replaced data's size" "$(tui_screen | sed 's/^/| /')"
fi
# The log full screen (f); searched (/) for the check's first line and the
# restore's: each is shown with its label.
tui_type "f"
check_screen "the log full screen" " Log (all of it in $state/log/run-2-" 10
tui_type "/"
tui_type "the old version answers"
tui_keys Enter
check_screen "the check after the undo is labelled check:" "check: checking that the old version answers as before" 10
tui_type "/"
tui_type "data restored from"
tui_keys Enter
check_screen "the restore's line is labelled restore:" "restore: data restored from $T_DIR/backups/toy-" 10
not_migrate() { ! tui_screen | grep -q 'migrate: data restored'; }
check "no line of the restore is shown as migrate's" not_migrate
tui_type "q"
check_screen "back to the end screen" "Leave" 10
tui_keys Enter
tui_exited 20
check_eq "the wizard exits 4 (rolled back)" "$TUI_CODE" 4
check_eq "the old version runs" "$(toy_version)" 0.30.0

t_done
