#!/usr/bin/env bash
# Directory mappings in swap: "opt/toy/": "${root}/opt/toy/" installs every
# file and symlink below the package's opt/toy/ at the same place below the
# target. Upgrades the toy service (tests/lib/toy.sh) from 0.30.0 to 0.80.2,
# whose release has a file in a directory that 0.30.0 lacks, and checks the
# installed tree file by file against the release; then rolls back and
# checks that the tree is the old one again, the new directory gone. With a
# fault-injection build, crashes inside the swap and resumes or rolls back.
. "$UPSHIFT_SRCDIR/tests/lib/common.sh"
. "$UPSHIFT_SRCDIR/tests/lib/toy.sh"

plan=$UPSHIFT_SRCDIR/tests/data/plans/toy.yaml
root=$T_DIR/root
state=$T_DIR/state
answers=$T_DIR/answers.yaml
pkg=$T_DIR/toy-0.80.2.tar.gz

setup() {
	toy_stop
	rm -rf "$root" "$state" "$T_DIR/backups"
	toy_sandbox "$root" 0.30.0 && toy_start
}

toy_release 0.80.2 "$pkg" || { echo "cannot build the release"; exit 1; }
new_tree=$(toy_release_tree 0.80.2)
old_tree=$(toy_release_tree 0.30.0)
cat > "$answers" <<EOF
root: $root
package: $pkg
backup_dir: $T_DIR/backups
EOF
run=(run "$plan" --answers "$answers" --yes --state-dir "$state")

setup || { echo "cannot set up the toy sandbox"; exit 1; }
check_eq "the sandbox holds release 0.30.0" "$(toy_tree)" "$old_tree"

# upshift plan lists each file below the mapped directory.
run_upshift plan "$plan" --answers "$answers"
check_eq "plan: exit 0" "$T_RC" 0
check_match "plan: a file two directories down" "$T_OUT" "$root/opt/toy/lib/sub/deep/notes <- opt/toy/lib/sub/deep/notes"
check_match "plan: a file in a directory that is new" "$T_OUT" "$root/opt/toy/lib/extra/since <- opt/toy/lib/extra/since"
check_match "plan: a symlink" "$T_OUT" "$root/opt/toy/bin/toyctl <- opt/toy/bin/toyctl \\(a symlink to toyd\\)"

# upgraded NAME: the tree is the new release's, nothing staged is left, the
# data was migrated and the new version serves it.
upgraded() {
	check_eq "$1: exit 0" "$T_RC" 0
	[ "$T_RC" = 0 ] || printf '%s\n' "$T_OUT" | tail -n 5
	check_eq "$1: every file and symlink is the new release's" \
		"$(toy_tree | grep -v '\.upshift-old')" "$new_tree"
	check "$1: toyctl is still a symlink" test -L "$root/opt/toy/bin/toyctl"
	check_eq "$1: the old toy.sh is kept" "$(sed -n 1p "$root/opt/toy/lib/toy.sh.upshift-old")" "VERSION=0.30.0"
	check_eq "$1: nothing staged is left" \
		"$(find "$root" -name '*.upshift-new*' | wc -l)" 0
	check_eq "$1: the installed version" "$(toy_version)" 0.80.2
	check_eq "$1: the data has the new schema" "$(cat "$root/data/schema")" 3
	check_eq "$1: the new version serves it" "$(tail -n 1 "$root/data/served.log")" "v0.80.2 schema 3"
	check "$1: the service runs" toy_running
}

# rolled_back NAME: the old tree, no new directory, old data, old version.
rolled_back() {
	check_eq "$1: exit 4" "$T_RC" 4
	[ "$T_RC" = 4 ] || printf '%s\n' "$T_OUT" | tail -n 5
	check_eq "$1: every file and symlink is the old release's" "$(toy_tree)" "$old_tree"
	check "$1: the new directory is gone" test ! -e "$root/opt/toy/lib/extra"
	check "$1: toyctl is a symlink again" test -L "$root/opt/toy/bin/toyctl"
	check_eq "$1: the old version" "$(toy_version)" 0.30.0
	check_eq "$1: the old schema" "$(cat "$root/data/schema")" 2
	check "$1: the service runs" toy_running
}

run_upshift "${run[@]}"
upgraded "upgrade"
t_track "$(cat "$TOY_PIDFILE" 2>/dev/null || echo 0)"
run_upshift rollback "$plan" --answers "$answers" --yes --state-dir "$state"
rolled_back "rollback"
t_track "$(cat "$TOY_PIDFILE" 2>/dev/null || echo 0)"

