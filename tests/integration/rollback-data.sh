#!/usr/bin/env bash
# What a rollback does to the data, on a real Redis (issue 13):
# backup: restore_on_rollback: false keeps what clients wrote after the
# upgrade and puts only the old binaries back.
. "$UPSHIFT_SRCDIR/tests/lib/common.sh"
. "$UPSHIFT_SRCDIR/tests/lib/redis.sh"

redis_upgrade_setup

# restore_on_rollback: false: the old binaries back, the data kept.
redis_plan_variant 'backup:
' 'backup:
  restore_on_rollback: false
' || { echo "cannot write the plan"; exit 1; }
run_upshift run redis --plans-dir "$TUI_PLANS" --answers "$answers" --yes --state-dir "$state"
check_eq "the upgrade exits 0" "$T_RC" 0
t_track "$(redis_pid)"
check_eq "the new binary runs after the upgrade" "$(redis_running_binary_sha)" "$new_sha"
rcli SET written-after-upgrade yes >/dev/null
rcli DEBUG POPULATE 50 late 8 >/dev/null
keys_after=$(rcli DBSIZE)
check_eq "51 keys written after the upgrade" "$keys_after" 10054
run_upshift rollback redis --plans-dir "$TUI_PLANS" --answers "$answers" --yes --state-dir "$state"
echo "$T_OUT" > "$T_DIR/keep.out"
check_eq "the rollback exits 4 (rolled back)" "$T_RC" 4
[ "$T_RC" = 4 ] || sed 's/^/#   /' "$T_DIR/keep.out" | tail -n 20
t_track "$(redis_pid)"
check "redis answers after the rollback" redis_ping
check_eq "the key written after the upgrade is still there" "$(rcli GET written-after-upgrade)" yes
check_eq "every key written after the upgrade is still there" "$(rcli DBSIZE)" "$keys_after"
check_eq "the old binary is back" "$(sha256sum "$REDIS_BIN/redis-check-rdb" | cut -d' ' -f1)" "$old_sha"
check_eq "the running server is the old binary" "$(redis_running_binary_sha)" "$old_sha"
check "no data was replaced" sh -c "! ls -d '$REDIS_DIR'/data.upshift-replaced* 2>/dev/null | grep -q ."
check_match "before the confirmation, it says the data is kept" "$T_OUT" \
	'the old files are put back and the data written since the upgrade is kept'
check_match "the summary says the data was kept" "$T_OUT" \
	'rolled back to 7\.0\.15 \(the data written since the upgrade is kept: restore_on_rollback: false\)'

t_done
