#!/usr/bin/env bash
# A failure in the wizard: the new version cannot start (a bad line in
# redis.conf makes verify fail), the failure screen shows the error, the
# last lines and the log; Roll back, confirmed, puts the old binary back
# and starts it on the same data.
. "$UPSHIFT_SRCDIR/tests/lib/common.sh"
. "$UPSHIFT_SRCDIR/tests/lib/redis.sh"
. "$UPSHIFT_SRCDIR/tests/lib/tui.sh"

redis_upgrade_setup
export SHELL=/bin/sh
# Saved answers (as a run before would leave them) fill the form.
mkdir -p "$state"
chmod 700 "$state"
cp "$answers" "$state/answers.yaml"
cp "$REDIS_DIR/redis.conf" "$T_DIR/redis.conf.good"
echo "no-such-directive yes" >> "$REDIS_DIR/redis.conf"

tui_start_redis 120 40 run
check_screen "the form is filled from the saved answers" "$REDIS_DIR/redis.pid" 30
tui_keys NPage Enter        # PgDn: to [ Go on ]
check_screen "the review" "What will be done" 30
tui_keys Enter
check_screen "the stop asks for confirmation" "Yes: Stop the service" 60
tui_keys Down Enter
check_screen "verify fails: the failure screen" "Verify failed" 90
screen=$(tui_screen)
check_match "it offers to retry" "$screen" "Retry the step"
check_match "it offers to roll back" "$screen" "Roll back the upgrade"
check_match "it offers a shell" "$screen" "Open a shell"
check_match "it offers to quit and resume later" "$screen" "Quit and resume later"
check_match "it names the log file" "$screen" "Full log: $state/log/run-1-"
check_match "it shows the last lines of output" "$screen" "Last lines of output"
check "the new binary is in place while it fails" cmp -s "$REDIS_BIN/redis-check-rdb" "$REDIS_DIR/new/usr/bin/redis-check-rdb"

# Open a shell: the plan's variables are in its environment; the wizard
# comes back to the failure when it exits. The fix is made from there.
tui_keys Down Down Enter    # Open a shell
check_screen "the shell says the wizard comes back" "the wizard comes back when it exits" 20
tui_type "echo \"dd=\$data_dir port=\$port\"; cp $T_DIR/redis.conf.good $REDIS_DIR/redis.conf"
tui_keys Enter
check_screen "the shell has the plan's variables" "dd=$REDIS_DIR/data port=$REDIS_PORT" 20
tui_type "exit"
tui_keys Enter
check_screen "the wizard comes back to the failure screen" "Retry the step" 20
check "the fix made in the shell is there" cmp -s "$T_DIR/redis.conf.good" "$REDIS_DIR/redis.conf"
tui_keys Up Enter           # Roll back the upgrade
check_screen "the rollback asks for confirmation" "Yes: Roll back the upgrade" 30
check_screen "its confirmation names the consequence" "data restored from the verified backup" 5
# What the restore discards, counted: keys is a counts: fact of the plan
# (the service is down, so its count now is unknown).
check_screen "its confirmation gives the count in the backup" "10003 in the backup" 5
tui_confirm_redis_rollback

t_done
