#!/usr/bin/env bash
# The words match what happened (issue 13): in a rollback's plain output
# (--yes, no terminal) the data restore's lines are labelled "restore:",
# not "migrate:", and the check that the old version answers as before,
# after the undo, is labelled "check:", not with the last step undone
# ("detect:"); the run log labels them the same. The toy service
# (tests/lib/toy.sh).
. "$UPSHIFT_SRCDIR/tests/lib/common.sh"
. "$UPSHIFT_SRCDIR/tests/lib/toy.sh"

root=$T_DIR/root
state=$T_DIR/state
answers=$T_DIR/answers.yaml
pkg=$T_DIR/toy-0.80.2.tar.gz

toy_sandbox "$root" 0.30.0 && toy_start || { echo "cannot set up the toy sandbox"; exit 1; }
toy_release 0.80.2 "$pkg" || { echo "cannot build the release"; exit 1; }
toy_answers "$answers" "$root" "$pkg"
plans=$UPSHIFT_SRCDIR/tests/data/plans

run_upshift run toy --plans-dir "$plans" --answers "$answers" --yes --state-dir "$state"
check_eq "the upgrade exits 0" "$T_RC" 0
toy_track
run_upshift rollback toy --plans-dir "$plans" --answers "$answers" --yes --state-dir "$state"
out=$T_OUT
check_eq "the rollback exits 4 (rolled back)" "$T_RC" 4
[ "$T_RC" = 4 ] || printf '%s\n' "$out" | tail -n 20 | sed 's/^/#   /'
toy_track
check_eq "the old version runs" "$(toy_version)" 0.30.0

# Each line after its time stamp ("[12:00:00] "): the restore's lines,
# the check's and its commands' output, and no line after the restore's
# step header labelled migrate, none after the undo labelled detect.
ts='^(\[[0-9:]+\] )?'
check_match "the restore's lines are labelled restore:" "$out" "${ts}restore: data restored from "
check_match "the restore's check of the backup too" "$out" "${ts}restore: checking the backup .* before restoring from it"
check "no line is labelled migrate: (the restore is not a migration)" sh -c \
	"! printf '%s\n' \"\$1\" | grep -Eq '$ts''migrate: '" sh "$out"
check_match "the check after the undo is labelled check:" "$out" \
	"${ts}check: checking that the old version answers as before\$"
check_match "the check's commands are labelled check:" "$out" "${ts}check: \\$ .*toyd --version\$"
check_match "and their output" "$out" "${ts}check:   \\| toyd v0\\.30\\.0\$"
check "nothing after the undo is labelled detect:" sh -c \
	"! printf '%s\n' \"\$1\" | sed -n '/<== detect undone/,\$p' | grep -Eq '$ts''detect: '" sh "$out"
rlog=$(ls "$state"/log/run-2-*.log 2>/dev/null | head -n 1)
check_match "the run log labels the restore the same" "$(cat "$rlog")" '\] restore: data restored from '
check_match "the run log labels the check the same" "$(cat "$rlog")" \
	'\] check: checking that the old version answers as before'

t_done
