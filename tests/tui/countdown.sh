#!/usr/bin/env bash
# Waits with a limit are countdowns: while disconnect drains (the plan gives
# it 30 s), the step's screen shows the live count of connected clients and
# the time left, and goes on as soon as the last client has left.
. "$UPSHIFT_SRCDIR/tests/lib/common.sh"
. "$UPSHIFT_SRCDIR/tests/lib/redis.sh"
. "$UPSHIFT_SRCDIR/tests/lib/tui.sh"

redis_upgrade_setup
mkdir -p "$T_DIR/plans"
sed 's/^  timeout: 30s$/  drain: 30s\n  timeout: 30s/' "$PLANS_DIR/redis.yaml" > "$T_DIR/plans/redis.yaml"
chmod 0644 "$T_DIR/plans/redis.yaml"
check "the test plan drains for 30 s" grep -q '^  drain: 30s$' "$T_DIR/plans/redis.yaml"
TUI_PLANS=$T_DIR/plans

# One client blocked in BLPOP: it stays until the test ends it.
rcli BLPOP never-filled 0 > /dev/null 2>&1 &
blpop=$!
t_track "$blpop"

tui_start_redis 120 40 run
tui_through_review
# The stop is confirmed before disconnect turns anyone away.
check_screen "the stop asks for confirmation before the drain" "Yes: Stop the service" 60
check "the client is still there at the confirmation" pid_alive "$blpop"
tui_keys Down Enter         # Yes
check_screen "the drain shows the connected clients" "(1 connected)" 90
tui_wait_re ' left of 30s' 10
screen=$(tui_screen)
check_match "... and the time left of the drain" "$screen" '[0-9]+s left of 30s'
left1=$(printf '%s\n' "$screen" | grep -Eo '[0-9]+s left of 30s' | head -n 1 | grep -Eo '^[0-9]+')
tui_wait_re "$((left1 - 2))s left of 30s|$((left1 - 3))s left of 30s" 10
left2=$(tui_screen | grep -Eo '[0-9]+s left of 30s' | head -n 1 | grep -Eo '^[0-9]+')
check "... counting down (${left1:-?}s, then ${left2:-?}s)" test "${left2:-99}" -lt "${left1:-0}"
kill "$blpop" 2>/dev/null
check_screen "the last client gone, the upgrade goes on to its end" "Redis upgraded" 90
tui_keys Enter
tui_exited 20
check_eq "the wizard exits 0" "$TUI_CODE" 0
check "redis answers" redis_ping
check "the journal counted the client" grep -q 'key: disconnect.clients, value: 1}' "$state/journal"
t_done
