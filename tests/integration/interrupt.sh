#!/usr/bin/env bash
# Ctrl-C (SIGINT) during backup and during migrate, and SIGHUP during
# migrate: the run stops at a safe point with exit 1 and the command to
# resume; a migration command is never cut short; resuming ends correctly.
. "$UPSHIFT_SRCDIR/tests/lib/common.sh"
. "$UPSHIFT_SRCDIR/tests/lib/redis.sh"

redis_upgrade_setup

# The Redis plan with a slow online backup command and a slow migration
# that leaves a mark when it completes.
save='    - ["${bin_dir}/redis-cli", -h, "${host}", -p, "${port}", SAVE]'
redis_plan_variant "$save" "$save
    - [sleep, \"4\"]" "migrate: []" "migrate:
  - run: [sh, -c, 'sleep 4; echo done >> $T_DIR/migrated']" || { echo "cannot write the plan"; exit 1; }
run=(run redis --plans-dir "$T_DIR/plans" --answers "$answers" --yes --state-dir "$state")

# start_run: upshift in the background, its output in $T_DIR/out.
start_run() {
	"$UPSHIFT" "${run[@]}" > "$T_DIR/out" 2>&1 &
	pid=$!
	t_track "$pid"
}

resume_ok() {
	local name=$1
	run_upshift "${run[@]}"
	check_eq "$name: the resumed run exits 0" "$T_RC" 0
	check_eq "$name: the running server is the new binary" "$(redis_running_binary_sha)" "$new_sha"
	check_eq "$name: the data is the same" "$(redis_digest)" "$digest"
	check_eq "$name: one backup archive" "$(redis_backups)" 1
	t_track "$(redis_pid)"
}

# 1. Ctrl-C while the backup's online command runs.
start_run
wait_for 20 grep -q 'backup: \$ sleep 4' "$T_DIR/out"
kill -INT "$pid"
wait "$pid"
check_eq "Ctrl-C in backup: exit 1" "$?" 1
check_match "Ctrl-C in backup: says it was interrupted" "$(cat "$T_DIR/out")" 'backup failed.*interrupted'
check_match "Ctrl-C in backup: says how to resume" "$(cat "$T_DIR/out")" '^  upshift run redis '
check "Ctrl-C in backup: journaled" grep -q 'ev: step_failed, step: backup' "$state/journal"
check_eq "Ctrl-C in backup: redis still runs the old data" "$(redis_digest)" "$digest"
resume_ok "Ctrl-C in backup"

# 2. Ctrl-C while the migration runs: it finishes, then the run stops.
redis_reset "$state" || exit 1
rm -f "$T_DIR/migrated"
start_run
wait_for 40 grep -q "migrate: \\$ sh -c" "$T_DIR/out"
kill -INT "$pid"
wait "$pid"
check_eq "Ctrl-C in migrate: exit 1" "$?" 1
check_eq "Ctrl-C in migrate: the migration ran to its end" "$(cat "$T_DIR/migrated" 2>/dev/null)" done
check "Ctrl-C in migrate: its end is journaled" grep -q 'key: migrate.done.0' "$state/journal"
check_match "Ctrl-C in migrate: says so" "$(cat "$T_DIR/out")" 'interrupted after migration 1 finished'
resume_ok "Ctrl-C in migrate"
check_eq "Ctrl-C in migrate: the migration did not run twice" "$(wc -l < "$T_DIR/migrated")" 1

# 3. SIGHUP (the SSH session dropped) while the migration runs.
redis_reset "$state" || exit 1
rm -f "$T_DIR/migrated"
start_run
wait_for 40 grep -q "migrate: \\$ sh -c" "$T_DIR/out"
kill -HUP "$pid"
wait "$pid"
check_eq "SIGHUP in migrate: exit 1" "$?" 1
check_eq "SIGHUP in migrate: the migration ran to its end" "$(cat "$T_DIR/migrated" 2>/dev/null)" done
resume_ok "SIGHUP in migrate"
check_eq "SIGHUP in migrate: the migration did not run twice" "$(wc -l < "$T_DIR/migrated")" 1

t_done
