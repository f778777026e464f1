#!/usr/bin/env bash
# Promises at the edges (issue 13), on the toy service (tests/lib/toy.sh):
# status says "failed in verify" when verify failed; the printed resume
# command keeps --strict-packages; the *.upshift-old files of a finished
# upgrade move into the state directory's history when the next upgrade
# starts (and upshift clean removes them), never an unfinished one's; a
# checklist confirmed for an upgrade that was rolled back is asked again.
. "$UPSHIFT_SRCDIR/tests/lib/common.sh"
. "$UPSHIFT_SRCDIR/tests/lib/toy.sh"

# The toy's install root and state directory; the plan, its answers and
# the release upgraded to; the file whose presence lets verify pass.
root=$T_DIR/root state=$T_DIR/state
plans=$T_DIR/plans answers=$T_DIR/answers.yaml pkg=$T_DIR/toy-0.80.2.tar.gz
good=$T_DIR/verify-passes

mkdir -p "$plans"
# The toy plan whose verify fails until $good exists.
python3 - "$UPSHIFT_SRCDIR/tests/data/plans/toy.yaml" "$plans/toy.yaml" "$good" <<'PY'
import sys
src, dst, good = sys.argv[1:4]
s = open(src).read()
s = s.replace("    - {same: items}\n", "    - {same: items}\n    - {run: [test, -e, %s], fail: 'not yet'}\n" % good, 1)
open(dst, "w").write(s)
PY

toy_release 0.80.2 "$pkg" || { echo "cannot build the release"; exit 1; }
toy_answers "$answers" "$root" "$pkg"

setup() {
	toy_stop
	rm -rf "$root" "$state" "$T_DIR/backups" "$good"
	toy_sandbox "$root" 0.30.0 && toy_start
}

# 1. Verify fails: status says so, and the resume hint keeps --strict-packages.
setup || { echo "cannot set up the toy sandbox"; exit 1; }
run_upshift run toy --plans-dir "$plans" --answers "$answers" --yes --state-dir "$state" --strict-packages
toy_track
check_eq "a failed verify: exit 1" "$T_RC" 1
check_match "the resume hint keeps --strict-packages" "$T_OUT" \
	"^ *upshift run toy --plans-dir $plans --answers $answers --yes --strict-packages --state-dir $state\$"
run_upshift status toy --plans-dir "$plans" --state-dir "$state"
check_match "status: failed in verify" "$T_OUT" '^  failed in verify; fix the cause, then resume with:$'

