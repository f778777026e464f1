#!/usr/bin/env bash
# Resume must resume (issue 13): every command upshift prints as what to
# do next is pasted, as printed, and run. The toy service (tests/lib/toy.sh)
# with a migration that fails until a file exists: the failed migration is
# a failure, not an interruption, so "fix the cause, then resume with"
# re-runs it; the hints carry --state-dir and --plans-dir and name the
# right subcommand (upshift rollback after an interrupted rollback).
. "$UPSHIFT_SRCDIR/tests/lib/common.sh"
. "$UPSHIFT_SRCDIR/tests/lib/toy.sh"

root=$T_DIR/root
state=$T_DIR/state
plans=$T_DIR/plans
answers=$T_DIR/answers.yaml
pkg=$T_DIR/toy-0.80.2.tar.gz
fixed=$T_DIR/fixed
tries=$T_DIR/tries

# A directory on PATH where "upshift" is the binary under test, so that a
# printed command runs as the operator would paste it.
mkdir -p "$T_DIR/bin" "$plans"
ln -s "$UPSHIFT" "$T_DIR/bin/upshift"
export PATH="$T_DIR/bin:$PATH"

# The toy plan, with a migration that fails until $fixed exists, saying
# why as restic does: the line that says why is not the last one.
cat > "$T_DIR/migrate.sh" <<EOF
echo try >> "$tries"
[ -e "$fixed" ] && exit 0
echo "repo already locked, waiting up to 0s for the lock" >&2
echo "unable to create lock in backend: repository is already locked by PID 31363 on vm by root (UID 0, GID 0)" >&2
echo "lock was created at 2026-12-05 08:00:00 (1m0s ago)" >&2
echo "storage ID 5d2e8f9a" >&2
echo 'the \`unlock\` command can be used to remove stale locks' >&2
exit 1
EOF
python3 - "$UPSHIFT_SRCDIR/tests/data/plans/toy.yaml" "$plans/toy.yaml" "$fixed" "$T_DIR/migrate.sh" <<'PY'
import sys
src, dst, fixed, script = sys.argv[1:5]
s = open(src).read()
m = '''migrate:
  - run: [[sh, %s]]
''' % script
s = s.replace("migrate:\n", m, 1)
# An online backup command that writes nothing into ${backup_work}.
s = s.replace("""  paths: ["${root}/data"]\n""", """  paths: ["${root}/data"]\n  before: [[test, -d, "${backup_work}"]]\n""", 1)
# The start kills upshift (its parent) once when $fixed.crash exists: a
# rollback interrupted while it starts the old version. That start then
# ends without starting anything (a start left to run on would bring the
# server up later, in the middle of another check).
s = s.replace("""    shell: 'exec""", """    shell: 'if [ -e %s.crash ]; then rm -f %s.crash; kill -9 $PPID; exit 1; fi; exec""" % (fixed, fixed), 1)
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
	rm -rf "$root" "$state" "$T_DIR/backups" "$fixed" "$tries"
	toy_sandbox "$root" 0.30.0 && toy_start
}

# The server upshift started, for cleanup (never pid 0: kill 0 is the group).
track_toy() {
	local pid
	pid=$(toy_pid) && t_track "$pid"
}

# hint TEXT: the line after the one that ends in "with:", as printed.
hint() {
	printf '%s\n' "$1" | grep -A1 -E 'with:$' | sed -n 2p
}

# paste_hint HINT: run it as a shell would, from another directory.
paste_hint() {
	if [ -z "$1" ]; then T_OUT="no hint was printed"; T_RC=127; return; fi
	T_OUT=$(cd / && eval "$1" 2>&1 </dev/null)
	T_RC=$?
}

# paste_on_terminal HINT: the same on a terminal (line frontend: TERM=dumb),
# typing "yes" to each confirmation.
paste_on_terminal() {
	T_OUT=$(cd / && yes yes | head -n 20 | TERM=dumb timeout 120 script -qec "$1" /dev/null 2>&1)
	T_RC=$?
}

# 1. A migration that exits non-zero failed: fix the cause, paste the hint.
setup || { echo "cannot set up the toy sandbox"; exit 1; }
run_upshift run toy --plans-dir "$plans" --answers "$answers" --yes --state-dir "$state"
check_eq "a failed migration: exit 1" "$T_RC" 1
check_match "it says to fix the cause and resume" "$T_OUT" 'fix the cause, then resume with:$'
check_match "the error's headline is the line that says why" "$T_OUT" \
	'^upshift: error: .* failed with exit status 1: unable to create lock in backend: repository is already locked by PID 31363'
check_match "the whole output is in the log" "$(cat "$state"/log/run-1-*.log)" 'command can be used to remove stale locks'
h=$(hint "$T_OUT")
check_match "the hint sits on its own line, with both directories" "$h" \
	"^ *upshift run toy --plans-dir $plans --answers $answers --yes --state-dir $state\$"
