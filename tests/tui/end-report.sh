#!/usr/bin/env bash
# The wizard's end screen says what the plain report says (issue 14): the
# revision line of a Debian-revision upgrade (version_scheme: debian,
# 0.30.0-1+deb12u3 to +deb12u4: "deb12u3 -> deb12u4") and the cold backup's
# second part in the downtime, at 80x24, with the log and the rollback
# command still on the screen above the menu. The toy service
# (tests/lib/toy.sh), in the wizard with its answers saved.
. "$UPSHIFT_SRCDIR/tests/lib/common.sh"
. "$UPSHIFT_SRCDIR/tests/lib/toy.sh"
. "$UPSHIFT_SRCDIR/tests/lib/tui.sh"

root=$T_DIR/root
state=$T_DIR/state
plans=$T_DIR/plans
old=0.30.0-1+deb12u3 new=0.30.0-1+deb12u4
pkg=$T_DIR/toy-$new.tar.gz

# The toy plan as a Debian revision update: no migration (same schema), a
# cold backup whose second part, made in stop, has 16 MiB more to archive
# (the stop writes them into the data directory first).
mkdir -p "$plans"
toy_plan "$plans/toy.yaml" \
	'target: 0.80.2' "version_scheme: debian
target: \"$new\"" \
	'min_version: 0.25.0' '' \
	"match: 'v(\\d+\\.\\d+\\.\\d+)'" "match: 'v(\\S+)'" \
	'backup:' 'backup:
  cold: true' \
	'stop: {}' 'stop:
  run:
    - [sh, -c, '"'"'head -c 16777216 /dev/urandom > "$0/late.bin"'"'"', "${root}/data"]' \
	'migrate:
  - run: [["${root}/opt/toy/bin/toyctl", migrate, "${root}/data"]]' 'migrate: []' ||
	{ echo "cannot write the plan"; exit 1; }
toy_sandbox "$root" "$old" && toy_start || { echo "cannot set up the toy sandbox"; exit 1; }
toy_release "$new" "$pkg" || { echo "cannot build the release"; exit 1; }
mkdir -p "$state" && chmod 700 "$state"
toy_answers "$state/answers.yaml" "$root" "$pkg"

tui_start 80 24 env LANG=C.UTF-8 "$UPSHIFT" run toy --plans-dir "$plans" --state-dir "$state"
check_screen "the form is filled from the saved answers" "toy-$new.tar.gz" 30
tui_keys NPage Enter        # PgDn: to [ Go on ]
check_screen "the review" "Start the upgrade" 30
tui_keys Enter
check_screen "the stop asks for confirmation" "Yes: Stop the service" 60
tui_keys Down Enter
check_screen "the end screen" "Toy service (tests) upgraded" 120
toy_track
screen=$(tui_screen)
delta_ms=$(sed -n 's/.*key: backup\.delta\.ms, value: "\{0,1\}\([0-9]*\)"\{0,1\}}.*/\1/p' "$state/journal" | tail -n 1)
check_match "the cold backup's second part took a time" "$delta_ms" '^[1-9][0-9]*$'
# The main panel's text, beside the step list, its rows joined.
panel=$(printf '%s\n' "$screen" | sed -n '2,23p' | PYTHONIOENCODING=utf-8 python3 -c '
import sys
print(" ".join(l[27:].strip() for l in sys.stdin.read().splitlines()))')
check_match "the versions are whole" "$panel" "${old//+/\\+} → ${new//+/\\+}"
check_match "it says what the revision went from and to" "$panel" 'Revision: deb12u3 -> deb12u4'
check_match "the downtime counts the cold backup's second part" "$panel" \
	"Downtime: [0-9.]+s \\(from the stop until it was ready; [0-9.]+s of it the cold backup's second part\\)"
check_match "the log is still named" "$panel" "Log: $state/log/run-1-"
check_match "the rollback command is still shown, to its end" "$panel" \
	"To roll back: upshift rollback toy .*\\(data from the backup, old files back\\)"
check_match "the menu is there" "$screen" "▸ Leave"
wide() {
	printf '%s\n' "$screen" | PYTHONIOENCODING=utf-8 python3 -c '
import sys
sys.exit(any(len(l) > 80 for l in sys.stdin.read().splitlines()))'
}
check "no line is wider than 80 columns" wide
check_eq "the screen has 24 rows" "$(printf '%s\n' "$screen" | wc -l)" 24
tui_keys Enter
tui_exited 20
check_eq "the wizard exits 0" "$TUI_CODE" 0
check_eq "the new revision runs" "$(toy_version)" "$new"

t_done
