#!/usr/bin/env bash
# migrate: changes_data: false (upshift-plan(5) migrate): a migration that
# changes nothing is not confirmed as a data change, and when upshift dies
# while it runs it is run again on resume, where a data-changing migration
# without a probe stops as in doubt. A service of files; the migration kills
# its parent (upshift, by the pid the shell was given) once. The same key on
# a check.
. "$UPSHIFT_SRCDIR/tests/lib/common.sh"
. "$UPSHIFT_SRCDIR/tests/lib/filesvc.sh"

# case_setup NAME CHANGES_DATA_LINE: a fresh directory and plan in $dir.
case_setup() {
	filesvc_new "$1" || return 1
	{ filesvc_head keeps; cat <<PLAN; } > "$dir/plan.yaml"
swap:
  run: [[sh, -c, 'echo 2.0 > "\$1/ver"', sh, "\${dir}"]]
migrate:
  - $2
    run:
      - [sh, -c, '[ -e "\$1/crashed" ] || { : > "\$1/crashed"; kill -9 \$PPID; exit 1; }; echo ok >> "\$1/tested"', sh, "\${dir}"]
  - run: [[sh, -c, 'echo done >> "\$1/migrated"', sh, "\${dir}"]]
PLAN
}

case_setup keeps 'changes_data: false'
printf 'dir: %s\n' "$dir" > "$dir/answers.yaml"
run_upshift plan "$dir/plan.yaml" --answers "$dir/answers.yaml"
check_match "upshift plan says the migration changes no data" "$T_OUT" 'changes no data \(not confirmed\)'
filesvc_run
check_eq "keeps: the first run was killed (SIGKILL) in the migration" "$T_RC" 137
filesvc_run
check_eq "keeps: the resumed run exits 0" "$T_RC" 0
[ "$T_RC" = 0 ] || printf '%s\n' "$T_OUT" | tail -n 15 | sed 's/^/#   /'
check_match "keeps: it says the migration runs again" "$T_OUT" 'migration 1 \(changes_data: false\) was interrupted: running it again'
check_eq "keeps: the migration ran to its end once" "$(cat "$dir/tested" 2>/dev/null)" ok
check_eq "keeps: the data-changing migration ran once" "$(cat "$dir/migrated" 2>/dev/null)" done
confirms=$(cat "$dir"/state/log/*.log | grep -c 'confirmed by --yes: Migrate data')
check_eq "keeps: only the data-changing migration was confirmed" "$confirms" 1

# The same plan without changes_data: false: in doubt, with no probe.
case_setup changes ''
filesvc_run
check_eq "changes: the first run was killed (SIGKILL) in the migration" "$T_RC" 137
filesvc_run
check "changes: the resumed run stops" test "$T_RC" != 0
check_match "changes: as in doubt" "$T_OUT" 'migration 1 was interrupted and the plan has no probe'
check_eq "changes: the migration did not run again" "$(cat "$dir/tested" 2>/dev/null)" ""

# On a check, changes_data: false says what every check is: not confirmed
# as a data change, and when upshift dies while it runs it is run again on
# resume. (changes_data: true on a check is refused: tests/data/bad-plans.)
filesvc_new check
{ filesvc_head check; cat <<PLAN; } > "$dir/plan.yaml"
swap:
  run: [[sh, -c, 'echo 2.0 > "\$1/ver"', sh, "\${dir}"]]
verify:
  checks:
    - run: [sh, -c, '[ -e "\$1/crashed" ] || { : > "\$1/crashed"; kill -9 \$PPID; exit 1; }; echo ok >> "\$1/checked"', sh, "\${dir}"]
      changes_data: false
PLAN
filesvc_run
check_eq "check: the first run was killed (SIGKILL) in the check" "$T_RC" 137
filesvc_run
check_eq "check: the resumed run exits 0" "$T_RC" 0
[ "$T_RC" = 0 ] || printf '%s\n' "$T_OUT" | tail -n 15 | sed 's/^/#   /'
check_eq "check: the check ran to its end once" "$(cat "$dir/checked" 2>/dev/null)" ok

t_done
