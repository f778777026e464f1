# tests/lib/redis.sh: a throwaway Redis from Debian's redis-tools packages.
# Source after common.sh.

REDIS_OLD_VERSION=${REDIS_OLD_VERSION:-5:7.0.15-1~deb12u7}
REDIS_NEW_VERSION=${REDIS_NEW_VERSION:-5:7.0.15-1~deb12u10}

# redis_sandbox DIR PORT: unpack the old package into DIR/root as Debian lays
# it out (redis-server a link to redis-check-rdb), write DIR/redis.conf.
redis_sandbox() {
	local dir=$1 port=$2
	OLD_DEB=$(fetch_deb redis-tools "$REDIS_OLD_VERSION") || return 1
	NEW_DEB=$(fetch_deb redis-tools "$REDIS_NEW_VERSION") || return 1
	mkdir -p "$dir/root" "$dir/data" "$dir/new" || return 1
	dpkg-deb -x "$OLD_DEB" "$dir/root" || return 1
	dpkg-deb -x "$NEW_DEB" "$dir/new" || return 1
	ln -sf redis-check-rdb "$dir/root/usr/bin/redis-server"
	cat > "$dir/redis.conf" <<CONF
bind 127.0.0.1
port $port
protected-mode yes
daemonize yes
pidfile $dir/redis.pid
logfile $dir/redis.log
dir $dir/data
dbfilename dump.rdb
save ""
appendonly no
enable-debug-command local
CONF
	REDIS_DIR=$dir
	REDIS_PORT=$port
	REDIS_BIN=$dir/root/usr/bin
}

rcli() {
	"$REDIS_BIN/redis-cli" -h 127.0.0.1 -p "$REDIS_PORT" "$@"
}

redis_ping() {
	[ "$(rcli PING 2>/dev/null)" = PONG ]
}

redis_pid() {
	cat "$REDIS_DIR/redis.pid" 2>/dev/null
}

# Start the server from the sandbox and wait for PING (at most 20 s). The
# first start may find its port taken by another test since free_port looked:
# then it says what the server logged and tries again on another port (3
# tries). Later starts (after an upgrade, a reset) keep the port: answers
# files name it.
redis_start() {
	local try tries=1
	[ -n "${REDIS_STARTED:-}" ] || tries=3
	for try in $(seq 1 $tries); do
		if [ "$try" -gt 1 ]; then
			echo "# redis did not start on port $REDIS_PORT: $(tail -n 1 "$REDIS_DIR/redis.log" 2>/dev/null)"
			REDIS_PORT=$(free_port) || return 1
			sed -i "s/^port .*/port $REDIS_PORT/" "$REDIS_DIR/redis.conf" || return 1
		fi
		# A pidfile left by a dead server would read as "gone" at once.
		redis_gone && rm -f "$REDIS_DIR/redis.pid"
		REDIS_LOG_FROM=$(($(cat "$REDIS_DIR/redis.log" 2>/dev/null | wc -l) + 1))
		"$REDIS_BIN/redis-server" "$REDIS_DIR/redis.conf" || continue
		# A server that cannot bind exits: stop waiting as soon as its pid
		# is gone, and never mistake another test's server for ours.
		wait_for 20 redis_up_or_gone && redis_ours_answers || continue
		REDIS_STARTED=1
		t_track "$(redis_pid)"
		return 0
	done
	return 1
}