# A target changed after detect (backup's before: command rewrites it in
# the same size, its mtime set back): detect's stamp of it must not be
# trusted. The swap hashes it again and journals what it holds now, and
# rollback puts that file back. The file is left until its ctime is over
# 2 s old (lib/stamp.h's STAMP_RACY_NS), so that detect's stamp of it is
# settled: one the swap would trust if it looked at no more than size and
# mtime.
stale_plan=$T_DIR/toy-stale.yaml
notes=$root/opt/toy/lib/sub/deep/notes
{
	sed -n '1,/^backup:$/p' "$plan"
	cat <<'EOF'
  before:
    - shell: 'f=$root/opt/toy/lib/sub/deep/notes; cp -p "$f" "$f.was" && tr a-z A-Z < "$f.was" > "$f" && touch -r "$f.was" "$f" && rm "$f.was"'
EOF
	sed -n '/^backup:$/,$p' "$plan" | tail -n +2
} > "$stale_plan"
# fact_of KEY: the value of fact KEY (a regex) in the journal, the last one.
fact_of() {
	sed -n "s/.*ev: fact, .*key: $1, value: \"\{0,1\}\([^\"}]*\)\"\{0,1\}}.*/\1/p" \
		"$state/journal" | tail -n 1
}
settled() { [ $(($(date +%s) - $(stat -c %Z "$1"))) -ge 3 ]; }
setup || { echo "cannot set up the toy sandbox"; exit 1; }
was_sum=$(sha256sum < "$notes" | cut -d' ' -f1)
check "stale stamp: the target is old enough to be stamped settled" wait_for 10 settled "$notes"
"$UPSHIFT" run "$stale_plan" --answers "$answers" --yes --state-dir "$state" > "$T_DIR/stale.out" 2>&1
check_eq "stale stamp: upgrade exit 0" "$?" 0
changed_sum=$(sha256sum < "$notes.upshift-old" | cut -d' ' -f1)
check "stale stamp: backup's before: changed the target" test "$changed_sum" != "$was_sum"
n=$(sed -n 's/.*ev: fact, .*key: staged\.\([0-9]*\)\.member, value: "\{0,1\}opt\/toy\/lib\/sub\/deep\/notes[",}].*/\1/p' \
	"$state/journal" | tail -n 1)
set -- $(fact_of "staged\\.$n\\.old")
check_eq "stale stamp: detect journaled the target's hash with its stamp" "${1:-}" "$was_sum"
check "stale stamp: that stamp is settled (ctime over 2 s before it was taken)" \
	test "$#" = 8 -a "$((${8:-0} - ${7:-0}))" -gt 2000000000
check_eq "stale stamp: the swap journaled the hash of what the target held then" \
	"$(fact_of "swap\\.old\\.$n\\.sha256")" "$changed_sum"
t_track "$(cat "$TOY_PIDFILE" 2>/dev/null || echo 0)"
run_upshift rollback "$stale_plan" --answers "$answers" --yes --state-dir "$state"
check_eq "stale stamp: rollback exit 4" "$T_RC" 4
check_eq "stale stamp: rollback put back the changed file, as journaled" \
	"$(sha256sum < "$notes" | cut -d' ' -f1)" "$changed_sum"
t_track "$(cat "$TOY_PIDFILE" 2>/dev/null || echo 0)"

# crash_then FAULT LABEL resume|rollback: the upgrade killed by
# UPSHIFT_FAULT=FAULT, then resumed, or rolled back (nothing of it is left:
# no old file, and a new upgrade goes through).
crash_then() {
	local fault=$1 label=$2 then=$3
	setup || { not_ok "$label: cannot set up"; return; }
	UPSHIFT_FAULT=$fault "$UPSHIFT" "${run[@]}" > "$T_DIR/crash.out" 2>&1
	check_eq "$label: killed" "$?" 137
	if [ "$then" = resume ]; then
		run_upshift "${run[@]}"
		upgraded "$label, then resume"
	else
		run_upshift rollback "$plan" --answers "$answers" --yes --state-dir "$state"
		rolled_back "$label, then roll back"
		check_eq "$label, roll back: no old file left" \
			"$(find "$root" -name '*.upshift-old' | wc -l)" 0
		run_upshift "${run[@]}"
		upgraded "$label, roll back, then upgrade again"
		run_upshift rollback "$plan" --answers "$answers" --yes --state-dir "$state"
	fi
	t_track "$(cat "$TOY_PIDFILE" 2>/dev/null || echo 0)"
}

if [ "${UPSHIFT_FAULT_INJECTION:-no}" = yes ]; then
	# Record numbers of the swap's first fact and of its last.
	setup || { echo "cannot set up the toy sandbox"; exit 1; }
	run_upshift "${run[@]}"
	first=$(grep -n 'ev: step_start, step: swap' "$state/journal" | head -n 1 | cut -d: -f1)
	last=$(grep -n 'ev: step_done, step: swap' "$state/journal" | head -n 1 | cut -d: -f1)
	# A rename for each file swapped (each has a swap.old record; a file
	# already new has none), and a link for each old file kept.
	links=$(grep 'key: swap\.old\.' "$state/journal" | grep -vc 'value: "\{0,1\}none"\{0,1\}}')
	fsops=$((links + $(grep -c 'key: swap\.old\.' "$state/journal")))
	t_track "$(cat "$TOY_PIDFILE" 2>/dev/null || echo 0)"
	# records are numbered from 0: line L is record L-1
	for n in $((first + 1)) $(((first + last) / 2)) $((last - 2)); do
		crash_then "crash-after-record=$((n - 1))" "crash after record $n inside the swap" resume
		crash_then "crash-after-record=$((n - 1))" "crash after record $n inside the swap" rollback
	done
	# Kills between two records: after the swap's Nth link or rename. After
	# the first link, the target and TARGET.upshift-old are two names of
	# one inode (rename() of one onto the other does nothing).
	for n in 1 2 5; do
		crash_then "crash-after-fsop=$n" "crash after file operation $n of the swap" resume
		crash_then "crash-after-fsop=$n" "crash after file operation $n of the swap" rollback
	done
	# And at random file operations inside the batches (the seed is
	# printed; UPSHIFT_TEST_SEED repeats a run).
	seed=${UPSHIFT_TEST_SEED:-$$}
	RANDOM=$seed
	echo "# random kills inside the swap's $fsops file operations: seed $seed"
	for i in 1 2 3; do
		n=$((RANDOM % fsops + 1))
		crash_then "crash-after-fsop=$n" "random kill $i (file operation $n of $fsops)" resume
		crash_then "crash-after-fsop=$n" "random kill $i (file operation $n of $fsops)" rollback
	done
fi

toy_stop
t_done
