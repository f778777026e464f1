#!/usr/bin/env bash
# A real Redis upgraded end to end in scripted mode: redis-tools
# 5:7.0.15-1~deb12u7 -> ~deb12u10, 10,000 keys, one client blocked in BLPOP.
. "$UPSHIFT_SRCDIR/tests/lib/common.sh"
. "$UPSHIFT_SRCDIR/tests/lib/redis.sh"

port=$(free_port) || { echo "no free port"; exit 1; }
redis_sandbox "$T_DIR/redis" "$port" || { echo "cannot set up the Redis sandbox"; exit 1; }
redis_start || { echo "redis did not start"; exit 1; }
redis_fill || { echo "cannot fill redis"; exit 1; }

old_sha=$(sha256sum "$REDIS_BIN/redis-check-rdb" | cut -d' ' -f1)
new_sha=$(sha256sum "$REDIS_DIR/new/usr/bin/redis-check-rdb" | cut -d' ' -f1)
check "the two packages hold different binaries" test "$old_sha" != "$new_sha"
digest_before=$(redis_digest)
check_match "redis has a digest before" "$digest_before" '^[0-9a-f]{40}$'
check_eq "10,000 keys and 3 others before" "$(rcli DBSIZE)" 10003

# A client blocked in BLPOP: the upgrade must disconnect it.
"$REDIS_BIN/redis-cli" -h 127.0.0.1 -p "$port" BLPOP never-filled 0 > "$T_DIR/blpop.out" 2>&1 &
blpop=$!
t_track "$blpop"
wait_for 10 sh -c "'$REDIS_BIN/redis-cli' -h 127.0.0.1 -p $port CLIENT LIST | grep -q cmd=blpop"
check "the BLPOP client is connected" rcli CLIENT LIST

answers=$T_DIR/answers.yaml
redis_answers "$answers"
state=$T_DIR/state

run_upshift run redis --plans-dir "$PLANS_DIR" --answers "$answers" --yes --state-dir "$state"
echo "$T_OUT" > "$T_DIR/run.out"
check_eq "upshift run exits 0" "$T_RC" 0
[ "$T_RC" = 0 ] || sed 's/^/#   /' "$T_DIR/run.out" | tail -n 40

# The binary in place is byte for byte the new package's, the old one kept.
check "redis-check-rdb is the new package's" cmp -s "$REDIS_BIN/redis-check-rdb" "$REDIS_DIR/new/usr/bin/redis-check-rdb"
check "redis-cli is the new package's" cmp -s "$REDIS_BIN/redis-cli" "$REDIS_DIR/new/usr/bin/redis-cli"
check_eq "the kept old file is the original binary" \
	"$(sha256sum "$REDIS_BIN/redis-check-rdb.upshift-old" 2>/dev/null | cut -d' ' -f1)" "$old_sha"
check "redis-server is still a link to redis-check-rdb" test "$(readlink "$REDIS_BIN/redis-server")" = redis-check-rdb
check_eq "the running server is the new binary" "$(redis_running_binary_sha)" "$new_sha"
t_track "$(redis_pid)"

# The data is the same.
check "redis answers after the upgrade" redis_ping
check_eq "DEBUG DIGEST is equal before and after" "$(redis_digest)" "$digest_before"
check_eq "DBSIZE is equal before and after" "$(rcli DBSIZE)" 10003

# The blocked client was disconnected.
wait_for 10 sh -c "! kill -0 $blpop 2>/dev/null"
check "the blocked client was disconnected" sh -c "! kill -0 $blpop 2>/dev/null"

# The backup: GNU tar lists it, and every hash in its manifest matches.
backup=$(ls "$REDIS_DIR"/backups/redis-*.tar.zst 2>/dev/null | head -n 1)
check "a backup archive was written" test -f "$backup"
check_eq "the backup is mode 0600" "$(stat -c %a "$backup" 2>/dev/null)" 600
listing=$(tar -tf "$backup" 2>&1)
check_match "tar -tf lists the data file" "$listing" "^${REDIS_DIR#/}/data/dump.rdb$"
check_match "tar -tf lists the manifest" "$listing" '^UPSHIFT-MANIFEST\.sha256$'
mkdir -p "$T_DIR/x"
tar -xf "$backup" -C "$T_DIR/x"
check "every hash in the manifest matches its member" sh -c "cd '$T_DIR/x' && sha256sum --quiet -c UPSHIFT-MANIFEST.sha256"
check_eq "the journal holds the manifest's SHA-256" \
	"$(sed -n 's/.*key: backup.manifest_sha256, value: \([0-9a-f]*\)}.*/\1/p' "$state/journal")" \
	"$(sha256sum "$T_DIR/x/UPSHIFT-MANIFEST.sha256" | cut -d' ' -f1)"
check_match "the manifest lists dump.rdb" "$(cat "$T_DIR/x/UPSHIFT-MANIFEST.sha256")" "  ${REDIS_DIR#/}/data/dump.rdb$"
check "the report names the backup and its SHA-256" grep -q "$(sha256sum "$backup" | cut -d' ' -f1)" "$T_DIR/run.out"
check_match "the report gives the downtime" "$T_OUT" 'downtime: [0-9.]+s'

# The journal: eight steps done, every record's CRC right, the state private.
for s in detect backup disconnect stop swap migrate verify reconnect; do
	check "journal: $s done" grep -q "ev: step_done, step: $s[,}]" "$state/journal"
done
check_eq "the state directory is 0700" "$(stat -c %a "$state")" 700
check_eq "the journal is 0600" "$(stat -c %a "$state/journal")" 600
bad_crc=0
while IFS= read -r line; do
	crc=${line%% *}
	body=${line#* }
	want=$(printf '%s' "$body" | python3 -c 'import sys,zlib; print("%08x" % zlib.crc32(sys.stdin.buffer.read()))')
	[ "$crc" = "$want" ] || bad_crc=$((bad_crc + 1))
done < "$state/journal"
check_eq "every journal record's CRC32 is right" "$bad_crc" 0

run_upshift status redis --plans-dir "$PLANS_DIR" --state-dir "$state"
check_match "upshift status says it finished" "$T_OUT" 'finished: nothing left to do'

# A second run has nothing left to do and changes nothing.
pid_before=$(redis_pid)
run_upshift run redis --plans-dir "$PLANS_DIR" --answers "$answers" --yes --state-dir "$state"
check_eq "a second run exits 0" "$T_RC" 0
check_match "a second run says there is nothing left to do" "$T_OUT" 'nothing left to do'
check_eq "a second run leaves the server alone" "$(redis_pid)" "$pid_before"

t_done
