#!/usr/bin/env bash
# Roll back from the resume screen. A scripted upgrade fails at verify (the
# new version cannot start: a bad line in redis.conf) and stops, resumable.
# The wizard opened on it offers Roll back; chosen and confirmed, its worker
# runs the rollback (the title says so), the old binary is back and serves
# the same data.
. "$UPSHIFT_SRCDIR/tests/lib/common.sh"
. "$UPSHIFT_SRCDIR/tests/lib/redis.sh"
. "$UPSHIFT_SRCDIR/tests/lib/tui.sh"

redis_upgrade_setup
cp "$REDIS_DIR/redis.conf" "$T_DIR/redis.conf.good"
echo "no-such-directive yes" >> "$REDIS_DIR/redis.conf"
run_upshift run redis --plans-dir "$PLANS_DIR" --answers "$answers" --yes --state-dir "$state"
check_eq "the scripted upgrade fails at verify (exit 1)" "$T_RC" 1
check "its failure is journaled" grep -q 'ev: step_failed, step: verify' "$state/journal"
# The old version needs its configuration back to start again.
cp "$T_DIR/redis.conf.good" "$REDIS_DIR/redis.conf"

tui_start_redis 120 40 run
check_screen "the wizard shows the resume screen" "An upgrade did not finish" 30
check_match "the title is the upgrade's" "$(tui_screen | head -n 1)" "^ upshift: Redis on "
tui_keys Down Enter         # Roll back
check_screen "the rollback asks for confirmation" "Yes: Roll back the upgrade" 60
check_match "the title now says it is a rollback" "$(tui_screen | head -n 1)" "^ upshift rollback: Redis on "
tui_confirm_redis_rollback

t_done
