#!/usr/bin/env bash
# disconnect: before_drain: and on_timeout: continue (upshift-plan(5)
# disconnect): a client that cannot be kicked (a protocol without a way to
# disconnect one, as memcached's) is named in a warning and the upgrade goes
# on; before_drain: commands run before the clients are listed. Without
# on_timeout: continue the same client stops the upgrade. A service of files.
. "$UPSHIFT_SRCDIR/tests/lib/common.sh"
. "$UPSHIFT_SRCDIR/tests/lib/filesvc.sh"

# case_run NAME ON_TIMEOUT_LINE: a fresh directory with one client that
# never leaves, a plan, a run. $dir, $T_OUT, $T_RC are the case's.
case_run() {
	filesvc_new "$1" || return 1
	echo "id=7 addr=127.0.0.1:40000" > "$dir/clients"
	{ filesvc_head stay; cat <<PLAN; } > "$dir/plan.yaml"
disconnect:
  before_drain:
    - [sh, -c, 'echo locked >> "\$1/order"', sh, "\${dir}"]
  clients:
    run: [sh, -c, 'echo listed >> "\$1/order"; cat "\$1/clients"', sh, "\${dir}"]
    lines: true
  timeout: 1s
  $2
swap:
  run: [[sh, -c, 'echo 2.0 > "\$1/ver"', sh, "\${dir}"]]
PLAN
	filesvc_run
}

case_run go_on 'on_timeout: continue'
check_eq "continue: the run exits 0" "$T_RC" 0
[ "$T_RC" = 0 ] || tail -n 15 "$dir/run.out" | sed 's/^/#   /'
check_match "continue: a warning names the client still there" "$T_OUT" \
	'1 client\(s\) still connected after 1\.0s, going on \(on_timeout: continue\): id=7 addr=127\.0\.0\.1:40000'
check_eq "continue: the upgrade went on" "$(cat "$dir/ver")" 2.0
check_eq "before_drain: ran first, before the clients were listed" "$(head -n 1 "$dir/order" 2>/dev/null)" locked
check_eq "before_drain: ran once" "$(grep -c locked "$dir/order" 2>/dev/null)" 1
run_upshift plan "$dir/plan.yaml" --answers "$dir/answers.yaml"
check_match "upshift plan shows before_drain:" "$T_OUT" 'before the drain.*echo locked'
check_match "upshift plan shows on_timeout: continue" "$T_OUT" 'after the timeout: a warning, and the upgrade goes on'

case_run refuse ''
check "default: the client stops the upgrade" test "$T_RC" != 0
check_match "default: the error says a client is still connected" "$T_OUT" '1 client\(s\) still connected after 1\.0s'
check_eq "default: nothing was swapped" "$(cat "$dir/ver")" 1.0

t_done
