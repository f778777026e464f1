#!/usr/bin/env bash
# Facts as values (upshift-plan(5) CHECKS, COMMANDS, VARIABLES): ${fact.NAME}
# in a later step's command; at_least:, at_most:, differs:, same: within:;
# reject:; stream: stdout|stderr|both. A service of files: detect reads
# DIR/ver and DIR/rows, the swap writes the new ones, verify compares.
. "$UPSHIFT_SRCDIR/tests/lib/common.sh"
. "$UPSHIFT_SRCDIR/tests/lib/filesvc.sh"

# case NAME NEW_ROWS CHECKS...: a fresh directory whose rows are 100, a
# plan whose swap makes them NEW_ROWS and whose verify has CHECKS (one YAML
# flow mapping each); run it. $dir, $T_OUT, $T_RC are the case's.
case_run() {
	local name=$1 rows=$2 checks=""
	shift 2
	for c in "$@"; do checks="$checks    - $c"$'\n'; done
	filesvc_new "$name" || return 1
	echo 100 > "$dir/rows"
	{ filesvc_head facts; cat <<PLAN; } > "$dir/plan.yaml"
  facts:
    rows: {run: [cat, "\${dir}/rows"]}
    greeting: {run: [sh, -c, 'echo out; echo hello >&2'], stream: stderr}
swap:
  run: [[sh, -c, 'echo 2.0 > "\$1/ver"; echo $rows > "\$1/rows"', sh, "\${dir}"]]
migrate:
  - run: [[sh, -c, 'echo "\$1 \$2" > "\$3/seen"', sh, "\${fact.rows}", "\${fact.greeting}", "\${dir}"]]
verify:
  checks:
$checks
PLAN
	filesvc_run
}

case_run ok 103 '{at_least: rows}' '{same: rows, within: 5%}' \
	'{run: [echo, all fine], reject: "ERROR|corrupt"}' \
	"{run: [sh, -c, 'echo v1.2 >&2'], stream: both, match: 'v1\\.2'}"
check_eq "ok: the run exits 0" "$T_RC" 0
[ "$T_RC" = 0 ] || tail -n 20 "$dir/run.out" | sed 's/^/#   /'
check_eq 'ok: ${fact.rows} and ${fact.greeting} reached the migration' "$(cat "$dir/seen" 2>/dev/null)" "100 hello"
check_match "ok: at_least: holds" "$T_OUT" 'verify: rows holds: 100 before the upgrade, 103 now'

case_run within 106 '{same: rows, within: 5%}'
check "within: a change of 6% fails" test "$T_RC" != 0
check_match "within: the error says by how much" "$T_OUT" 'rows changed by more than 5%: it was 100 before the upgrade and is 106 now'

case_run fell 99 '{at_least: rows}'
check "at_least: fewer rows fail" test "$T_RC" != 0
check_match "at_least: the error says it fell" "$T_OUT" 'rows fell: it was 100 before the upgrade and is 99 now'

case_run grew 101 '{at_most: rows}'
check "at_most: more rows fail" test "$T_RC" != 0
check_match "at_most: the error says it grew" "$T_OUT" 'rows grew: it was 100 before the upgrade and is 101 now'

case_run same 100 '{differs: rows}'
check "differs: an unchanged fact fails" test "$T_RC" != 0
check_match "differs: the error names the value" "$T_OUT" 'rows did not change: it is "100" as before'

case_run reject 100 '{run: [echo, "ERROR: index corrupt"], reject: "ERROR|corrupt"}'
check "reject: matching output fails the check" test "$T_RC" != 0
check_match "reject: the error names the regex" "$T_OUT" 'its output matches /ERROR\|corrupt/ \(reject:\)'

case_run stdout 100 "{run: [sh, -c, 'echo v1.2 >&2'], match: 'v1\\.2'}"
check "stream: by default match: reads stdout only" test "$T_RC" != 0
check_match "stream: the error says it does not match" "$T_OUT" 'does not match /v1\\.2/'

t_done
