#!/usr/bin/env bash
# The rollback campaign: from an upgrade that failed at verify, `upshift
# rollback` killed with SIGKILL right after each journal record in turn
# (fault injection), and at 20 random moments; after each kill, `upshift
# rollback` again must end with the old binary running on the same data.
. "$UPSHIFT_SRCDIR/tests/lib/common.sh"
. "$UPSHIFT_SRCDIR/tests/lib/redis.sh"

need_fault_injection

redis_upgrade_setup

# An upgrade that fails at verify: Redis reads its configuration only at
# start, so a bad line now stops the new version from starting.
cp "$REDIS_DIR/redis.conf" "$T_DIR/redis.conf.good"
echo "no-such-directive yes" >> "$REDIS_DIR/redis.conf"
run_upshift run redis --plans-dir "$PLANS_DIR" --answers "$answers" --yes --state-dir "$state"
check_eq "the upgrade fails at verify" "$T_RC" 1
check "the journal records it" grep -q 'ev: step_failed, step: verify' "$state/journal"
cp "$T_DIR/redis.conf.good" "$REDIS_DIR/redis.conf"
# Keep that failed state, to start every trial from it.
snap=$T_DIR/failed
mkdir -p "$snap"
cp -a "$REDIS_BIN" "$REDIS_DIR/data" "$state" "$REDIS_DIR/backups" "$snap/"
base=$(wc -l < "$state/journal")

from_failed() {
	redis_stop
	rm -rf "$REDIS_BIN" "$REDIS_DIR/data" "$state" "$REDIS_DIR/backups"
	cp -a "$snap/bin" "$REDIS_BIN" && cp -a "$snap/data" "$REDIS_DIR/data" &&
	cp -a "$snap/state" "$state" && cp -a "$snap/backups" "$REDIS_DIR/backups"
}

rb=(rollback redis --plans-dir "$PLANS_DIR" --yes --state-dir "$state")

after() {
	local why=()
	# A kill after the rollback finished leaves nothing to do: exit 0 then,
	# saying so, and only when the journal holds a finished rollback.
	if [ "$T_RC" = 0 ] && grep -q 'ev: rollback_end, result: done' "$state/journal" &&
	   printf '%s' "$T_OUT" | grep -q 'rolled back already'; then
		T_RC=4
	fi
	[ "$T_RC" = 4 ] || why+=("the last rollback exited $T_RC: $(printf '%s' "$T_OUT" | tail -n 3)")
	[ "$(sha256sum "$REDIS_BIN/redis-check-rdb" | cut -d' ' -f1)" = "$old_sha" ] || why+=("the binary in place is not the old one")
	[ "$(redis_running_binary_sha 2>/dev/null)" = "$old_sha" ] || why+=("the running server is not the old binary")
	[ "$(redis_digest 2>/dev/null)" = "$digest" ] || why+=("DEBUG DIGEST changed")
	if [ ${#why[@]} -eq 0 ]; then ok "$1"; else not_ok "$1" "${why[@]}"; fi
	t_track "$(redis_pid)"
}

from_failed
run_upshift "${rb[@]}"
after "a rollback without faults"
records=$(wc -l < "$state/journal")
echo "# the rollback writes $((records - base)) journal records"
run_upshift status redis --plans-dir "$PLANS_DIR" --state-dir "$state"
check_match "status says the upgrade was rolled back" "$T_OUT" 'rolled back'
run_upshift "${rb[@]}"
check_eq "a second rollback has nothing to do" "$T_RC" 0

for n in $(seq "$base" $((records - 1))); do
	from_failed || { not_ok "crash after record $n" "cannot restore the failed state"; continue; }
	sh -c 'UPSHIFT_FAULT=crash-after-record=$0 exec "$@"' "$n" "$UPSHIFT" "${rb[@]}" > "$T_DIR/crash.out" 2>&1
	rc=$?
	if [ $rc -ne 137 ]; then
		not_ok "crash after record $n" "the rollback was not killed (exit $rc)"
		continue
	fi
	# Between rollback_start and rollback_end, run must not go on upgrading.
	if grep -q 'ev: rollback_start' "$state/journal" && ! grep -q 'ev: rollback_end' "$state/journal"; then
		run_upshift run redis --plans-dir "$PLANS_DIR" --answers "$answers" --yes --state-dir "$state"
		check_match "after crash $n, run refuses to go on with a half rollback" "$T_OUT" 'finish it first, with upshift rollback'
		check_match "after crash $n, and it prints the command" "$T_OUT" "^  upshift rollback redis --plans-dir [^ ]+ --answers [^ ]+ --yes --state-dir $state\$"
	fi
	run_upshift "${rb[@]}"
	after "crash after record $n of the rollback, then rollback again"
	redis_stop
done

for i in $(seq 1 20); do
	from_failed || { not_ok "random kill $i" "cannot restore the failed state"; continue; }
	"$UPSHIFT" "${rb[@]}" > "$T_DIR/kill.out" 2>&1 &
	pid=$!
	sleep "0.$(printf '%03d' $((RANDOM % 800)))"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	run_upshift "${rb[@]}"
	[ "$T_RC" = 137 ] && run_upshift "${rb[@]}"
	after "random kill $i of the rollback, then rollback again"
	redis_stop
done

t_done