# 2. The old files of a finished upgrade: the next upgrade (another target)
# starts without anyone deleting them by hand; they go to the history.
touch "$good"
run_upshift run toy --plans-dir "$plans" --answers "$answers" --yes --state-dir "$state"
check_eq "the resumed upgrade finishes" "$T_RC" 0
toy_track
olds=$(cd "$root" && find . -name '*.upshift-old' | LC_ALL=C sort)
check_match "it kept old files beside the new ones" "$olds" 'toy\.sh\.upshift-old$'
sum_before=$(sha256sum < "$root/opt/toy/lib/toy.sh.upshift-old")
toy_release 1.0.0 "$T_DIR/toy-1.0.0.tar.gz" || { echo "cannot build the release"; exit 1; }
sed "s|$pkg|$T_DIR/toy-1.0.0.tar.gz|" "$answers" > "$T_DIR/answers-1.yaml"
run_upshift run toy --plans-dir "$plans" --answers "$T_DIR/answers-1.yaml" --yes --state-dir "$state" --target 1.0.0
check_eq "the next upgrade runs to the end" "$T_RC" 0
[ "$T_RC" = 0 ] || printf '%s\n' "$T_OUT" | tail -n 5
check_eq "it is the new version" "$(toy_version)" 1.0.0
toy_track
hist=$(ls -d "$state"/history/* 2>/dev/null | head -n 1)
hist=${hist:-/nonexistent}
check_eq "the finished upgrade's old files are in the history" \
	"$(cd "$hist$root" 2>/dev/null && find . -name '*.upshift-old' | LC_ALL=C sort)" "$olds"
check_eq "kept as they were" "$(sha256sum < "$hist$root/opt/toy/lib/toy.sh.upshift-old")" "$sum_before"
check_match "the new upgrade kept the 0.80.2 files as its own old files" \
	"$(cat "$root/opt/toy/lib/toy.sh.upshift-old")" '^VERSION=0\.80\.2$'
run_upshift status toy --plans-dir "$plans" --state-dir "$state"
check_match "status lists the history" "$T_OUT" "^  history: an earlier upgrade finished .*; its old files are in $hist\$"
check_match "status: this upgrade finished" "$T_OUT" '^  version 0\.80\.2 -> target 1\.0\.0$'

# 3. upshift clean removes the finished upgrade's old files and the history.
run_upshift clean toy --plans-dir "$plans" --state-dir "$state"
check_eq "clean: exit 0" "$T_RC" 0
check_eq "no old file is left" "$(cd "$root" && find . -name '*.upshift-old')" ""
check_eq "nor the history" "$(ls "$state/history" 2>/dev/null)" ""
check_eq "the new files are untouched" "$(toy_tree)" "$(toy_release_tree 1.0.0)"
run_upshift status toy --plans-dir "$plans" --state-dir "$state"
check_match "status says clean removed them" "$T_OUT" 'removed by upshift clean'

run_upshift clean toy --plans-dir "$plans" --state-dir "$T_DIR/never"
check_eq "clean where no upgrade ran: exit 0" "$T_RC" 0
check_match "it says there is nothing to clean" "$T_OUT" 'nothing to clean'

# 4. An unfinished upgrade keeps its old files: clean is refused.
setup || { echo "cannot set up the toy sandbox"; exit 1; }
run_upshift run toy --plans-dir "$plans" --answers "$answers" --yes --state-dir "$state"
check_eq "verify fails again" "$T_RC" 1
toy_track
run_upshift clean toy --plans-dir "$plans" --state-dir "$state"
check_eq "clean of an unfinished upgrade: exit 3" "$T_RC" 3
check_match "it says why" "$T_OUT" 'has not finished: rollback still needs its old files'
check "its old files stay" test -e "$root/opt/toy/lib/toy.sh.upshift-old"
run_upshift rollback toy --plans-dir "$plans" --yes --state-dir "$state"
check_eq "and the rollback works" "$T_RC" 4
check_eq "the old version is back" "$(toy_version)" 0.30.0
toy_track

# 5. Checklists are confirmed per upgrade: the "yes" saved with an upgrade
# that was rolled back is not the next one's confirmation. The first
# upgrade confirms it in its answers file; the next runs on a terminal
# (the line frontend) from the saved answers, and is asked again.
mkdir -p "$T_DIR/plans2"
python3 - "$plans/toy.yaml" "$T_DIR/plans2/toy.yaml" <<'PY'
import sys
s = open(sys.argv[1]).read()
s = s.replace("stop: {}\n", "disconnect:\n  checklist: [{key: writers_paused, text: Writers are paused}]\n\nstop: {}\n", 1)
open(sys.argv[2], "w").write(s)
PY
setup || { echo "cannot set up the toy sandbox"; exit 1; }
cp "$answers" "$T_DIR/answers-check.yaml"
echo "writers_paused: yes" >> "$T_DIR/answers-check.yaml"
run_upshift run toy --plans-dir "$T_DIR/plans2" --answers "$T_DIR/answers-check.yaml" --yes --state-dir "$state"
check_eq "the checked upgrade fails in verify" "$T_RC" 1
toy_track
check_match "its answers file confirmed the checklist" "$(cat "$state/answers.yaml")" '^writers_paused: "?yes"?$'
run_upshift rollback toy --plans-dir "$T_DIR/plans2" --yes --state-dir "$state"
check_eq "rolled back" "$T_RC" 4
toy_track
# On a terminal: the saved answers taken (Enter to each of the four
# questions), then "no" to what follows: the checklist.
out=$(cd / && { for _ in $(seq 1 4); do echo; done; for _ in $(seq 1 20); do echo no; done; } |
	TERM=dumb timeout 120 script -qec "$UPSHIFT run toy --plans-dir $T_DIR/plans2 --state-dir $state" /dev/null 2>&1)
check_match "the next upgrade asks for the checklist again" "$out" 'the checklist before step disconnect'
check_match "and says why" "$out" 'writers_paused" is yes in the answers saved with an earlier upgrade, not confirmed for this one: asking again'
check_match "the log says so too" "$(cat "$state"/log/run-*.log)" 'is yes in the answers saved with an earlier upgrade, not confirmed for this one'
check_match "not confirmed now: nothing more was changed" "$out" 'checklist before step disconnect was not confirmed'
check "the service was not stopped" toy_running
check_eq "the old version serves" "$(toy_version)" 0.30.0

# 6. A detect refused after staging (--strict-packages and a package holding
# a setuid file the plan does not map) leaves nothing unpacked in the
# state directory's staging.
setup || { echo "cannot set up the toy sandbox"; exit 1; }
d=$T_DIR/hostile
rm -rf "$d" && mkdir -p "$d/other" && tar -C "$d" -xzf "$pkg" &&
	echo x > "$d/other/suid" && chmod 4755 "$d/other/suid" &&
	tar -C "$d" -czf "$T_DIR/hostile.tar.gz" opt other || { echo "cannot build the package"; exit 1; }
sed "s|$pkg|$T_DIR/hostile.tar.gz|" "$answers" > "$T_DIR/answers-hostile.yaml"
mkdir -m 700 "$state"
run_upshift run toy --plans-dir "$plans" --answers "$T_DIR/answers-hostile.yaml" --yes --state-dir "$state" --strict-packages
check_match "--strict-packages refuses the package" "$T_RC" '^[23]$'
check_match "naming the setuid file" "$T_OUT" 'other/suid'
check_eq "nothing is left unpacked in the staging directory" \
	"$(find "$state/staging" -mindepth 1 2>/dev/null | head -n 5)" ""
check_eq "nor beside the targets" "$(find "$root" -name '*.upshift-new')" ""
toy_track

t_done
