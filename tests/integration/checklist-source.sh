#!/usr/bin/env bash
# Where a checklist's "yes" came from, said as it is (issue 13): on a
# terminal, a checklist item that the saved answers say yes to but that
# this upgrade has not confirmed is asked again, and the line that says
# so names the source: the answers saved with an earlier upgrade (the
# first run of a new upgrade), or the answers this upgrade was started
# with (the operator's --answers file of an earlier run of it, which
# stopped before the checklist's step). The toy service (tests/lib/toy.sh).
. "$UPSHIFT_SRCDIR/tests/lib/common.sh"
. "$UPSHIFT_SRCDIR/tests/lib/toy.sh"

root=$T_DIR/root state=$T_DIR/state plans=$T_DIR/plans
pkg=$T_DIR/toy-0.80.2.tar.gz answers=$T_DIR/answers.yaml
fixed=$T_DIR/backup-works

# The toy plan with a checklist before disconnect, and a backup command
# that fails until $fixed exists (a run that stops before the checklist).
mkdir -p "$plans"
toy_plan "$plans/toy.yaml" \
	'stop: {}' 'disconnect:
  checklist: [{key: writers_paused, text: Writers are paused}]

stop: {}' \
	'  paths: ["${root}/data"]' "  paths: [\"\${root}/data\"]
  before: [[test, -e, \"$fixed\"]]" || { echo "cannot write the plan"; exit 1; }
toy_release 0.80.2 "$pkg" || { echo "cannot build the release"; exit 1; }
toy_answers "$answers" "$root" "$pkg"
echo "writers_paused: yes" >> "$answers"
toy_sandbox "$root" 0.30.0 && toy_start || { echo "cannot set up the toy sandbox"; exit 1; }

# on_terminal: run upshift on a terminal (the line frontend: TERM=dumb),
# Enter to any question the saved answers fill, then "no" to the rest.
on_terminal() {
	T_OUT=$(cd / && { for _ in $(seq 1 4); do echo; done; for _ in $(seq 1 20); do echo no; done; } |
		TERM=dumb timeout 120 script -qec "$UPSHIFT $*" /dev/null 2>&1)
}

# 1. The operator's answers file says yes; that run stops in backup, before
# the checklist's step. Resumed on a terminal: asked, and told that the
# yes is this upgrade's answers', not an earlier upgrade's.
run_upshift run toy --plans-dir "$plans" --answers "$answers" --yes --state-dir "$state"
check_eq "the run with the answers file stops in backup" "$T_RC" 1
touch "$fixed"
on_terminal run toy --plans-dir "$plans" --state-dir "$state"
check_match "resumed on a terminal, the checklist is asked" "$T_OUT" 'the checklist before step disconnect'
check_match "it says the yes is in the answers this upgrade was started with" "$T_OUT" \
	'checklist: "writers_paused" is yes in the answers this upgrade was started with, but no run of it has confirmed this checklist yet: asking now'
check "it does not say an earlier upgrade confirmed it" sh -c "! printf '%s' \"\$1\" | grep -q 'earlier upgrade'" sh "$T_OUT"
check_match "the log says so too" "$(cat "$state"/log/run-2-*.log)" 'is yes in the answers this upgrade was started with'
check "the service was not stopped" toy_running

# 2. That upgrade rolled back, the next one starts on a terminal from the
# saved answers: the yes is an earlier upgrade's.
run_upshift rollback toy --plans-dir "$plans" --yes --state-dir "$state"
check_eq "rolled back" "$T_RC" 4
toy_track
on_terminal run toy --plans-dir "$plans" --state-dir "$state"
check_match "the next upgrade asks for the checklist" "$T_OUT" 'the checklist before step disconnect'
check_match "and says the yes is in the answers saved with an earlier upgrade" "$T_OUT" \
	'checklist: "writers_paused" is yes in the answers saved with an earlier upgrade, not confirmed for this one: asking again'
check "the service was not stopped" toy_running
check_eq "the old version serves" "$(toy_version)" 0.30.0

t_done
