#!/usr/bin/env bash
# The terminal goes away while a migration runs (the whole tmux server is
# killed): the engine's process carries on, lets the migration finish,
# stops at the next safe point with the journal saying so, and the upgrade
# resumes from there to its end.
. "$UPSHIFT_SRCDIR/tests/lib/common.sh"
. "$UPSHIFT_SRCDIR/tests/lib/redis.sh"
. "$UPSHIFT_SRCDIR/tests/lib/tui.sh"

redis_upgrade_setup
mkdir -p "$T_DIR/plans"
python3 - "$PLANS_DIR/redis.yaml" "$T_DIR/plans/redis.yaml" "$T_DIR/migrated" <<'PY'
import sys
src, dst, mark = sys.argv[1:4]
s = open(src).read()
s = s.replace("migrate: []\n", '''migrate:
  - run: [sh, -c, 'sleep 6; echo done >> %s']
''' % mark)
open(dst, "w").write(s)
PY
TUI_PLANS=$T_DIR/plans
running() { "$UPSHIFT" status redis --plans-dir "$TUI_PLANS" --state-dir "$state" 2>&1 | grep -q 'running now'; }

tui_start_redis 120 40 run --yes
check_screen "the wizard opens on the questions" "New redis-tools package" 30
tui_answer_redis
tui_keys Enter
check_screen "the review" "Start the upgrade" 30
tui_keys Enter
check_screen "the migration runs" "\$ sh -c 'sleep 6" 90
check "the engine's process holds the lock" running
tui_stop                    # the terminal is gone
wait_for 60 sh -c "! '$UPSHIFT' status redis --plans-dir '$TUI_PLANS' --state-dir '$state' 2>&1 | grep -q 'running now'"
check "the engine's process stops by itself" sh -c "! '$UPSHIFT' status redis --plans-dir '$TUI_PLANS' --state-dir '$state' 2>&1 | grep -q 'running now'"
check_eq "the migration ran to its end" "$(cat "$T_DIR/migrated" 2>/dev/null)" done
check "its end is journaled" grep -q 'key: migrate.done.0' "$state/journal"
check "the run stopped at the safe point after it" grep -q 'ev: step_failed, step: migrate' "$state/journal"
check "verify did not start" sh -c "! grep -q 'ev: step_start, step: verify' '$state/journal'"

run_upshift run redis --plans-dir "$TUI_PLANS" --answers "$answers" --yes --state-dir "$state"
redis_upgraded "resumed after the terminal went away, the upgrade ends as an uninterrupted one" \
	"$state" "$old_sha" "$new_sha" "$digest"
check_eq "the migration did not run twice" "$(wc -l < "$T_DIR/migrated")" 1

t_done
