#!/usr/bin/env bash
# A migration interrupted after it did its work but before its end was
# journaled is in doubt. Without a probe the run stops and says so
# (on_doubt: stop, the default), and the answers file's on_doubt decides
# (done: taken as finished; rerun: run again); with a probe: the probe
# decides. A migration is never run again behind the operator's back.
. "$UPSHIFT_SRCDIR/tests/lib/common.sh"
. "$UPSHIFT_SRCDIR/tests/lib/redis.sh"

redis_upgrade_setup
mark=$T_DIR/migrated
once=$T_DIR/killed-once
# plan_with PROBE [online]: the Redis plan with a migration that leaves a
# mark, then kills upshift (its parent) the first time, as a crash would.
# Online, the mark is what the server answers to PING.
plan_with() {
	mkdir -p "$T_DIR/plans"
	python3 - "$PLANS_DIR/redis.yaml" "$T_DIR/plans/redis.yaml" "$mark" "$once" "$1" "${2:-}" \
		"$REDIS_BIN/redis-cli -h 127.0.0.1 -p $REDIS_PORT ping" <<'PY'
import sys
src, dst, mark, once, probe, online, ping = sys.argv[1:8]
s = open(src).read()
word = "$(%s)" % ping if online else "run"
m = '''migrate:
  - run: [sh, -c, 'echo %s >> %s; if [ ! -e %s ]; then touch %s; kill -9 $PPID; sleep 5; fi']
''' % (word, mark, once, once)
if probe:
    m += "    probe: [sh, -c, 'test -s %s']\n" % mark
if online:
    m += "    online: true\n"
s = s.replace("migrate: []\n", m)
open(dst, "w").write(s)
PY
}
run=(run redis --plans-dir "$T_DIR/plans" --yes --state-dir "$state")
lines() { wc -l < "$mark" 2>/dev/null || echo 0; }
start_over() { redis_reset "$state" && rm -f "$mark" "$once"; }

# 1. No probe, no on_doubt: stop and ask.
plan_with ""
start_over
run_upshift "${run[@]}" --answers "$answers"
check_eq "the crash inside the migration kills the run" "$T_RC" 137
check_eq "the migration did its work once" "$(lines)" 1
run_upshift "${run[@]}" --answers "$answers"
check_eq "in doubt, no probe, no policy: exit 1" "$T_RC" 1
check_match "it says the migration is in doubt and what to do" "$T_OUT" 'migration 1 was interrupted.*on_doubt: rerun or on_doubt: done'
check_eq "it did not run the migration again" "$(lines)" 1
cp "$answers" "$T_DIR/done.yaml"
echo "on_doubt: done" >> "$T_DIR/done.yaml"
run_upshift "${run[@]}" --answers "$T_DIR/done.yaml"
check_eq "on_doubt: done finishes the upgrade" "$T_RC" 0
check_eq "without running the migration again" "$(lines)" 1
t_track "$(redis_pid)"

# 2. No probe, on_doubt: rerun.
start_over
run_upshift "${run[@]}" --answers "$answers"
cp "$answers" "$T_DIR/rerun.yaml"
echo "on_doubt: rerun" >> "$T_DIR/rerun.yaml"
run_upshift "${run[@]}" --answers "$T_DIR/rerun.yaml"
check_eq "on_doubt: rerun finishes the upgrade" "$T_RC" 0
check_eq "having run the migration again, as asked" "$(lines)" 2
t_track "$(redis_pid)"

# 3. A probe that sees the migration's work: taken as done.
plan_with probe
start_over
run_upshift "${run[@]}" --answers "$answers"
check_eq "with a probe, the crash kills the run too" "$T_RC" 137
run_upshift "${run[@]}" --answers "$answers"
check_eq "the probe decides: the upgrade finishes" "$T_RC" 0
check_match "it says the probe found it finished" "$T_OUT" 'its probe says it finished'
check_eq "the migration did not run again" "$(lines)" 1
check_eq "the data is the same" "$(redis_digest)" "$digest"
t_track "$(redis_pid)"

# 4. Online: killed inside a migration that runs once the new server is
# ready; the resume starts verify again and the same rules apply.
plan_with "" online
start_over
run_upshift "${run[@]}" --answers "$answers"
check_eq "online: the crash inside the migration kills the run" "$T_RC" 137
check_eq "online: it ran with the server answering" "$(cat "$mark" 2>/dev/null)" PONG
check "online: journal: verify.ready_at before the migration started" \
	test "$(grep -n -m1 'key: verify.ready_at' "$state/journal" | cut -d: -f1)" \
	-lt "$(grep -n -m1 'key: migrate.started.0' "$state/journal" | cut -d: -f1)"
t_track "$(redis_pid)"
run_upshift "${run[@]}" --answers "$answers"
check_eq "online: in doubt, no probe, no policy: exit 1" "$T_RC" 1
check_match "online: it says the migration is in doubt" "$T_OUT" 'migration 1 was interrupted.*on_doubt: rerun'
check_eq "online: it did not run the migration again" "$(lines)" 1
run_upshift "${run[@]}" --answers "$T_DIR/rerun.yaml"
check_eq "online: on_doubt: rerun finishes the upgrade" "$T_RC" 0
check_eq "online: having run it again, with the server answering" "$(cat "$mark" 2>/dev/null | tr '\n' ' ')" "PONG PONG "
t_track "$(redis_pid)"

t_done
