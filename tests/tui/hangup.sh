#!/usr/bin/env bash
# The terminal goes away while a migration runs (the whole tmux server is
# killed): the engine's worker carries on, lets the migration finish and
# waits for an operator before the next step, even with --yes. Told to stop
# (SIGTERM) while it waits, it stops there with nothing more changed, and
# the upgrade resumes from there to its end.
. "$UPSHIFT_SRCDIR/tests/lib/common.sh"
. "$UPSHIFT_SRCDIR/tests/lib/redis.sh"
. "$UPSHIFT_SRCDIR/tests/lib/tui.sh"

redis_upgrade_setup
redis_plan_variant "migrate: []" "migrate:
  - run: [sh, -c, 'sleep 6; echo done >> $T_DIR/migrated']" || { echo "cannot write the plan"; exit 1; }
status() { "$UPSHIFT" status redis --plans-dir "$TUI_PLANS" --state-dir "$state" 2>&1; }
running() { status | grep -q 'running now'; }

TUI_ENV=$(tui_no_leak_check) tui_start_redis 120 40 run --yes
tui_through_review
check_screen "the migration runs" "\$ sh -c 'sleep 6" 90
check "the engine's process holds the lock" running
worker=$(status | sed -n 's/.*worker pid \([0-9]*\).*/\1/p')
[ -n "$worker" ] && t_track "$worker"
check_match "upshift status gives the worker's pid" "$worker" '^[0-9]+$'
tui_stop                    # the terminal is gone
wait_for 30 sh -c "'$UPSHIFT' status redis --plans-dir '$TUI_PLANS' --state-dir '$state' 2>&1 | grep -q 'waiting for the operator'"
check_match "the worker waits for an operator before verify" "$(status)" "waiting for the operator: confirm: Verify"
check_eq "the migration ran to its end" "$(cat "$T_DIR/migrated" 2>/dev/null)" done
check "its end is journaled" grep -q 'key: migrate.done.0' "$state/journal"
check "verify did not start" sh -c "! grep -q 'ev: step_start, step: verify' '$state/journal'"
run_upshift run redis --plans-dir "$TUI_PLANS" --answers "$answers" --yes --state-dir "$state"
check_eq "a scripted run meanwhile exits 75" "$T_RC" 75
check_match "and says a wizard's worker holds the upgrade" "$T_OUT" "wizard's worker: see it with: upshift attach redis"

[ -n "$worker" ] && kill -TERM "$worker"
wait_for 20 pid_gone "$worker"
check "told to stop, the worker ends" pid_gone "$worker"
check "and releases the lock" sh -c "! '$UPSHIFT' status redis --plans-dir '$TUI_PLANS' --state-dir '$state' 2>&1 | grep -q 'running now'"
check "and removes its socket" test ! -e "$state/worker.sock"
check_match "the journal says it stopped before verify" "$(status)" "stopped (.* )?before verify"
check "verify still did not start" sh -c "! grep -q 'ev: step_start, step: verify' '$state/journal'"
redis_down() { ! redis_ping; }
check "the redis server is still down, as the worker left it" redis_down

run_upshift run redis --plans-dir "$TUI_PLANS" --answers "$answers" --yes --state-dir "$state"
redis_upgraded "resumed after the terminal went away, the upgrade ends as an uninterrupted one" \
	"$state" "$old_sha" "$new_sha" "$digest"
check_eq "the migration did not run twice" "$(wc -l < "$T_DIR/migrated")" 1

t_done
