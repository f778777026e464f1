#!/usr/bin/env bash
# undo: beside run: (issue 13): disconnect's commands change the server
# outside its data (an account turned off, a setting changed); the upgrade
# fails after disconnect (the plan's stop command fails), and upshift
# rollback runs each completed command's undo, last first. An undo that
# fails is reported with its command and exit status, the others still
# run, the rollback exits non-zero; run again once the cause is fixed, it
# runs only the undo that failed.
. "$UPSHIFT_SRCDIR/tests/lib/common.sh"
. "$UPSHIFT_SRCDIR/tests/lib/redis.sh"

port=$(free_port) || { echo "no free port"; exit 1; }
redis_sandbox "$T_DIR/redis" "$port" || { echo "cannot set up the Redis sandbox"; exit 1; }
redis_start && redis_fill && redis_snapshot || { echo "cannot start and fill redis"; exit 1; }
t_track "$(redis_pid)"
state=$T_DIR/state
answers=$T_DIR/answers.yaml
redis_answers "$answers"
rcli ACL SETUSER app on '>apppass' '~*' '+@all' >/dev/null || { echo "cannot add the user"; exit 1; }
rcli CONFIG SET maxmemory-samples 5 >/dev/null || { echo "cannot set maxmemory-samples"; exit 1; }

cli='"${bin_dir}/redis-cli", -h, "${host}", -p, "${port}"'
# Undone last first: C's undo sets 8, A's sets 6, so 6 is left only when
# A's runs last. D's undo counts its runs, and fails until a file exists.
redis_plan_variant '  timeout: 30s

stop:' "  timeout: 30s
  run:
    - run: [$cli, CONFIG, SET, maxmemory-samples, \"7\"]
      undo: [$cli, CONFIG, SET, maxmemory-samples, \"6\"]
    - run: [$cli, ACL, SETUSER, app, \"off\"]
      undo: [$cli, ACL, SETUSER, app, \"on\"]
    - run: [true]
      undo: [sh, -c, 'echo x >> \"\$0\"; test -e \"\$0.ok\"', \"$T_DIR/undo-d\"]
    - run: [$cli, CONFIG, SET, maxmemory-samples, \"9\"]
      undo: [$cli, CONFIG, SET, maxmemory-samples, \"8\"]
    - run: [$cli, PING]
      when: {version: \"<1.0\"}
      undo: [sh, -c, 'echo ran > \"\$0\"', \"$T_DIR/skipped\"]

stop:" '  confirm: "Redis saves its dataset on shutdown (SHUTDOWN SAVE)."
' '  confirm: "Redis saves its dataset on shutdown (SHUTDOWN SAVE)."
  run: [sh, -c, "exit 7"]
' || { echo "cannot write the plan"; exit 1; }

app_flags() { rcli ACL GETUSER app 2>/dev/null | sed -n '/^flags$/{n;p}'; }
samples() { rcli CONFIG GET maxmemory-samples 2>/dev/null | sed -n 2p; }

run_upshift run redis --plans-dir "$T_DIR/plans" --answers "$answers" --yes --state-dir "$state"
check_eq "the upgrade fails at stop (exit 1)" "$T_RC" 1
check_match "because of the plan's stop command" "$T_OUT" "exit status 7"
check_match "disconnect turned the account off" "$(app_flags)" "off"
check_eq "and changed the setting" "$(samples)" 9
order=$(grep -oh 'confirmed by --yes: Stop the service\|maxmemory-samples 7' "$state"/log/run-1-*.log | tr '\n' ' ')
check_match "--yes confirms the stop before disconnect runs anything" "$order" \
	'^confirmed by --yes: Stop the service maxmemory-samples 7 $'
check "each completed command's undo is journaled" \
	test "$(grep -c 'key: cmd_undo\.[0-9]*, value: "*disconnect 1 ' "$state/journal")" -eq 4

run_upshift rollback redis --plans-dir "$T_DIR/plans" --answers "$answers" --yes --state-dir "$state"
check_eq "a rollback with an undo that fails exits 1" "$T_RC" 1
check_match "it names the command that failed, pasteably, and its exit status" "$T_OUT" \
	"undo failed: command \"sh -c 'echo x >> \"\\\$0\"; test -e \"\\\$0.ok\"' $T_DIR/undo-d\" failed with exit status 1"
check_match "it ends saying what is left to do" "$T_OUT" "undo command\\(s\\) failed"
check_match "the account is on again" "$(app_flags)" "^on"
check_eq "the setting is as the first command's undo left it (last first)" "$(samples)" 6
check "the undo of a command skipped by its when: did not run" test ! -e "$T_DIR/skipped"
check_eq "the failing undo ran once" "$(wc -l < "$T_DIR/undo-d")" 1
check "redis still answers" redis_ping

# Fixed: the rollback run again runs only the undo that failed.
touch "$T_DIR/undo-d.ok"
rcli CONFIG SET maxmemory-samples 5 >/dev/null
run_upshift rollback redis --plans-dir "$T_DIR/plans" --answers "$answers" --yes --state-dir "$state"
check_eq "the rollback run again exits 4 (rolled back)" "$T_RC" 4
check_eq "the failed undo ran again" "$(wc -l < "$T_DIR/undo-d")" 2
check_eq "the undos done before did not run twice" "$(samples)" 5
check "the second rollback's undo is journaled as done" \
	test "$(grep -c 'key: cmd_undo\.[0-9]*\.done' "$state/journal")" -eq 4
t_track "$(redis_pid)"
t_done