paste_hint "$h"
check_eq "pasted before the fix, the hint fails in the migration again" "$T_RC" 1
check_eq "having run it again" "$(wc -l < "$tries")" 2
check_eq "and prints the same hint" "$(hint "$T_OUT")" "$h"
run_upshift status toy --plans-dir "$plans" --state-dir "$state"
check_match "status: failed in migrate" "$T_OUT" '^  failed in migrate; fix the cause, then resume with:$'
check_match "status: the service is down since the stop" "$T_OUT" '^  service: down since 20[0-9-]+T[0-9:]+Z'
hs=$(hint "$T_OUT")
check_eq "status's hint, with both directories" "$hs" "    upshift run toy --plans-dir $plans --state-dir $state"
touch "$fixed"
paste_on_terminal "$hs"
check_eq "status's hint, pasted on a terminal, finishes the upgrade" "$T_RC" 0
[ "$T_RC" = 0 ] || printf '%s\n' "$T_OUT" | tail -n 5
check_eq "it ran the failed migration again" "$(wc -l < "$tries")" 3
check_eq "no empty work directory is left beside the backup" "$(ls "$T_DIR/backups")" \
	"$(cd "$T_DIR/backups" && ls toy-*.tar.zst)"
run_upshift status toy --plans-dir "$plans" --state-dir "$state"
check_match "status: up on the new version" "$T_OUT" '^  service: up on the new version 0.80.2 since'
check_eq "the data was migrated" "$(cat "$root/data/schema")" 3
track_toy

# 2. A rollback interrupted: every hint names upshift rollback, and works.
setup || { echo "cannot set up the toy sandbox"; exit 1; }
run_upshift run toy --plans-dir "$plans" --answers "$answers" --yes --state-dir "$state"
check_eq "the migration fails again" "$T_RC" 1
touch "$fixed.crash"
run_upshift rollback toy --plans-dir "$plans" --yes --state-dir "$state"
check_eq "the rollback is killed while it starts the old version" "$T_RC" 137
check "a rollback does not say it resumes an upgrade" sh -c "! printf '%s' \"\$1\" | grep -q 'resuming an upgrade'" sh "$T_OUT"
check_match "the restore is named as such" "$T_OUT" '==> step 6/8 migrate: Restore the data from the verified backup'
check "not as \"migrate: undo\"" sh -c "! printf '%s' \"\$1\" | grep -q 'migrate: undo\$'" sh "$T_OUT"
check_match "the run log names the restore" "$(cat "$state"/log/run-*.log)" '\] restore: Restore the data'

run_upshift run toy --plans-dir "$plans" --answers "$answers" --yes --state-dir "$state"
check_eq "run after an interrupted rollback: refused" "$T_RC" 2
h=$(hint "$T_OUT")
check_match "it says to finish the rollback, with both directories" "$h" \
	"^ *upshift rollback toy --plans-dir $plans --answers $answers --yes --state-dir $state\$"
run_upshift status toy --plans-dir "$plans" --state-dir "$state"
check_match "status says a rollback is to be finished" "$T_OUT" 'rollback.*with:$'
hs=$(hint "$T_OUT")
check_eq "status's hint is upshift rollback, with both directories" "$hs" \
	"    upshift rollback toy --plans-dir $plans --state-dir $state"
check_match "status: the service is down" "$T_OUT" '^  service: down since'
paste_hint "$h"
check_eq "the pasted hint finishes the rollback" "$T_RC" 4
[ "$T_RC" = 4 ] || printf '%s\n' "$T_OUT" | tail -n 5
paste_on_terminal "$hs"
check_eq "status's hint, pasted on a terminal, runs: nothing left to roll back" "$T_RC" 0
check_match "it says so" "$T_OUT" 'nothing to roll back: the upgrade was rolled back already'
run_upshift status toy --plans-dir "$plans" --state-dir "$state"
check_match "status: the rolled-back upgrade is history" "$T_OUT" '^  history: an earlier upgrade was rolled back'
check_match "status: no upgrade in progress" "$T_OUT" '^  no upgrade in progress'
check_match "status: up on the old version" "$T_OUT" '^  service: up on the old version'
check_eq "the old version runs" "$(toy_version)" 0.30.0
check "it serves" toy_running
track_toy

# 3. A preflight refusal changes nothing: no state directory is left, and
# no resume is suggested.
setup || { echo "cannot set up the toy sandbox"; exit 1; }
toy_stop
run_upshift run toy --plans-dir "$plans" --answers "$answers" --yes --state-dir "$state"
check_eq "a refused check (the service is not running): exit 3" "$T_RC" 3
check_match "it says why" "$T_OUT" 'toyd is not running'
check "no state directory is left" test ! -e "$state"
check "no resume is suggested" sh -c "! printf '%s' \"\$1\" | grep -q 'resume'" sh "$T_OUT"
check_eq "nothing is staged beside the files" "$(find "$root" -name '*.upshift-*' | wc -l)" 0

