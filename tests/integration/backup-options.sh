#!/usr/bin/env bash
# Backup options against a real Redis: an online backup command writing an
# RDB snapshot into ${backup_work} (archived with the data, the work
# directory removed after), the compression set from the answers file, and
# the preflight refusing a backup directory too small for the estimate.
. "$UPSHIFT_SRCDIR/tests/lib/common.sh"
. "$UPSHIFT_SRCDIR/tests/lib/redis.sh"

port=$(free_port) || { echo "no free port"; exit 1; }
redis_sandbox "$T_DIR/redis" "$port" || { echo "cannot set up the Redis sandbox"; exit 1; }
redis_start && redis_fill && redis_snapshot || { echo "cannot start and fill redis"; exit 1; }
state=$T_DIR/state

# A plan whose online backup is redis-cli --rdb into ${backup_work}.
save='    - ["${bin_dir}/redis-cli", -h, "${host}", -p, "${port}", SAVE]'
redis_plan_variant "$save" "$save
    - [\"\${bin_dir}/redis-cli\", -h, \"\${host}\", -p, \"\${port}\", --rdb, \"\${backup_work}/online.rdb\"]" ||
	{ echo "cannot write the plan"; exit 1; }
answers=$T_DIR/answers.yaml
redis_answers "$answers"
echo "backup_compression: gzip" >> "$answers"
run_upshift run redis --plans-dir "$T_DIR/plans" --answers "$answers" --yes --state-dir "$state"
check_eq "the upgrade exits 0" "$T_RC" 0
t_track "$(redis_pid)"
backup=$(ls "$REDIS_DIR"/backups/redis-*.tar.gz 2>/dev/null | head -n 1)
check "the answers' gzip gives a .tar.gz" test -f "$backup"
check "it is gzip" gzip -t "$backup"
listing=$(tar -tzf "$backup" 2>&1)
check_match "the online RDB is in the archive" "$listing" "^${REDIS_DIR#/}/backups/redis\\.work/online\\.rdb$"
check_match "the data directory is in the archive" "$listing" "^${REDIS_DIR#/}/data/dump\\.rdb$"
check "the work directory is gone after verification" test ! -e "$REDIS_DIR/backups/redis.work"
mkdir -p "$T_DIR/x"
tar -xzf "$backup" -C "$T_DIR/x"
check "the manifest checks the online RDB too" sh -c "cd '$T_DIR/x' && sha256sum --quiet -c UPSHIFT-MANIFEST.sha256 && grep -q online.rdb UPSHIFT-MANIFEST.sha256"

# A cold backup in two parts: the data archived in backup while Redis runs,
# then, once it has stopped, what changed since (the RDB SHUTDOWN SAVE
# rewrote, and what the plan's stop commands changed just before the stop:
# a file written, one rewritten in place, one removed), verified, before
# the swap. A rollback restores the two together: the data directory is
# as it was at the stop, and what was written after the upgrade is gone.
redis_plan_cold 'echo late > "$0/late"; echo new > "$0/changed"; rm "$0/gone"' ||
	{ echo "cannot write the plan"; exit 1; }
redis_answers "$answers"
redis_reset "$T_DIR/state-cold" || { echo "cannot reset the sandbox"; exit 1; }
data=$REDIS_DIR/data
echo old > "$data/changed" && echo gone > "$data/gone" && touch -d '2020-01-01' "$data/changed" ||
	{ echo "cannot write into the data directory"; exit 1; }
run_upshift run redis --plans-dir "$T_DIR/plans" --answers "$answers" --yes --state-dir "$T_DIR/state-cold"
check_eq "a cold backup upgrade exits 0" "$T_RC" 0
t_track "$(redis_pid)"
digest_before=$(redis_digest)
order=$(grep -o 'ev: step_start, step: [a-z]*\|key: backup[.a-z]*verified' "$T_DIR/state-cold/journal" | tr '\n' ' ')
check_match "the live archive is made in backup, its delta after stop and before swap" "$order" \
	'step: backup key: backup.verified .*step: stop key: backup.delta.verified ev: step_start, step: swap'
check_eq "two archives: the live one and what changed" "$(redis_backups)" 2
delta=$(sed -n 's/.*key: backup.delta.path, value: \(.*\)}$/\1/p' "$T_DIR/state-cold/journal")
check_match "the delta holds the RDB the stop rewrote" "$(tar -tf "$delta" 2>&1)" "^${REDIS_DIR#/}/data/dump\\.rdb$"
check "the list of removed names is kept beside it" test -f "$delta.removed"
check "the stamps of the live backup are gone once the delta is verified" \
	sh -c "! ls '$REDIS_DIR'/backups/*.stamps 2>/dev/null | grep -q ."
check_match "the delta holds the files changed before the stop" "$(tar -tf "$delta" 2>&1)" \
	"^${data#/}/changed$"
check_eq "the removed file is listed" "$(tr '\0' '\n' < "$delta.removed")" "${data#/}/gone"
echo after > "$data/after"
run_upshift rollback redis --plans-dir "$T_DIR/plans" --answers "$answers" --yes --state-dir "$T_DIR/state-cold"
check_eq "the rollback exits 4 (rolled back)" "$T_RC" 4
t_track "$(redis_pid)"
check_eq "after the rollback, the file written before the stop is there" "$(cat "$data/late")" late
check_eq "the file rewritten before the stop holds what it held then" "$(cat "$data/changed")" new
check "the file removed before the stop is not there" test ! -e "$data/gone"
check "the file written after the upgrade is not there" test ! -e "$data/after"
check "the data as it was at the stop is what Redis serves" test "$(redis_digest)" = "$digest_before"

# A backup directory too small for the estimate: refused before anything.
if [ "$(id -u)" = 0 ]; then
	head -c 3145728 /dev/urandom > "$T_DIR/blob"
	rcli -x SET blob < "$T_DIR/blob" >/dev/null
	rcli SAVE >/dev/null
	small=$T_DIR/small
	mkdir -p "$small"
	if mount -t tmpfs -o size=1m tmpfs "$small"; then
		trap 'umount "$small" 2>/dev/null; t_cleanup' EXIT
		redis_answers "$answers"
		sed -i "s|^backup_dir:.*|backup_dir: $small/backups|" "$answers"
		digest=$(redis_digest)
		err=$("$UPSHIFT" run redis --plans-dir "$PLANS_DIR" --answers "$answers" --yes \
			--state-dir "$T_DIR/state2" 2>&1 >/dev/null)
		check_eq "too little space is a preflight refusal: exit 3" "$?" 3
		check_match "it names both figures" "$err" 'needs about [0-9.]+ [KMG]iB .* and [0-9.]+ [KMG]?i?B is free'
		check "no state directory is left (nothing to resume)" test ! -e "$T_DIR/state2"
		check_eq "the data is untouched" "$(redis_digest)" "$digest"
	else
		echo "# cannot mount a tmpfs: the space refusal is not checked here"
	fi
fi

t_done