# True when the pidfile names a process that is no longer there.
redis_gone() {
	local pid
	pid=$(redis_pid) && [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null
}

# True once the sandbox's server answers, or once it has given up: the pid
# it wrote is dead, or it logged since REDIS_LOG_FROM that it is aborting
# (and removed its pidfile on the way out).
redis_up_or_gone() {
	redis_ours_answers || redis_gone ||
		tail -n +"$REDIS_LOG_FROM" "$REDIS_DIR/redis.log" 2>/dev/null | grep -q 'aborting'
}

# True when the server answering on REDIS_PORT is the one whose pid the
# sandbox's pidfile names.
redis_ours_answers() {
	local pid
	pid=$(redis_pid) && [ -n "$pid" ] && redis_ping &&
		[ "$(rcli INFO server 2>/dev/null | tr -d '\r' | sed -n 's/^process_id://p')" = "$pid" ]
}

# Fill with 10,000 strings plus a few other types.
redis_fill() {
	rcli DEBUG POPULATE 10000 key 32 >/dev/null &&
	rcli RPUSH list a b c >/dev/null &&
	rcli HSET hash f1 v1 f2 v2 >/dev/null &&
	rcli ZADD zset 1 one 2 two >/dev/null
}

redis_digest() {
	rcli DEBUG DIGEST
}

# The SHA-256 of the redis-server binary the running process executes.
redis_running_binary_sha() {
	sha256sum "/proc/$(redis_pid)/exe" | cut -d' ' -f1
}

# An answers file for plans/redis.yaml pointing at the sandbox.
redis_answers() {
	local file=$1 pkg=${2:-$NEW_DEB}
	cat > "$file" <<ANS
package: $pkg
bin_dir: $REDIS_BIN
host: 127.0.0.1
port: $REDIS_PORT
data_dir: $REDIS_DIR/data
service_manager: pidfile
pidfile: $REDIS_DIR/redis.pid
config: $REDIS_DIR/redis.conf
backup_dir: $REDIS_DIR/backups
ANS
}

# Stop the server whose pid the sandbox's pidfile names (a server this test
# started, directly or through upshift), and wait until it is gone (10 s).
redis_stop() {
	local pid
	pid=$(redis_pid) || return 0
	[ -n "$pid" ] || return 0
	kill "$pid" 2>/dev/null || return 0
	wait_for 10 sh -c "! kill -0 $pid 2>/dev/null"
}

# Save the dataset to dump.rdb and keep the old binaries aside, so that
# redis_reset can put the sandbox back as it was before an upgrade.
redis_snapshot() {
	rcli SAVE >/dev/null || return 1
	rm -rf "$REDIS_DIR/pristine-bin"
	cp -a "$REDIS_BIN" "$REDIS_DIR/pristine-bin"
}

# Back to the state redis_snapshot saw: old binaries, no upshift state or
# backups, the server running on the saved dataset.
redis_reset() {
	local state=$1
	redis_stop
	rm -rf "$REDIS_BIN" "$state" "$REDIS_DIR/backups"
	cp -a "$REDIS_DIR/pristine-bin" "$REDIS_BIN"
	redis_start
}

# The number of backup archives in the sandbox's backup directory.
redis_backups() {
	find "$REDIS_DIR/backups" -maxdepth 1 -name 'redis-*.tar*' ! -name '*.removed' \
		! -name '*.stamps' 2>/dev/null | wc -l
}

# redis_upgraded NAME STATE OLD_SHA NEW_SHA DIGEST: one check that the
# upgrade ended as it must, whatever happened on the way: the last upshift
# ($T_RC, $T_OUT) exited 0; the new binary in place and running; the kept
# old file is the original; the data is the same; exactly one backup,
# verified; the journal says finished and replays cleanly.
redis_upgraded() {
	local name=$1 state=$2 old_sha=$3 new_sha=$4 digest=$5 why=() st
	[ "$T_RC" = 0 ] || why+=("the last run exited $T_RC: $(printf '%s' "$T_OUT" | tail -n 3)")
	[ "$(sha256sum "$REDIS_BIN/redis-check-rdb" | cut -d' ' -f1)" = "$new_sha" ] || why+=("the binary in place is not the new one")
	[ "$(sha256sum "$REDIS_BIN/redis-check-rdb.upshift-old" 2>/dev/null | cut -d' ' -f1)" = "$old_sha" ] || why+=("the kept old file is not the original")
	[ "$(redis_running_binary_sha 2>/dev/null)" = "$new_sha" ] || why+=("the running server is not the new binary")
	[ "$(redis_digest 2>/dev/null)" = "$digest" ] || why+=("DEBUG DIGEST changed")
	# REDIS_ARCHIVES=2 for a cold backup: the live archive and its delta.
	[ "$(redis_backups)" = "${REDIS_ARCHIVES:-1}" ] ||
		why+=("$(redis_backups) backup archives, expected ${REDIS_ARCHIVES:-1}")
	grep -q 'key: backup.verified, value: "yes"' "$state/journal" || why+=("no verified backup in the journal")
	[ "${REDIS_ARCHIVES:-1}" = 1 ] || grep -q 'key: backup.delta.verified, value: "yes"' "$state/journal" ||
		why+=("no verified delta of the cold backup in the journal")
	st=$("$UPSHIFT" status redis --plans-dir "$PLANS_DIR" --state-dir "$state" 2>&1)
	printf '%s\n' "$st" | grep -q 'finished: nothing left to do' || why+=("status does not say finished")
	printf '%s\n' "$st" | grep -q 'damaged' && why+=("the journal does not replay cleanly")
	if [ ${#why[@]} -eq 0 ]; then ok "$name"; else not_ok "$name" "${why[@]}"; fi
	t_track "$(redis_pid)"
}

# Skip (exit 77) unless upshift was built with --enable-fault-injection.
need_fault_injection() {
	if [ "${UPSHIFT_FAULT_INJECTION:-no}" != yes ]; then
		echo "SKIP: needs a build configured with --enable-fault-injection (tests/check.sh makes one)"
		exit 77
	fi
}

# A running, filled, snapshotted sandbox, ready to be upgraded again and
# again (redis_reset), and what the checks compare with: digest, old_sha,
# new_sha (of redis-check-rdb), answers (the answers file), state.
redis_upgrade_setup() {
	local port
	port=$(free_port) || { echo "no free port"; exit 1; }
	redis_sandbox "$T_DIR/redis" "$port" || { echo "cannot set up the Redis sandbox"; exit 1; }
	redis_start || { echo "redis did not start: $(tail -n 3 "$REDIS_DIR/redis.log")"; exit 1; }
	redis_fill && redis_snapshot || { echo "cannot fill and save redis: $(tail -n 3 "$REDIS_DIR/redis.log")"; exit 1; }
	digest=$(redis_digest)
	old_sha=$(sha256sum "$REDIS_BIN/redis-check-rdb" | cut -d' ' -f1)
	new_sha=$(sha256sum "$REDIS_DIR/new/usr/bin/redis-check-rdb" | cut -d' ' -f1)
	answers=$T_DIR/answers.yaml
	redis_answers "$answers"
	state=$T_DIR/state
}

# redis_plan_variant OLD NEW [OLD NEW...]: plans/redis.yaml with the first
# OLD (a literal text, which must be there) replaced by NEW, pair by pair,
# as $T_DIR/plans/redis.yaml; sets TUI_PLANS to its directory.
redis_plan_variant() {
	mkdir -p "$T_DIR/plans" || return 1
	python3 - "$PLANS_DIR/redis.yaml" "$T_DIR/plans/redis.yaml" "$@" <<'PY' || return 1
import sys
src, dst, pairs = sys.argv[1], sys.argv[2], sys.argv[3:]
s = open(src).read()
for old, new in zip(pairs[0::2], pairs[1::2]):
    if old not in s:
        sys.exit("redis_plan_variant: %r is not in %s" % (old, src))
    s = s.replace(old, new, 1)
open(dst, "w").write(s)
PY
	TUI_PLANS=$T_DIR/plans
}

# redis_plan_cold SCRIPT: the plan as redis_plan_variant writes it, with a
# cold backup and a stop that first runs "sh -c SCRIPT DATA_DIR" (so $0 is
# the data directory), for tests of what changes just before the stop.
redis_plan_cold() {
	redis_plan_variant 'backup:
' 'backup:
  cold: true
' '  confirm: "Redis saves its dataset on shutdown (SHUTDOWN SAVE)."
' "  confirm: \"Redis saves its dataset on shutdown (SHUTDOWN SAVE).\"
  run:
    - [sh, -c, '$1', \"\${data_dir}\"]
"
}