# 4. Directories answered with a trailing slash: no path prints with "//".
setup || { echo "cannot set up the toy sandbox"; exit 1; }
touch "$fixed"
printf 'root: %s/\npackage: %s\nbackup_dir: %s/backups/\n' "$root" "$pkg" "$T_DIR" > "$T_DIR/slash.yaml"
run_upshift run toy --plans-dir "$plans" --answers "$T_DIR/slash.yaml" --yes --state-dir "$state/"
check_eq "trailing slashes: exit 0" "$T_RC" 0
check_eq "no path prints with //" "$(printf '%s\n' "$T_OUT" | grep -c '//')" 0
track_toy

# 5. The plan edited between a failed run and its resume: said first, with
# what changed, then the run goes on with the edited plan.
setup || { echo "cannot set up the toy sandbox"; exit 1; }
run_upshift run toy --plans-dir "$plans" --answers "$answers" --yes --state-dir "$state"
check_eq "the migration fails" "$T_RC" 1
cp "$plans/toy.yaml" "$T_DIR/toy.yaml.orig"
sed -i "s|  - run: \[\[sh, $T_DIR/migrate.sh\]\]|  - run: [[sh, -c, 'touch $fixed; sh $T_DIR/migrate.sh']]|" "$plans/toy.yaml"
check "the plan was edited" sh -c "! cmp -s '$plans/toy.yaml' '$T_DIR/toy.yaml.orig'"
run_upshift run toy --plans-dir "$plans" --answers "$answers" --yes --state-dir "$state"
check_eq "the edited plan finishes the upgrade" "$T_RC" 0
first=$(printf '%s\n' "$T_OUT" | grep -n -m1 'the plan changed since the last run' | cut -d: -f1)
step=$(printf '%s\n' "$T_OUT" | grep -n -m1 -E '==> step|done in an earlier run|preflight checks' | cut -d: -f1)
check "it says the plan changed, before any step" test "${first:-999}" -lt "${step:-0}"
check_match "it shows the line taken out" "$T_OUT" "^.*-   - run: \\[\\[sh, $T_DIR/migrate.sh\\]\\]"
check_match "and the line put in" "$T_OUT" "^.*\\+   - run: \\[\\[sh, -c, 'touch"
track_toy

# 6. The state directory's disk fails once the service is stopped (the
# plan's stop command fills it, as a disk gone read-only would refuse the
# write; a busy tmpfs cannot be remounted read-only): the last lines say the
# service is down, how to start the old version by hand, and name a log
# off that disk. Needs a tmpfs (root); skipped without one.
fs=$T_DIR/statefs
mkdir -p "$fs" "$T_DIR/plans-ro"
if mount -t tmpfs -o size=8m tmpfs "$fs" 2>/dev/null; then
	trap 'umount "$fs" 2>/dev/null; t_cleanup' EXIT
	sed "s|^stop: {}|stop: {run: [[sh, -c, 'cat /dev/zero > $fs/fill 2>/dev/null; true']]}|" "$plans/toy.yaml" > "$T_DIR/plans-ro/toy.yaml"
	setup || { echo "cannot set up the toy sandbox"; exit 1; }
	err=$(cd "$T_DIR" && TMPDIR="$T_DIR" "$UPSHIFT" run toy --plans-dir "$T_DIR/plans-ro" \
		--answers "$answers" --yes --state-dir "$fs/state" 2>&1 >/dev/null)
	check_eq "a journal write fails after the stop: exit 1" "$?" 1
	check "the disk is full" sh -c "! echo x 2>/dev/null > '$fs/x'"
	toy_down() { ! toy_running; }
	check "the service is down" toy_down
	check_match "the last lines say the service is down" "$(printf '%s\n' "$err" | tail -n 8)" 'the service is DOWN'
	check_match "and how to start the old version by hand" "$err" 'start it by hand with:$'
	start=$(printf '%s\n' "$err" | grep -A1 'start it by hand with:$' | sed -n 2p)
	note=$(printf '%s\n' "$err" | sed -n 's/^this is also written to \([^ ]*\) .*/\1/p')
	check_match "and name a log off the failed disk" "$note" "^$T_DIR/upshift-toy-"
	check "that log exists" test -s "$note"
	# Where the write failed depends on the room left in the journal's
	# last page: before the swap, the old version starts by hand; after
	# it, the rollback printed works once the disk has room again.
	if printf '%s\n' "$err" | grep -q 'roll back with:$'; then
		rm -f "$fs/fill"
		paste_hint "$(hint "$err")"
		check_eq "the swap had begun: the pasted rollback works once the disk has room" "$T_RC" 4
	else
		(cd / && eval "$start") >/dev/null 2>&1
	fi
	check "the old version runs again" wait_for 20 toy_running
	check_eq "it is the old version" "$(toy_version)" 0.30.0
	track_toy
	umount "$fs"
else
	echo "# cannot mount a tmpfs: the read-only disk is not checked here"
fi

t_done
