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

EXTRA=()

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

# refused NAME RC REGEX [OUTSIDE]: upshift plan, then a run, exit RC with
# one error line matching REGEX, and nothing changed (OUTSIDE: what $outside holds, paths each
# followed by a space).
refused() {
	local name=$1 want=$2 re=$3 pid err rc tree
	setup || { not_ok "$name: cannot set up"; return; }
	pid=$(toy_pid)
	tree=$(toy_tree)
	# upshift plan runs the same checks, and refuses the same way
	err=$("$UPSHIFT" plan "$plan" --answers "$answers" "${EXTRA[@]}" 2>&1 >/dev/null)
	rc=$?
	check_eq "$name: upshift plan: exit $want" "$rc" "$want"
	check_eq "$name: upshift plan: one line of error" "$(printf '%s\n' "$err" | grep -c .)" 1
	check_match "$name: upshift plan: the error names it" "$err" "$re"
	err=$("$UPSHIFT" run "$plan" --answers "$answers" --yes --state-dir "$state" "${EXTRA[@]}" 2>&1 >/dev/null)
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

# Modes. A zip whose members lack the x bit (as one made on Windows does):
# toyd, executable in place, would not start after the swap.
variant plain true || { echo "cannot build a package"; exit 1; }
python3 - "$T_DIR/variant-plain" "$T_DIR/nox.zip" <<'PY' || { echo "cannot build a zip"; exit 1; }
import os, sys, zipfile
src, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(out, "w") as z:
    for d, _, files in sorted(os.walk(src)):
        for name in sorted(files):
            path = os.path.join(d, name)
            info = zipfile.ZipInfo(os.path.relpath(path, src))
            info.external_attr = 0o100644 << 16
            with open(path, "rb") as f:
                z.writestr(info, f.read())
PY
sed -i "s|^package:.*|package: $T_DIR/nox.zip|" "$answers"
refused "zip without the x bit" 2 'member "opt/toy/bin/toy(ctl|d)" has mode 0644, without the x bit, but its target "[^"]*/opt/toy/bin/toy(ctl|d)" is executable'

# A member writable by group and others is installed without those bits.
variant writable sh -c 'chmod 0777 opt/toy/lib/toy.sh && chmod 0666 opt/toy/lib/extra/since' || { echo "cannot build a package"; exit 1; }
setup || { echo "cannot set up the toy sandbox"; exit 1; }
run_upshift run "$plan" --answers "$answers" --yes --state-dir "$state"
check_eq "writable members: the upgrade goes through" "$T_RC" 0
check_eq "writable members: toy.sh is 0755" "$(stat -c %a "$root/opt/toy/lib/toy.sh")" 755
check_eq "writable members: a new file is 0644" "$(stat -c %a "$root/opt/toy/lib/extra/since")" 644
check_eq "writable members: nothing staged is writable by others" \
	"$(find "$root" "$state" -type f -perm /022 | wc -l)" 0
t_track "$(toy_pid || echo 0)"

# Entries the plan does not map that would be refused if it did (a FIFO, a
# setuid file, a link out of the package, beside opt/toy/): one warning
# line names them; --strict-packages refuses the package.
variant unmapped sh -c 'mkdir -p opt/other && mkfifo opt/other/fifo &&
	echo x > opt/other/su && chmod 4755 opt/other/su && ln -s /etc/passwd opt/other/abs' ||
	{ echo "cannot build a package"; exit 1; }
names='opt/other/fifo.*opt/other/su.*opt/other/abs|opt/other/abs.*opt/other/fifo.*opt/other/su|opt/other/fifo.*opt/other/abs.*opt/other/su'
EXTRA=(--strict-packages)
refused "unmapped hostile entries, --strict-packages" 2 "3 entries the plan does not map .*($names)"
EXTRA=()
setup || { echo "cannot set up the toy sandbox"; exit 1; }
err=$("$UPSHIFT" plan "$plan" --answers "$answers" 2>&1 >/dev/null)
check_eq "unmapped hostile entries: upshift plan exits 0" "$?" 0
check_eq "unmapped hostile entries: upshift plan warns in one line" "$(printf '%s\n' "$err" | grep -c .)" 1
check_match "unmapped hostile entries: upshift plan names them" "$err" "^upshift: warning: .*3 entries the plan does not map .*($names)"
run_upshift run "$plan" --answers "$answers" --yes --state-dir "$state"
check_eq "unmapped hostile entries: the upgrade goes through" "$T_RC" 0
check_eq "unmapped hostile entries: one warning line" "$(printf '%s\n' "$T_OUT" | grep -c 'entries the plan does not map')" 1
check_match "unmapped hostile entries: the warning names them" "$T_OUT" "3 entries the plan does not map .*($names)"
t_track "$(toy_pid || echo 0)"

# A link planted after detect looked (here by the plan's disconnect, as
# anything could while the service stops): the swap looks again, and fails
# before it touches a file instead of writing through it.
mkdir -p "$T_DIR/plans"
sed -e "s|^stop: {}|disconnect:\n  run:\n    - run: [sh, -c, 'mkdir -p \"\$\$1/sub/deep\" \&\& rm -rf \"\$\$0/opt/toy/lib/sub\" \&\& ln -s \"\$\$1/sub\" \"\$\$0/opt/toy/lib/sub\"', \"\${root}\", \"$outside\"]\n\nstop: {}|" \
	"$plan" > "$T_DIR/plans/toy-plant.yaml"
grep -q 'ln -s' "$T_DIR/plans/toy-plant.yaml" || { echo "cannot write the planting plan"; exit 1; }
variant plain true || { echo "cannot build a package"; exit 1; }
setup || { echo "cannot set up the toy sandbox"; exit 1; }
run_upshift run "$T_DIR/plans/toy-plant.yaml" --answers "$answers" --yes --state-dir "$state"
check "planted after detect: the run fails" test "$T_RC" -ne 0
check_match "planted after detect: the error names the link" "$T_OUT" "\"[^\"]*/opt/toy/lib/sub\" is a symlink below the mapped directory"
check_eq "planted after detect: nothing written outside" "$(find "$outside" -mindepth 1 | LC_ALL=C sort | tr '\n' ' ')" "$outside/sub $outside/sub/deep "
check_eq "planted after detect: no old file kept (nothing swapped)" "$(find "$root" -name '*.upshift-old' | wc -l)" 0
run_upshift rollback "$T_DIR/plans/toy-plant.yaml" --answers "$answers" --yes --state-dir "$state"
t_track "$(toy_pid || echo 0)"

# A link planted after the swap (by the new release, or anyone, before a
# rollback): rollback looks again beneath the mapped directory, and refuses
# before it removes or renames a file through the link, instead of deleting
# lib/extra/since (new in 0.80, so removed by rollback) outside.
variant plain true || { echo "cannot build a package"; exit 1; }
setup || { echo "cannot set up the toy sandbox"; exit 1; }
before=$(toy_tree)
run_upshift run "$plan" --answers "$answers" --yes --state-dir "$state"
check_eq "planted after the swap: the upgrade goes through" "$T_RC" 0
t_track "$(toy_pid || echo 0)"
mkdir -p "$outside/extra" && echo outside > "$outside/extra/since" &&
	rm -rf "$root/opt/toy/lib/extra" && ln -s "$outside/extra" "$root/opt/toy/lib/extra" ||
	{ echo "cannot plant the link"; exit 1; }
olds=$(find "$root" -name '*.upshift-old' | LC_ALL=C sort)
run_upshift rollback "$plan" --answers "$answers" --yes --state-dir "$state"
check "planted after the swap: the rollback fails" test "$T_RC" -ne 0 -a "$T_RC" -ne 4
check_match "planted after the swap: the error names the link" "$T_OUT" \
	"\"[^\"]*/opt/toy/lib/extra\" is a symlink below the mapped directory"
check_eq "planted after the swap: nothing outside removed" "$(cat "$outside/extra/since" 2>&1)" outside
check_eq "planted after the swap: no old file put back yet" \
	"$(find "$root" -name '*.upshift-old' | LC_ALL=C sort)" "$olds"
t_track "$(toy_pid || echo 0)"
# The link removed, the rollback goes through.
rm "$root/opt/toy/lib/extra"
run_upshift rollback "$plan" --answers "$answers" --yes --state-dir "$state"
check_eq "planted after the swap, link removed: the rollback goes through" "$T_RC" 4
check_eq "planted after the swap, link removed: the old release is back" "$(toy_tree)" "$before"
t_track "$(toy_pid || echo 0)"

# Two packages (swap: packages:), each holding an entry the plan does not
# map that would be refused if it did: the one warning line says which
# package each entry comes from.
variant unmapped sh -c 'mkdir -p opt/other && mkfifo opt/other/fifo' ||
	{ echo "cannot build a package"; exit 1; }
mkdir -p "$T_DIR/extra/opt/extra/bin" && printf '#!/bin/sh\necho extra\n' > "$T_DIR/extra/opt/extra/bin/tool" &&
	chmod 0755 "$T_DIR/extra/opt/extra/bin/tool" && mkfifo "$T_DIR/extra/opt/extra/pipe" &&
	tar -C "$T_DIR/extra" -czf "$T_DIR/extra.tar.gz" opt || { echo "cannot build the extra package"; exit 1; }
echo "extra: $T_DIR/extra.tar.gz" >> "$answers"
awk '
	/^swap:/ { skip = 1; print "swap:\n  packages:\n    toy:\n      package: \"${package}\"\n" \
		"      files:\n        opt/toy/: \"${root}/opt/toy/\"\n    toy-extra:\n" \
		"      package: \"${extra}\"\n      files:\n" \
		"        opt/extra/bin/tool: \"${root}/opt/toy-extra-tool\"\n"; next }
	skip && /^[a-z]/ { skip = 0 }
	skip { next }
	/^ask:/ { print; print "  - {key: extra, text: The extra package, type: file}"; next }
	{ print }
' "$plan" > "$T_DIR/toy-two.yaml"
setup || { echo "cannot set up the toy sandbox"; exit 1; }
err=$("$UPSHIFT" plan "$T_DIR/toy-two.yaml" --answers "$answers" 2>&1 >/dev/null)
check_eq "two packages, unmapped entries: upshift plan exits 0" "$?" 0
check_eq "two packages, unmapped entries: upshift plan warns in one line" "$(printf '%s\n' "$err" | grep -c .)" 1
check_match "two packages, unmapped entries: upshift plan names each entry's package" "$err" \
	'2 entries the plan does not map .*: opt/other/fifo \(a FIFO\) in package toy, opt/extra/pipe \(a FIFO\) in package toy-extra; '
run_upshift run "$T_DIR/toy-two.yaml" --answers "$answers" --yes --state-dir "$state"
check_eq "two packages, unmapped entries: the upgrade goes through" "$T_RC" 0
check_match "two packages, unmapped entries: the warning names each entry's package" "$T_OUT" \
	'2 entries the plan does not map .*: opt/other/fifo \(a FIFO\) in package toy, opt/extra/pipe \(a FIFO\) in package toy-extra; '
check "two packages: the extra package's file is in place" cmp -s "$root/opt/toy-extra-tool" "$T_DIR/extra/opt/extra/bin/tool"
t_track "$(toy_pid || echo 0)"
# The report, the journal and upshift status name both packages (a .tar.gz
# says no version: the names alone).
check_match "two packages: the report names both" "$T_OUT" 'upgraded: 0\.30\.0 -> 0\.80\.2 \(packages toy, toy-extra\)'
check "two packages: the journal names both" grep -Eq 'key: packages, value: "?toy, toy-extra"?}' "$state/journal"
run_upshift status "$T_DIR/toy-two.yaml" --state-dir "$state"
check_match "two packages: upshift status names both" "$T_OUT" '^  packages toy, toy-extra$'

toy_stop
t_done
