# tests/lib/common.sh: helpers for integration tests (sourced, bash).
#
# Every test works in its own temporary directory, starts what it needs on
# 127.0.0.1, records the PIDs it started and stops only those. Loops are
# bounded in count and time. A test prints "N passed, N failed" last and
# exits non-zero when anything failed.

set -u

: "${UPSHIFT:?UPSHIFT must point to the upshift binary (make check sets it)}"
: "${UPSHIFT_SRCDIR:?UPSHIFT_SRCDIR must point to the source tree}"
PLANS_DIR=${UPSHIFT_PLANS:-$UPSHIFT_SRCDIR/plans}

T_PASS=0
T_FAIL=0
T_PIDS=()
T_DIR=$(mktemp -d "${TMPDIR:-/tmp}/upshift-test.XXXXXX")
chmod 0755 "$T_DIR"

t_cleanup() {
	local pid
	for pid in "${T_PIDS[@]}"; do
		kill "$pid" 2>/dev/null
	done
	for pid in "${T_PIDS[@]}"; do
		for _ in $(seq 1 50); do
			pid_alive "$pid" || break
			sleep 0.1
		done
		kill -9 "$pid" 2>/dev/null
	done
	if [ "${KEEP_TEST_DIR:-0}" = 1 ]; then
		echo "# kept $T_DIR"
	else
		rm -rf "$T_DIR"
	fi
}
trap t_cleanup EXIT

# Remember a PID this test started, so that cleanup stops it. Anything but
# a PID is ignored: "kill 0" would stop the whole process group (make too).
t_track() {
	case $1 in
	'' | 0 | *[!0-9]*) return 0 ;;
	esac
	T_PIDS+=("$1")
}

ok() {
	T_PASS=$((T_PASS + 1))
	echo "ok - $1"
}

not_ok() {
	T_FAIL=$((T_FAIL + 1))
	echo "not ok - $1"
	shift
	[ $# -gt 0 ] && printf '#   %s\n' "$@"
	return 0
}

# check NAME COMMAND...: passes when COMMAND exits 0.
check() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else not_ok "$name" "command: $*"; fi
}

# check_eq NAME GOT WANT
check_eq() {
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1" "got:  $2" "want: $3"; fi
}

# check_match NAME TEXT EXTENDED-REGEX
check_match() {
	if printf '%s\n' "$2" | grep -Eq -- "$3"; then
		ok "$1"
	else
		not_ok "$1" "text: $(printf '%s' "$2" | head -c 2000)" "does not match: $3"
	fi
}

# wait_for SECONDS COMMAND...: poll every 0.1 s until COMMAND succeeds, for
# at most SECONDS of wall time (a slow COMMAND counts) and secs*10 tries.
wait_for() {
	local secs=$1 i end
	shift
	end=$((SECONDS + secs))
	for i in $(seq 1 $((secs * 10))); do
		"$@" && return 0
		[ "$SECONDS" -ge "$end" ] && return 1
		sleep 0.1
	done
	return 1
}

# pid_alive PID: the process runs. One that exited but was not reaped yet
# (a zombie: its parent went away and this machine's init reaps late) does
# not count. pid_gone PID: the opposite, for wait_for.
pid_alive() {
	local st
	[ -n "$1" ] && [ "$1" != 0 ] || return 1
	st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
	[ -n "$st" ] && [ "$st" != Z ]
}
pid_gone() {
	! pid_alive "$1"
}

# A free TCP port on 127.0.0.1 (tries at most 50 random ones). The range
# stays below Linux's ephemeral ports (32768 and up), where outgoing
# connections of the other tests running alongside would take them.
free_port() {
	local p i
	for i in $(seq 1 50); do
		p=$((20000 + RANDOM % 12000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

# Debian packages the tests use are fetched once into this cache.
DEB_CACHE=${UPSHIFT_DEB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/upshift/debs}

# fetch_deb NAME VERSION: print the path of the cached .deb, downloading it
# once. Tests run in parallel: the cache is locked while it is looked at and
# filled, and a download lands in a private directory and is moved in whole,
# so nobody ever sees a half-written package.
fetch_deb() {
	local name=$1 version=$2 pattern
	pattern="${name}_*${version#*:}_*.deb"
	mkdir -p "$DEB_CACHE" || return 1
	(
		flock -w 600 9 || { echo "cannot lock $DEB_CACHE/.lock" >&2; exit 1; }
		ls "$DEB_CACHE"/$pattern >/dev/null 2>&1 && exit 0
		tmp=$(mktemp -d "$DEB_CACHE/.download.XXXXXX") || exit 1
		ok=1
		for try in 1 2 3; do
			if (cd "$tmp" && apt-get download -q "$name=$version" >/dev/null 2>&1); then
				ok=0
				break
			fi
			sleep "$try"
		done
		[ $ok = 0 ] && mv "$tmp"/$pattern "$DEB_CACHE/"
		rm -rf "$tmp"
		[ $ok = 0 ] || echo "cannot download $name=$version (is apt-get update done?)" >&2
		exit $ok
	) 9>"$DEB_CACHE/.lock" || return 1
	ls "$DEB_CACHE"/$pattern 2>/dev/null | head -n 1
}

# backup_listing FILE...: the member names of the backup archives given (a
# glob's matches), one per line. A cold backup is two archives, the live one
# and the one made at the stop (NAME-changed.tar.zst), which rollback lays
# over the first: what the backup holds is the union of both listings. The
# lists beside them (.removed, .stamps) are not archives and are skipped.
backup_listing() {
	local f
	for f in "$@"; do
		case $f in *.removed|*.stamps) continue ;; esac
		[ -f "$f" ] && tar -tf "$f" 2>&1
	done
}

t_done() {
	echo "$T_PASS passed, $T_FAIL failed"
	[ "$T_FAIL" -eq 0 ]
}

# run_upshift ARGS...: run upshift with its output in $T_OUT and exit code in $T_RC.
run_upshift() {
	T_OUT=$("$UPSHIFT" "$@" 2>&1)
	T_RC=$?
}
