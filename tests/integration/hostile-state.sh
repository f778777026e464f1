#!/usr/bin/env bash
# Nothing hostile gets in through the state directory (issue 13): a state
# directory that is a symlink, that someone else owns, or that group or
# others may write, or one inside a directory others could change, is
# refused before anything is written to it; a journal
# edited to name a path outside the state and backup directories and the
# plan's swap targets (as the backup, or as a file the swap replaced) is
# refused before rollback touches anything. Uses the toy service
# (tests/lib/toy.sh).
. "$UPSHIFT_SRCDIR/tests/lib/common.sh"
. "$UPSHIFT_SRCDIR/tests/lib/toy.sh"

plan=$UPSHIFT_SRCDIR/tests/data/plans/toy.yaml
root=$T_DIR/root
state=$T_DIR/state
answers=$T_DIR/answers.yaml
pkg=$T_DIR/toy-0.80.2.tar.gz
TOY_ROOT=$root
TOY_PIDFILE=$root/run/toyd.pid

toy_release 0.80.2 "$pkg" || { echo "cannot build the release"; exit 1; }
toy_sandbox "$root" 0.30.0 && toy_start || { echo "cannot set up the toy sandbox"; exit 1; }
cat > "$answers" <<EOS
root: $root
package: $pkg
backup_dir: $T_DIR/backups
EOS
old_tree=$(toy_tree)

# refused NAME DIR REGEX: a run with --state-dir DIR exits 2 with one line
# matching REGEX, and nothing was written into DIR or installed.
refused() {
	local name=$1 dir=$2 re=$3 err rc
	err=$("$UPSHIFT" run "$plan" --answers "$answers" --yes --state-dir "$dir" 2>&1 >/dev/null)
	rc=$?
	check_eq "$name: exit 2" "$rc" 2
	check_eq "$name: one line of error" "$(printf '%s\n' "$err" | grep -c .)" 1
	check_match "$name: the error says why" "$err" "$re"
	check_eq "$name: nothing written into it" "$(ls -A "$dir" | wc -l)" 0
	check_eq "$name: the toy is untouched" "$(toy_tree)" "$old_tree"
}

mkdir -p "$T_DIR/real"
chmod 700 "$T_DIR/real"
ln -s "$T_DIR/real" "$T_DIR/link"
refused "a symlink" "$T_DIR/link" "state directory \"$T_DIR/link\" is a symbolic link"

mkdir -p "$T_DIR/groupw"
chmod 770 "$T_DIR/groupw"
refused "writable by its group" "$T_DIR/groupw" "state directory \"$T_DIR/groupw\" is writable by group or others"
check_eq "writable by its group: its mode is left as it was" "$(stat -c %a "$T_DIR/groupw")" 770

mkdir -p "$T_DIR/otherw"
chmod 1777 "$T_DIR/otherw"
refused "writable by all" "$T_DIR/otherw" "state directory \"$T_DIR/otherw\" is writable by group or others"

if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	mkdir -p "$T_DIR/theirs"
	chmod 700 "$T_DIR/theirs"
	chown nobody "$T_DIR/theirs"
	refused "owned by another user" "$T_DIR/theirs" "state directory \"$T_DIR/theirs\" belongs to another user"
else
	echo "# skip: the other owner's case needs root"
fi

# A state directory inside a directory that others could change (as
# OpenSSH's StrictModes): refused before it is made, inside one that group
# or others may write without the sticky bit, however deep below.
mkdir -p "$T_DIR/loose/mine"
chmod 777 "$T_DIR/loose"
chmod 700 "$T_DIR/loose/mine"
for dir in "$T_DIR/loose/state" "$T_DIR/loose/mine/state"; do
	err=$("$UPSHIFT" run "$plan" --answers "$answers" --yes --state-dir "$dir" 2>&1 >/dev/null)
	rc=$?
	check_eq "inside a loose parent ($dir): exit 2" "$rc" 2
	check_eq "inside a loose parent ($dir): one line of error" "$(printf '%s\n' "$err" | grep -c .)" 1
	check_match "inside a loose parent ($dir): the error names the parent" "$err" \
		"state directory \"$dir\" is inside \"$T_DIR/loose\", which group or others may write"
	check "inside a loose parent ($dir): the state directory was not made" test ! -e "$dir"
	check_eq "inside a loose parent ($dir): the toy is untouched" "$(toy_tree)" "$old_tree"
