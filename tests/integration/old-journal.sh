#!/usr/bin/env bash
# An upgrade interrupted under the previous release resumes under this one.
# tests/data/old-journal/sandbox.tar.gz holds the whole sandbox of the toy
# service's three-hop upgrade (tests/data/plans/toy-hops.yaml) as the build
# of commit 4bb89c8 left it when the plan's crash-once command killed it
# inside hop 1's migrate: its journal, answers, run log, backup, staged
# files and packages (tests/data/old-journal/make.sh made it). The sandbox
# is put back here by rewriting its old path (and the journal's CRCs).
# Checked: the old journal replays (status shows where the run stopped),
# the resume finishes without running hop 1's migration again, and the old
# records are kept byte for byte, the new ones appended after them.
. "$UPSHIFT_SRCDIR/tests/lib/common.sh"
. "$UPSHIFT_SRCDIR/tests/lib/toy.sh"

plan=$UPSHIFT_SRCDIR/tests/data/plans/toy-hops.yaml
old_prefix=/tmp/upshift-old-journal-sandbox
sb=$T_DIR/sb
root=$sb/root
state=$sb/state
TOY_ROOT=$root
TOY_PIDFILE=$root/run/toyd.pid

mkdir -p "$sb" && tar -C "$sb" -xzf "$UPSHIFT_SRCDIR/tests/data/old-journal/sandbox.tar.gz" ||
	{ echo "cannot unpack the old sandbox"; exit 1; }
# relocate FILE: the old sandbox path becomes this one; a journal line
# whose body changed gets its CRC again (zlib's CRC-32 of the body).
relocate() {
	python3 - "$1" "$old_prefix" "$sb" <<'PY' || return 1
import sys, zlib
path, old, new = sys.argv[1:4]
out = []
with open(path, encoding="utf-8") as f:
    for line in f:
        line = line.rstrip("\n")
        if path.endswith("journal") and len(line) > 9:
            body = line[9:].replace(old, new)
            line = "%08x %s" % (zlib.crc32(body.encode()), body)
        else:
            line = line.replace(old, new)
        out.append(line + "\n")
with open(path, "w", encoding="utf-8") as f:
    f.writelines(out)
PY
}
for f in "$sb/answers.yaml" "$state/answers.yaml" "$state/journal"; do
	relocate "$f" || { echo "cannot relocate $f"; exit 1; }
done
check_eq "the old journal names the old path nowhere now" "$(grep -c "$old_prefix" "$state/journal")" 0
old_records=$(wc -l < "$state/journal")
old_journal=$(cat "$state/journal")
check "the data was left inside hop 1's migrate" grep -q 'ev: step_start, step: migrate' "$state/journal"

run_upshift status "$plan" --state-dir "$state"
check_eq "status of the old journal: exit 0" "$T_RC" 0
check_match "status of the old journal: hop 1 of 3" "$T_OUT" "hop 1 of 3 \\(path: 0\\.30\\.0, 0\\.80\\.2, 1\\.0\\.0\\)"

run_upshift run "$plan" --answers "$sb/answers.yaml" --yes --state-dir "$state"
check_eq "resume of the old journal: exit 0" "$T_RC" 0
[ "$T_RC" = 0 ] || printf '%s\n' "$T_OUT" | tail -n 12
t_track "$(toy_pid || echo 0)"
check_match "resume: the migration of hop 1 was done before" "$T_OUT" "migration 1 was done before"
check_eq "resume: each hop's migration ran once" "$(cat "$root/data/migrations.log")" \
	"$(printf '0.30.0\n0.80.2\n1.0.0')"
check_eq "resume: each version served the data at its schema, in order" \
	"$(cat "$root/data/served.log")" \
	"$(printf 'v0.25.0 schema 1\nv0.30.0 schema 2\nv0.80.2 schema 3\nv1.0.0 schema 4')"
check_eq "resume: 1.0.0 is installed" "$(toy_version)" 1.0.0
check "resume: the service runs" toy_running
check_eq "resume: nothing staged is left" "$(find "$root" -name '*.upshift-new*' | wc -l)" 0
check_eq "resume: the old records are kept as they were" \
	"$(head -n "$old_records" "$state/journal")" "$old_journal"
check "resume: new records follow them" \
	test "$(wc -l < "$state/journal")" -gt "$old_records"
check "resume: the run's end is journaled as done" \
	grep -q 'ev: run_end.*result: done' "$state/journal"
toy_stop
t_done
