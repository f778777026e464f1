#!/usr/bin/env bash
# The backup directory's filesystem fills while the archive is written (a
# 1 MiB tmpfs, data that does not compress): the backup fails with a clear
# error, the partial archive is removed, the service is still running the
# old binary with its data, and nothing after the backup has run.
. "$UPSHIFT_SRCDIR/tests/lib/common.sh"
. "$UPSHIFT_SRCDIR/tests/lib/redis.sh"

if [ "$(id -u)" != 0 ]; then
	echo "SKIP: mounting a small tmpfs needs root"
	exit 77
fi
port=$(free_port) || { echo "no free port"; exit 1; }
redis_sandbox "$T_DIR/redis" "$port" || { echo "cannot set up the Redis sandbox"; exit 1; }
redis_start && redis_fill || { echo "cannot start and fill redis"; exit 1; }
# 3 MiB of random bytes: the archive cannot be smaller than the tmpfs.
head -c 3145728 /dev/urandom > "$T_DIR/blob"
rcli -x SET blob < "$T_DIR/blob" >/dev/null || { echo "cannot store the blob"; exit 1; }
digest=$(redis_digest)
old_sha=$(redis_running_binary_sha)

small=$T_DIR/small
mkdir -p "$small"
mount -t tmpfs -o size=2m tmpfs "$small" || { echo "SKIP: cannot mount a tmpfs here"; exit 77; }
t_unmount() { umount "$small" 2>/dev/null; }
trap 't_unmount; t_cleanup' EXIT

answers=$T_DIR/answers.yaml
redis_answers "$answers"
sed -i "s|^backup_dir:.*|backup_dir: $small/backups|" "$answers"
state=$T_DIR/state
err=$("$UPSHIFT" run redis --plans-dir "$PLANS_DIR" --answers "$answers" --yes --state-dir "$state" 2>&1 >"$T_DIR/out")
rc=$?
check_eq "a full disk fails the run with exit 1" "$rc" 1
check_match "the error says the disk is full and what to do" "$(printf '%s\n' "$err" | grep '^upshift: error:')" \
	'No space left on device.*partial archive was removed'
check_eq "no partial archive is left" "$(find "$small" -type f | wc -l)" 0
check "the journal records the backup's failure" grep -q 'ev: step_failed, step: backup' "$state/journal"
check "nothing after the backup ran" sh -c "! grep -q 'ev: step_start, step: disconnect' '$state/journal'"
check_eq "the service still runs the old binary" "$(redis_running_binary_sha)" "$old_sha"
check_eq "its data is the same" "$(redis_digest)" "$digest"

t_done