done

# An upgrade in a good state directory, then its journal edited: a fact
# record appended (with its CRC right) that names a path outside what the
# plan declares. Rollback refuses it, exit 2, and changes nothing.
run_upshift run "$plan" --answers "$answers" --yes --state-dir "$state"
check_eq "upgrade: exit 0" "$T_RC" 0
[ "$T_RC" = 0 ] || printf '%s\n' "$T_OUT" | tail -n 5
t_track "$(cat "$TOY_PIDFILE" 2>/dev/null || echo 0)"
cp "$state/journal" "$T_DIR/journal.good"
new_tree=$(toy_tree)
echo "precious" > "$T_DIR/precious"

# forge KEY VALUE: append {ev: fact, key: KEY, value: VALUE} to the journal.
forge() {
	python3 - "$state/journal" "$1" "$2" <<'PY'
import sys, zlib, re
path, key, value = sys.argv[1:4]
lines = open(path, encoding="utf-8").read().splitlines()
seq = int(re.search(r"seq: (\d+)", lines[-1]).group(1)) + 1
body = '{seq: %d, time: "2026-01-01T00:00:00Z", ev: fact, step: swap, key: %s, value: "%s"}' % (seq, key, value)
with open(path, "a", encoding="utf-8") as f:
    f.write("%08x %s\n" % (zlib.crc32(body.encode()), body))
PY
}

# tampered NAME KEY VALUE: rollback with the forged record exits 2 naming
# the path, and neither the path nor the installed tree changed.
tampered() {
	local name=$1
	cp "$T_DIR/journal.good" "$state/journal"
	forge "$2" "$3" || { not_ok "$name: cannot forge the record"; return; }
	cp "$state/journal" "$T_DIR/journal.forged"
	run_upshift rollback "$plan" --answers "$answers" --yes --state-dir "$state"
	check_eq "$name: exit 2" "$T_RC" 2
	check "$name: nothing was added to the journal" cmp -s "$state/journal" "$T_DIR/journal.forged"
	check "$name: no resume is suggested" sh -c '! printf "%s" "$1" | grep -q "resume with"' _ "$T_OUT"
	check_match "$name: the error names the path and the record" "$T_OUT" "\"$3\".*$2|$2.*\"$3\""
	check_eq "$name: the file is untouched" "$(cat "$T_DIR/precious" 2>/dev/null)" "precious"
	check "$name: the empty directory is still there" test -d "$T_DIR/real"
	check_eq "$name: the new release is still installed" "$(toy_tree)" "$new_tree"
	check "$name: the service still runs" toy_running
}

tampered "a swapped target outside the plan's" swap.target.0 "$T_DIR/precious"
tampered "a swapped target climbing out of the mapping" swap.target.0 "$root/opt/toy/../../precious"
tampered "a backup outside the backup directory" backup.path "$T_DIR/precious"
tampered "an unfinished backup outside it" backup.pending "$T_DIR/precious"
tampered "a directory made outside the plan's" swap.mkdir.0 "$T_DIR/real"
tampered "a cold backup's second part outside it" backup.delta.path "$T_DIR/precious"
tampered "an unfinished second part outside it" backup.delta.pending "$T_DIR/precious"

# The journal as it was: rollback goes through.
cp "$T_DIR/journal.good" "$state/journal"
run_upshift rollback "$plan" --answers "$answers" --yes --state-dir "$state"
check_eq "untampered rollback: exit 4" "$T_RC" 4
[ "$T_RC" = 4 ] || printf '%s\n' "$T_OUT" | tail -n 5
check_eq "untampered rollback: the old release is back" "$(toy_tree)" "$old_tree"
t_track "$(cat "$TOY_PIDFILE" 2>/dev/null || echo 0)"

toy_stop
t_done
