#!/usr/bin/env bash
# A journal cut at every byte offset of its last three records (power lost
# while writing) loads, replays to the last whole record, keeps the torn
# part aside, and a run after it never runs a done step again.
. "$UPSHIFT_SRCDIR/tests/lib/common.sh"
. "$UPSHIFT_SRCDIR/tests/lib/redis.sh"

port=$(free_port) || { echo "no free port"; exit 1; }
redis_sandbox "$T_DIR/redis" "$port" || { echo "cannot set up the Redis sandbox"; exit 1; }
redis_start && redis_fill || { echo "cannot start and fill redis"; exit 1; }
answers=$T_DIR/answers.yaml
redis_answers "$answers"
full=$T_DIR/state.full
run_upshift run redis --plans-dir "$PLANS_DIR" --answers "$answers" --yes --state-dir "$full"
check_eq "the upgrade finishes" "$T_RC" 0
t_track "$(redis_pid)"

lines=$(wc -l < "$full/journal")
size=$(stat -c %s "$full/journal")
start=$(head -n $((lines - 3)) "$full/journal" | wc -c)
echo "# cutting the journal at every offset from $start to $((size - 1))"
state=$T_DIR/state
bad=()
for off in $(seq "$start" $((size - 1))); do
	# Only the journal matters here: a fresh state directory holding it.
	rm -rf "$state"
	mkdir -m 0700 "$state"
	head -c "$off" "$full/journal" > "$state/journal"
	head -c "$off" "$full/journal" > "$T_DIR/cut"
	whole=$(tr -cd '\n' < "$T_DIR/cut" | wc -c)
	# Steps the cut journal says are done must not start again.
	done_steps=$(head -n "$whole" "$T_DIR/cut" | sed -n 's/.*ev: step_done, step: \([a-z]*\).*/\1/p')
	st=$("$UPSHIFT" status redis --plans-dir "$PLANS_DIR" --state-dir "$state" 2>&1)
	[ $? = 0 ] || { bad+=("offset $off: status failed: $st"); continue; }
	out=$("$UPSHIFT" run redis --plans-dir "$PLANS_DIR" --answers "$answers" --yes --state-dir "$state" 2>&1)
	rc=$?
	[ $rc = 0 ] || { bad+=("offset $off: run exited $rc: $(printf '%s' "$out" | tail -n 2)"); continue; }
	for s in $done_steps; do
		n=$(grep -c "ev: step_start, step: $s[,}]" "$state/journal")
		[ "$n" = 1 ] || bad+=("offset $off: done step $s started $n times")
	done
	if [ "$(tail -c 1 "$T_DIR/cut" | od -An -c | tr -d ' ')" != '\n' ] && [ "$off" -gt 0 ]; then
		ls "$state"/journal.damaged-* >/dev/null 2>&1 || bad+=("offset $off: the torn record was not kept aside")
	fi
	# What the run appended replays cleanly.
	"$UPSHIFT" status redis --plans-dir "$PLANS_DIR" --state-dir "$state" 2>&1 | grep -q damaged &&
		bad+=("offset $off: the journal does not replay cleanly after the run")
done
if [ ${#bad[@]} -eq 0 ]; then
	ok "every cut of the last three records loads and no done step runs again ($((size - start)) offsets)"
else
	not_ok "cut journals" "${bad[@]:0:10}"
fi
check_eq "redis still answers with the new binary" "$(rcli PING)" PONG

t_done
