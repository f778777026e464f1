#!/usr/bin/env bash
# The SSH session drops during a 20-second migration (the whole tmux server
# is killed): the engine's worker lets the migration finish, then waits for
# the operator before the next step, and upshift status says so. upshift run
# on a new terminal re-attaches: it shows the same step and what was logged
# meanwhile, and the upgrade completes from there. The journal is the one
# an uninterrupted run writes.
. "$UPSHIFT_SRCDIR/tests/lib/common.sh"
. "$UPSHIFT_SRCDIR/tests/lib/redis.sh"
. "$UPSHIFT_SRCDIR/tests/lib/tui.sh"

redis_upgrade_setup
rm -f "$answers"
migrate=$(cat <<EOF
migrate:
  - run: [sh, -c, 'for i in \$(seq 1 20); do echo "migrating \$i of 20"; sleep 1; done; echo done >> $T_DIR/migrated']
EOF
)
redis_plan_variant "migrate: []" "$migrate" || { echo "cannot write the plan"; exit 1; }
status() { "$UPSHIFT" status redis --plans-dir "$TUI_PLANS" --state-dir "$state" 2>&1; }
# The journal's events in order, without times and durations.
events() { sed -n 's/.*\(ev: [a-z_]*\)\(, step: [a-z]*\)\{0,1\}\(, key: [^,]*\)\{0,1\}.*/\1\2\3/p' "$1"; }

TUI_ENV=$(tui_no_leak_check) tui_start_redis 120 40 run
tui_through_review
check_screen "the stop asks for confirmation" "Yes: Stop the service" 60
tui_keys Down Enter
check_screen "the migration asks for confirmation" "Yes: Migrate data" 60
tui_keys Down Enter
check_screen "the migration runs" "migrating 2 of 20" 30
check "the socket of the worker is in the state directory" test -S "$state/worker.sock"
check_eq "the socket is the worker's user's only" "$(stat -c %a "$state/worker.sock")" 600
worker=$(status | sed -n 's/.*worker pid \([0-9]*\).*/\1/p')
check_match "upshift status names the worker and the wizard attached" "$(status)" "worker pid [0-9]+; wizard attached: "
[ -n "$worker" ] && t_track "$worker"
check_match "upshift status gives the worker's pid" "$worker" '^[0-9]+$'
check_eq "the worker leads a session of its own" "$(ps -o sid= -p "${worker:-0}" | tr -d ' ')" "$worker"
check_eq "and has no controlling terminal" "$(ps -o tty= -p "${worker:-0}" | tr -d ' ')" "?"
check_match "its output goes to the run log" "$(readlink "/proc/${worker:-0}/fd/2")" "^$state/log/run-1-"
tty_first=$(tui_pane_tty)

tui_stop                                # the SSH session drops
check "the worker outlives the terminal" pid_alive "$worker"
wait_for 40 sh -c "'$UPSHIFT' status redis --plans-dir '$TUI_PLANS' --state-dir '$state' 2>&1 | grep -q 'waiting for the operator'"
check_match "upshift status says it waits for the operator before verify" "$(status)" \
	"waiting for the operator: confirm: Verify.*attach with:\$"
check_match "and the command that attaches, on a line of its own" "$(status)" \
	"^    upshift attach redis --plans-dir [^ ]+ --state-dir $state\$"
check_match "and that no wizard is attached" "$(status)" "no wizard attached"
check_eq "the migration ran to its end" "$(cat "$T_DIR/migrated" 2>/dev/null)" done
check "verify has not started" sh -c "! grep -q 'ev: step_start, step: verify' '$state/journal'"
check "nothing failed" sh -c "! grep -q 'step_failed' '$state/journal'"

tui_start_redis 120 40 run              # a new SSH session
check_screen "the new wizard shows the same step, waiting" "Nobody was watching when this step was due" 30
tty_second=$(tui_pane_tty)
screen=$(tui_screen)
check_match "it is the verify step" "$screen" "Step 7 of 8: Verify"
check_match "the log shows what happened meanwhile" "$screen" "migrating 20 of 20"
check_match "and that the worker waited" "$screen" "nobody is attached: waiting for an operator"
tui_keys Down Enter
check_screen "the upgrade completes from there" "Redis upgraded" 90
tui_keys Enter
tui_exited 20
T_RC=$TUI_CODE
check_eq "the wizard exits 0" "$TUI_CODE" 0
redis_upgraded "the upgrade ends as an uninterrupted one" "$state" "$old_sha" "$new_sha" "$digest"
check_eq "the migration ran once" "$(wc -l < "$T_DIR/migrated")" 1
wait_for 10 pid_gone "$worker"
check "the worker ended with the run" pid_gone "$worker"
check "and removed its socket" test ! -e "$state/worker.sock"
events "$state/journal" > "$T_DIR/events.detached"
# The run log says which wizard started the run, when it went and which
# one came back (the two may have the same pty: it was freed).
me=$(id -un)
order=$(cat "$state"/log/run-1-*.log 2>/dev/null | grep -E -o \
	"migrating (2|20) of 20|upshift: (the wizard went away: $me on $tty_first|a wizard attached: $me on ($tty_first|$tty_second))," |
	uniq | tr '\n' '|')
check_eq "the run log records the wizard going away mid-step and the one that came back" "$order" \
	"upshift: a wizard attached: $me on $tty_first,|migrating 2 of 20|upshift: the wizard went away: $me on $tty_first,|migrating 20 of 20|upshift: a wizard attached: $me on $tty_second,|"

# The same upgrade, scripted and uninterrupted: the same journal.
redis_reset "$state" || { echo "cannot reset"; exit 1; }
rm -f "$T_DIR/migrated"
redis_answers "$answers"
run_upshift run redis --plans-dir "$TUI_PLANS" --answers "$answers" --yes --state-dir "$state"
check_eq "an uninterrupted run exits 0" "$T_RC" 0
t_track "$(redis_pid)"
events "$state/journal" > "$T_DIR/events.straight"
check "the journal has the events of an uninterrupted run, in order" \
	cmp -s "$T_DIR/events.detached" "$T_DIR/events.straight"
[ -s "$T_DIR/events.straight" ] || not_ok "the journal's events were read" "none in $state/journal"

t_done
