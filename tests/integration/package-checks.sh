#!/usr/bin/env bash
# What detect refuses in a package before anything stops, on the toy service
# (tests/lib/toy.sh) whose opt/toy/ is swapped by a directory mapping: each
# case exits 2 (the package) or 3 (what is in place) with one error line naming the member or path, the service
# still runs the old release, the tree is the old one, nothing is staged
# beside the targets and nothing is written outside them.
. "$UPSHIFT_SRCDIR/tests/lib/common.sh"
. "$UPSHIFT_SRCDIR/tests/lib/toy.sh"

plan=$UPSHIFT_SRCDIR/tests/data/plans/toy.yaml
root=$T_DIR/root
state=$T_DIR/state
outside=$T_DIR/outside
answers=$T_DIR/answers.yaml

setup() {
	toy_stop
	rm -rf "$root" "$state" "$T_DIR/backups" "$outside"
	mkdir -p "$outside"
	toy_sandbox "$root" 0.30.0 && ${SETUP_HOOK:-true} && toy_start
}

# variant NAME CMD...: release 0.80.2 unpacked, CMD run in its directory,
# packed again as $T_DIR/NAME.tar.gz; answers naming it in $answers.
variant() {
	local name=$1 d
	shift
	d=$T_DIR/variant-$name
	rm -rf "$d" && mkdir -p "$d" || return 1
	toy_release 0.80.2 "$d.src.tar.gz" && tar -C "$d" -xzf "$d.src.tar.gz" || return 1
	(cd "$d" && "$@") || return 1
	tar -C "$d" -czf "$T_DIR/$name.tar.gz" opt || return 1
	cat > "$answers" <<ANS
root: $root
package: $T_DIR/$name.tar.gz
backup_dir: $T_DIR/backups
ANS
}

# refused NAME RC REGEX [OUTSIDE]: a run exits RC with one error line
# matching REGEX, and nothing changed (OUTSIDE: what $outside holds, paths each
# followed by a space).
refused() {
	local name=$1 want=$2 re=$3 pid err rc tree
	setup || { not_ok "$name: cannot set up"; return; }
	pid=$(toy_pid)
	tree=$(toy_tree)
	err=$("$UPSHIFT" run "$plan" --answers "$answers" --yes --state-dir "$state" 2>&1 >/dev/null)
	rc=$?
	check_eq "$name: exit $want" "$rc" "$want"
	check_match "$name: the error names it" "$(printf '%s\n' "$err" | grep '^upshift: error:')" "$re"
	check "$name: nothing past detect ran" sh -c "! grep -q 'ev: step_start, step: backup' '$state/journal'"
	check_eq "$name: the service still runs (same pid)" "$(toy_pid)" "$pid"
	check_eq "$name: the tree is as it was" "$(toy_tree)" "$tree"
	check_eq "$name: nothing staged beside the targets" \
		"$(find "$root" "$outside" -name '*.upshift-*' | wc -l)" 0
	check_eq "$name: nothing written outside" "$(find "$outside" -mindepth 1 | LC_ALL=C sort | tr '\n' ' ')" "${4:-}"
}

# A link member that is absolute.
variant abs-link ln -s "$outside" opt/toy/lib/esc || { echo "cannot build a package"; exit 1; }
refused "absolute link" 2 'member "opt/toy/lib/esc" is a link to "[^"]*outside" that leads outside the mapped directory "opt/toy/"'

# A link member that leads out of the mapped directory (not of the package).
variant rel-link ln -s ../../../etc opt/toy/bin/up || { echo "cannot build a package"; exit 1; }
refused "relative link out" 2 'member "opt/toy/bin/up" is a link to "../../../etc" that leads outside the mapped directory "opt/toy/"'

# A link an earlier package planted below the target: opt/toy/lib/sub is a
# link to a directory outside, and the new release has lib/sub/deep/notes.
# Writing through it would put files outside the mapped directory.
variant plain true || { echo "cannot build a package"; exit 1; }
plant() {
	mkdir -p "$outside/sub/deep" && echo planted > "$outside/sub/deep/notes" &&
		rm -rf "$root/opt/toy/lib/sub" && ln -s "$outside/sub" "$root/opt/toy/lib/sub"
}
SETUP_HOOK=plant
refused "planted link below the target" 3 "\"[^\"]*/opt/toy/lib/sub\" is a symlink" "$outside/sub $outside/sub/deep $outside/sub/deep/notes "
SETUP_HOOK=

toy_stop
t_done
