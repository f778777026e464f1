#!/usr/bin/env bash
# The crash campaign: a full Redis upgrade killed with SIGKILL right after
# each journal record in turn (fault injection), and at 20 random moments;
# after each kill, `upshift run` again must finish the upgrade correctly.
# Then with a cold backup (the live archive in backup, its delta in stop):
# killed after each record of those two steps.
. "$UPSHIFT_SRCDIR/tests/lib/common.sh"
. "$UPSHIFT_SRCDIR/tests/lib/redis.sh"

need_fault_injection

redis_upgrade_setup
run=(run redis --plans-dir "$PLANS_DIR" --answers "$answers" --yes --state-dir "$state")

after() {
	redis_upgraded "$1" "$state" "$old_sha" "$new_sha" "$digest"
}

# A clean run first: how many records does a full run write?
redis_reset "$state" || { echo "cannot reset"; exit 1; }
run_upshift "${run[@]}"
after "a run without faults"
records=$(wc -l < "$state/journal")
echo "# a full run writes $records journal records"

for n in $(seq 0 $((records - 1))); do
	redis_reset "$state" || { not_ok "crash after record $n" "cannot reset the sandbox"; continue; }
	sh -c 'UPSHIFT_FAULT=crash-after-record=$0 exec "$@"' "$n" "$UPSHIFT" "${run[@]}" > "$T_DIR/crash.out" 2>&1
	rc=$?
	if [ $rc -ne 137 ] && [ $n -lt $((records - 1)) ]; then
		not_ok "crash after record $n" "the run was not killed (exit $rc)"
		continue
	fi
	run_upshift "${run[@]}"
	[ "$T_RC" = 75 ] && { sleep 0.5; run_upshift "${run[@]}"; }
	after "crash after record $n, then resume"
done

# Kills at random moments of a run (the clean run above takes about this long).
for i in $(seq 1 20); do
	redis_reset "$state" || { not_ok "random kill $i" "cannot reset the sandbox"; continue; }
	"$UPSHIFT" "${run[@]}" > "$T_DIR/kill.out" 2>&1 &
	pid=$!
	sleep "0.$(printf '%03d' $((RANDOM % 1000)))"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	run_upshift "${run[@]}"
	# If that one was killed too (it was not: no fault), once more.
	[ "$T_RC" = 137 ] && run_upshift "${run[@]}"
	after "random kill $i, then resume"
done

redis_plan_variant 'backup:
' 'backup:
  cold: true
' || { echo "cannot write the plan"; exit 1; }
cold=(run redis --plans-dir "$T_DIR/plans" --answers "$answers" --yes --state-dir "$state")
export REDIS_ARCHIVES=2
redis_reset "$state" || { echo "cannot reset"; exit 1; }
run_upshift "${cold[@]}"
after "a cold backup run without faults"
first=$(grep -n 'ev: step_start, step: backup}' "$state/journal" | head -n 1 | cut -d: -f1)
last=$(grep -n 'ev: step_done, step: stop,' "$state/journal" | head -n 1 | cut -d: -f1)
echo "# the cold backup's records are $first to $last"
for n in $(seq $((first - 1)) $((last - 1))); do
	redis_reset "$state" || { not_ok "cold: crash after record $n" "cannot reset the sandbox"; continue; }
	sh -c 'UPSHIFT_FAULT=crash-after-record=$0 exec "$@"' "$n" "$UPSHIFT" "${cold[@]}" > "$T_DIR/crash.out" 2>&1
	rc=$?
	[ $rc -eq 137 ] || { not_ok "cold: crash after record $n" "the run was not killed (exit $rc)"; continue; }
	run_upshift "${cold[@]}"
	[ "$T_RC" = 75 ] && { sleep 0.5; run_upshift "${cold[@]}"; }
	after "cold: crash after record $n, then resume"
done

t_done
