#!/usr/bin/env bash
# Promises at the edges (issue 13), on the toy service (tests/lib/toy.sh):
# status says "failed in verify" when verify failed; the printed resume
# command keeps --strict-packages.
. "$UPSHIFT_SRCDIR/tests/lib/common.sh"
. "$UPSHIFT_SRCDIR/tests/lib/toy.sh"

root=$T_DIR/root
state=$T_DIR/state
plans=$T_DIR/plans
answers=$T_DIR/answers.yaml
pkg=$T_DIR/toy-0.80.2.tar.gz
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
cat > "$answers" <<EOF
root: $root
package: $pkg
backup_dir: $T_DIR/backups
EOF

setup() {
	toy_stop
	rm -rf "$root" "$state" "$T_DIR/backups" "$good"
	toy_sandbox "$root" 0.30.0 && toy_start
}

track_toy() {
	local pid
	pid=$(toy_pid) && t_track "$pid"
}

# 1. Verify fails: status says so, and the resume hint keeps --strict-packages.
setup || { echo "cannot set up the toy sandbox"; exit 1; }
run_upshift run toy --plans-dir "$plans" --answers "$answers" --yes --state-dir "$state" --strict-packages
track_toy
check_eq "a failed verify: exit 1" "$T_RC" 1
check_match "the resume hint keeps --strict-packages" "$T_OUT" \
	"^ *upshift run toy --plans-dir $plans --answers $answers --yes --strict-packages --state-dir $state\$"
run_upshift status toy --plans-dir "$plans" --state-dir "$state"
check_match "status: failed in verify" "$T_OUT" '^  failed in verify; fix the cause, then resume with:$'

t_done
