#!/usr/bin/env bash
# A run that fails at verify (the server cannot start again) keeps what was
# done; after the cause is fixed, running it again continues at verify and
# does not repeat the done steps. A second upshift on the same state
# directory while a run is live is refused with exit 75, naming the holder.
. "$UPSHIFT_SRCDIR/tests/lib/common.sh"
. "$UPSHIFT_SRCDIR/tests/lib/redis.sh"

port=$(free_port) || { echo "no free port"; exit 1; }
redis_sandbox "$T_DIR/redis" "$port" || { echo "cannot set up the Redis sandbox"; exit 1; }
redis_start || { echo "redis did not start"; exit 1; }
redis_fill || { echo "cannot fill redis"; exit 1; }
digest=$(redis_digest)
new_sha=$(sha256sum "$REDIS_DIR/new/usr/bin/redis-check-rdb" | cut -d' ' -f1)
answers=$T_DIR/answers.yaml
redis_answers "$answers"
state=$T_DIR/state

# Redis reads its configuration only at start: a bad line now makes the
# start in verify fail, after stop and swap have been done.
cp "$REDIS_DIR/redis.conf" "$T_DIR/redis.conf.good"
echo "no-such-directive yes" >> "$REDIS_DIR/redis.conf"

run_upshift run redis --plans-dir "$PLANS_DIR" --answers "$answers" --yes --state-dir "$state"
echo "$T_OUT" > "$T_DIR/run1.out"
check_eq "the first run fails with exit 1" "$T_RC" 1
check_match "it says verify failed" "$T_OUT" '!!! verify failed'
check_match "it says how to resume" "$T_OUT" '^  upshift run redis --plans-dir [^ ]+ --answers [^ ]+ --yes --state-dir [^ ]+$'
check "the journal records the failure of verify" grep -q 'ev: step_failed, step: verify' "$state/journal"
check "the swap was done before the failure" cmp -s "$REDIS_BIN/redis-check-rdb" "$REDIS_DIR/new/usr/bin/redis-check-rdb"
redis_down() { ! redis_ping; }
check "redis is down" redis_down
run_upshift status redis --plans-dir "$PLANS_DIR" --state-dir "$state"
check_match "status shows verify failed" "$T_OUT" 'verify +failed'
check_match "status shows swap done" "$T_OUT" 'swap +done'
check_match "status says verify failed and how to go on" "$T_OUT" '^  failed in verify; fix the cause, then resume with:$'
check_match "status gives the command on a line of its own" "$T_OUT" "^    upshift run redis --plans-dir $PLANS_DIR --state-dir $state\$"

# Fix the cause and run again.
cp "$T_DIR/redis.conf.good" "$REDIS_DIR/redis.conf"
run_upshift run redis --plans-dir "$PLANS_DIR" --answers "$answers" --yes --state-dir "$state"
echo "$T_OUT" > "$T_DIR/run2.out"
check_eq "the second run exits 0" "$T_RC" 0
check_match "it says it resumes" "$T_OUT" 'resuming an upgrade'
for s in detect backup disconnect stop swap migrate; do
	check_match "$s is not run again" "$T_OUT" "    $s: done in an earlier run"
	check_eq "$s started once in the journal" "$(grep -c "ev: step_start, step: $s[,}]" "$state/journal")" 1
done
check_eq "verify started twice in the journal" "$(grep -c 'ev: step_start, step: verify[,}]' "$state/journal")" 2
check_eq "one backup archive" "$(ls "$REDIS_DIR"/backups/*.tar.zst | wc -l)" 1
t_track "$(redis_pid)"
check_eq "the running server is the new binary" "$(redis_running_binary_sha)" "$new_sha"
check_eq "the data is the same" "$(redis_digest)" "$digest"

# The lock: a run that is live (here: waiting at a slow detect) holds it.
mkdir -p "$T_DIR/slow"
cat > "$T_DIR/slow/slow.yaml" <<'PLAN'
schema: 1
id: slow
title: A plan whose detect takes a while
target: 1.0.0
detect:
  version: {shell: 'sleep 20; echo 1.0.0', match: '^(\d+\.\d+\.\d+)$'}
PLAN
"$UPSHIFT" run slow --plans-dir "$T_DIR/slow" --yes --state-dir "$T_DIR/slow-state" \
	> "$T_DIR/slow.out" 2>&1 &
slow=$!
t_track "$slow"
wait_for 10 grep -q "pid=$slow " "$T_DIR/slow-state/lock" 2>/dev/null
# The lock is taken before the journal is opened: wait until detect runs, so
# the SIGTERM below lands inside the step and not before it.
wait_for 10 grep -q 'ev: step_start, step: detect[,}]' "$T_DIR/slow-state/journal" 2>/dev/null
run_upshift run slow --plans-dir "$T_DIR/slow" --yes --state-dir "$T_DIR/slow-state"
check_eq "a second run on a held state directory exits 75" "$T_RC" 75
check_match "it names the holder's pid" "$T_OUT" "held by another upshift run: pid $slow, user"
# SIGTERM stops the live run at a safe point: exit 1, resumable.
kill -TERM "$slow"
wait "$slow"
check_eq "SIGTERM ends the run with exit 1" "$?" 1
check_match "the interrupted run says it was interrupted" "$(cat "$T_DIR/slow.out")" 'interrupted'
check "the interruption is journaled" grep -q 'ev: step_failed, step: detect' "$T_DIR/slow-state/journal"

t_done
