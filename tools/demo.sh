#!/usr/bin/env bash
# tools/demo.sh: the embedded demo. A throwaway Redis in a temporary
# directory, filled with 10,000 keys, upgraded by upshift from redis-tools
# 5:7.0.15-1~deb12u7 to 5:7.0.15-1~deb12u10 (both fetched with apt-get
# download into that directory). Nothing outside it is touched: the state,
# the backups and the packages all live there. The Redis server is stopped
# at the end; the directory is kept for you to look at.
#
# On a terminal the upgrade runs in the wizard, its questions filled in
# with the sandbox's answers (saved in the state directory as a run leaves
# them): read, press Enter, confirm. Without a terminal (or with
# DEMO_PLAIN=1) it runs scripted, with --answers and --yes.
set -uo pipefail
. "$(dirname "$0")/bootstrap.sh"
set +e

export UPSHIFT=$BUILD/upshift UPSHIFT_SRCDIR=$TOP KEEP_TEST_DIR=1
. "$TOP/tests/lib/common.sh"
export UPSHIFT_DEB_CACHE=$T_DIR/debs
. "$TOP/tests/lib/redis.sh"

echo "demo: working in $T_DIR"
port=$(free_port) || { echo "demo: no free port"; exit 1; }
echo "demo: fetching redis-tools $REDIS_OLD_VERSION and $REDIS_NEW_VERSION"
redis_sandbox "$T_DIR/redis" "$port" || { echo "demo: cannot set up Redis"; exit 1; }
redis_start || { echo "demo: Redis did not start (see $T_DIR/redis/redis.log)"; exit 1; }
redis_fill
echo "demo: Redis $("$REDIS_BIN/redis-server" --version | cut -d' ' -f3,7) on 127.0.0.1:$port with $(rcli DBSIZE) keys, digest $(redis_digest)"
redis_answers "$T_DIR/answers.yaml"
if [ -t 0 ] && [ -t 1 ] && [ "${DEMO_PLAIN:-0}" != 1 ]; then
	mkdir -p "$T_DIR/state"
	chmod 700 "$T_DIR/state"
	cp "$T_DIR/answers.yaml" "$T_DIR/state/answers.yaml"
	echo "demo: opening the wizard (its questions are filled in; Enter goes on):"
	echo "  upshift run redis --state-dir $T_DIR/state"
	sleep 2
	"$UPSHIFT" run redis --plans-dir "$TOP/plans" --state-dir "$T_DIR/state"
	rc=$?
else
	echo "demo: answers in $T_DIR/answers.yaml; running:"
	echo "  upshift run redis --answers $T_DIR/answers.yaml --yes --state-dir $T_DIR/state"
	echo
	"$UPSHIFT" run redis --plans-dir "$TOP/plans" --answers "$T_DIR/answers.yaml" --yes \
		--state-dir "$T_DIR/state"
	rc=$?
fi
echo
echo "demo: upshift exited $rc; Redis now $("$REDIS_BIN/redis-server" --version | cut -d' ' -f3,7), $(rcli DBSIZE) keys, digest $(redis_digest)"
echo "demo: see the journal with: $UPSHIFT status redis --plans-dir $TOP/plans --state-dir $T_DIR/state"
t_track "$(redis_pid)"
exit $rc
