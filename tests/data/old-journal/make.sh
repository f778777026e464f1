#!/usr/bin/env bash
# tests/data/old-journal/make.sh UPSHIFT OUT.tar.gz: make the data of
# tests/integration/old-journal.sh with an older build of upshift.
#
# Runs the toy service's three-hop upgrade (tests/data/plans/toy-hops.yaml,
# 0.25.0 -> 0.30.0 -> 0.80.2 -> 1.0.0) with UPSHIFT until the plan's
# crash-once command kills it inside hop 1's migrate, stops the toy server,
# and packs the whole sandbox: the install root, the state directory (its
# journal, as that build wrote it), the backups and the three packages. The
# sandbox lives under SANDBOX_PREFIX below; the test puts it back anywhere
# by rewriting that prefix (and the journal's CRCs).
#
# The data in this folder was made with the build of commit 4bb89c8 (the
# last one before the code moved into layers, issue 12):
#   git worktree add /tmp/old 4bb89c8 && (cd /tmp/old && autoreconf -i &&
#   ./configure && make) && bash make.sh /tmp/old/upshift sandbox.tar.gz
set -u
UPSHIFT=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
out=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
here=$(cd "$(dirname "$0")" && pwd)
UPSHIFT_SRCDIR=$(cd "$here/../../.." && pwd)
export UPSHIFT UPSHIFT_SRCDIR
. "$UPSHIFT_SRCDIR/tests/lib/common.sh"
. "$UPSHIFT_SRCDIR/tests/lib/toy.sh"

SANDBOX_PREFIX=/tmp/upshift-old-journal-sandbox
sb=$SANDBOX_PREFIX
[ ! -e "$sb" ] || { echo "$sb exists: remove it first"; exit 1; }
mkdir -p "$sb" || exit 1
root=$sb/root
for v in 0.30.0 0.80.2 1.0.0; do
	toy_release "$v" "$sb/toy-$v.tar.gz" || exit 1
done
cat > "$sb/answers.yaml" <<ANS
root: $root
backup_dir: $sb/backups
crash: yes
package:
  0.30.0: $sb/toy-0.30.0.tar.gz
  0.80.2: $sb/toy-0.80.2.tar.gz
  1.0.0: $sb/toy-1.0.0.tar.gz
ANS
toy_sandbox "$root" 0.25.0 && toy_start || exit 1
"$UPSHIFT" run "$UPSHIFT_SRCDIR/tests/data/plans/toy-hops.yaml" --answers "$sb/answers.yaml" \
	--yes --state-dir "$sb/state" > "$sb/run.out" 2>&1
rc=$?
[ "$rc" = 137 ] || { echo "expected the crash (137), got $rc:"; cat "$sb/run.out"; exit 1; }
toy_stop
rm -f "$sb/run.out"
tar -C "$sb" -czf "$out" . || exit 1
rm -rf "$sb"
echo "made $out"
