#!/usr/bin/env bash
# downtime.sh: upshift's downtime against a hand-run upgrade, measured side
# by side in one run (make bench-downtime). Never part of make check.
#
#     bench/downtime.sh BUILD_DIR
#
# For Redis (redis-tools 7.0.15 deb12u7 -> deb12u10) and PostgreSQL 15
# (15.18 -> 15.20, run as an unprivileged user: needs root), the same
# sandbox the tests use is made once and copied afresh for every trial,
# the copy written out to the disk (sync) before its server starts.
# Trials alternate A B A B (BENCH_PAIRS pairs, default 5: the by-hand
# figure alone varies by 40 % from pair to pair):
#   A  upshift run PLAN --yes: downtime is the journal's stop.at (the stop
#      step begins) to verify.ready_at (verify saw the service ready), as
#      the report counts it; detect and swap are their step_done times.
#   B  the bare runbook: the plan's own stop command (waiting until the
#      server's process is gone), `cp -a` of the new package's files over
#      the old ones, the plan's start command, and the plan's readiness
#      check polled every 50 ms.
# Then a synthetic directory mapping (a package of BENCH_SCALE_SMALL and
# BENCH_SCALE_LARGE files, default 2,000 and 20,000) upgraded by upshift,
# to see that detect and swap stay linear in the number of files.
# The last lines are
#   downtime: redis_ratio=R postgresql_ratio=P detect_s=D swap_s=S
#   scale: files=N detect_s=D swap_s=S      (one line per size)
# R and P are medians of upshift over bare per pair; D and S are the
# medians of the PostgreSQL plan's detect and swap. Targets (issue 15):
# P <= 1.0, R <= 0.8, D <= 5, S <= 0.5, the large mapping within 12x the
# small one.
set -uo pipefail

build=${1:?usage: downtime.sh BUILD_DIR}
UPSHIFT=$(cd "$build" && pwd)/upshift
UPSHIFT_SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
export UPSHIFT UPSHIFT_SRCDIR
[ -x "$UPSHIFT" ] || { echo "downtime.sh: $UPSHIFT is missing (make builds it)" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "downtime.sh: needs root (PostgreSQL runs as another user)" >&2; exit 2; }
pairs=${BENCH_PAIRS:-5}
small=${BENCH_SCALE_SMALL:-2000}
large=${BENCH_SCALE_LARGE:-20000}

. "$UPSHIFT_SRCDIR/tests/lib/common.sh"
. "$UPSHIFT_SRCDIR/tests/lib/redis.sh"
. "$UPSHIFT_SRCDIR/tests/lib/postgresql.sh"
B=$T_DIR

now_ms() { date +%s%3N; }
# poll_ready CMD...: CMD every 50 ms until it succeeds (at most 60 s).
poll_ready() {
	for _ in $(seq 1 1200); do
		"$@" && return 0
		sleep 0.05
	done
	return 1
}

# fact JOURNAL KEY: the value of the last fact KEY journaled.
fact() {
	sed -n "s/.*ev: fact, .*key: $2, value: \"\{0,1\}\([^\"}]*\)\"\{0,1\}}.*/\1/p" "$1" | tail -n 1
}
# step_ms JOURNAL STEP: the summed step_done time of STEP.
step_ms() {
	sed -n "s/.*ev: step_done, step: $2,.* ms: \([0-9]*\)}.*/\1/p" "$1" |
		awk '{ s += $1 } END { print s + 0 }'
}
# median of the numbers on stdin.
median() {
	sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) { print "nan"; exit }
		if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "nan" }'; }
secs() { awk -v a="$1" 'BEGIN { printf "%.2f", a / 1000 }'; }

# upshift_trial PLAN ANSWERS STATE LABEL: one upgrade; prints
# "downtime_ms detect_ms swap_ms".
upshift_trial() {
	local plan=$1 answers=$2 state=$3 label=$4 j
	if ! "$UPSHIFT" run "$plan" --plans-dir "$UPSHIFT_SRCDIR/plans" --answers "$answers" --yes \
		--state-dir "$state" > "$B/$label.out" 2>&1; then
		echo "downtime.sh: $label: upshift failed:" >&2
		tail -n 15 "$B/$label.out" >&2
		return 1
	fi
	j=$state/journal
	echo "$(($(fact "$j" verify.ready_at) - $(fact "$j" stop.at))) $(step_ms "$j" detect) $(step_ms "$j" swap)"
}

# settle: the fresh copy written out before the trial, as the files of an
# installed service are: otherwise the copy's writeback runs inside the
# measured window, and `cp -a` over files never written out only drops
# their dirty pages where over installed files it frees their blocks.
settle() { sync; }

# --- Redis -----------------------------------------------------------------

redis_pristine=$B/redis-pristine
redis_prepare() {
	local port
	port=$(free_port) || return 1
	redis_sandbox "$redis_pristine" "$port" || return 1
	redis_start || return 1
	redis_fill || return 1
	rcli SAVE > /dev/null || return 1
	redis_stop
}
# redis_trial DIR: a fresh copy of the pristine sandbox in DIR, started.
redis_fresh() {
	rm -rf "$1" && cp -a "$redis_pristine" "$1" || return 1
	sed -i "s#$redis_pristine#$1#g" "$1/redis.conf" || return 1
	REDIS_DIR=$1 REDIS_BIN=$1/root/usr/bin
	settle
	redis_start
}
redis_upshift() {
	local d=$B/redis-a$1 r
	redis_fresh "$d" || return 1
	redis_answers "$d/answers.yaml"
	r=$(upshift_trial redis "$d/answers.yaml" "$d/state" "redis-a$1")
	redis_stop
	rm -rf "$d"
	[ -n "$r" ] && echo "$r"
}
redis_bare() {
	local d=$B/redis-b$1 t0 t1 pid
	redis_fresh "$d" || return 1
	pid=$(redis_pid)
	t0=$(now_ms)
	rcli SHUTDOWN SAVE > /dev/null 2>&1
	wait_for 60 pid_gone "$pid" || return 1
	cp -a "$d/new/usr/bin/redis-check-rdb" "$d/new/usr/bin/redis-cli" "$d/root/usr/bin/" || return 1
	"$REDIS_BIN/redis-server" "$d/redis.conf" || return 1
	poll_ready redis_ping
	t1=$(now_ms)
	t_track "$(redis_pid)"
	redis_stop
	rm -rf "$d"
	echo $((t1 - t0))
}

# --- PostgreSQL --------------------------------------------------------------

pg_pristine=$B/pg-pristine
pg_prepare() {
	pg_sandbox "$pg_pristine" || return 1
	pg_start_free || return 1
	psql_ -d postgres -c 'CREATE DATABASE bench' || return 1
	"$PG_BIN/pgbench" -h 127.0.0.1 -p "$PG_PORT" -U postgres -i -s 3 -q bench \
		> "$B/pgbench-init.log" 2>&1 || return 1
	pg_stop
}
pg_fresh() {
	rm -rf "$1" && cp -a "$pg_pristine" "$1" || return 1
	pg_as sed -i "s#$pg_pristine#$1#g" "$1/pg/data/postgresql.conf" || return 1
	PG_DIR=$1 PG_ROOT=$1/root PG_BIN=$1/root/usr/lib/postgresql/15/bin
	PG_DATA=$1/pg/data PG_RUN=$1/pg/run PG_LOG=$1/pg/postgresql.log
	settle
	pg_start
}
pg_upshift() {
	local d=$B/pg-a$1 r
	pg_fresh "$d" || return 1
	PG_NEW_DEB=$(fetch_deb postgresql-15 "$PG_NEW_VERSION") || return 1
	pg_answers "$d/answers.yaml"
	r=$(upshift_trial postgresql "$d/answers.yaml" "$d/state" "pg-a$1")
	pg_stop
	rm -rf "$d"
	[ -n "$r" ] && echo "$r"
}
pg_bare() {
	local d=$B/pg-b$1 t0 t1 pid
	pg_fresh "$d" || return 1
	pid=$(pg_pid)
	t0=$(now_ms)
	pg_as "$PG_BIN/pg_ctl" stop -w -t 120 -D "$PG_DATA" -m fast > /dev/null 2>&1 || return 1
	wait_for 60 pid_gone "$pid" || return 1
	# the files the plan swaps, from its three packages (tests/lib/postgresql.sh)
	pg_copy_new || return 1
	pg_as "$PG_BIN/pg_ctl" start -w -t 120 -D "$PG_DATA" -l "$PG_LOG" > /dev/null 2>&1 || return 1
	poll_ready "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres
	t1=$(now_ms)
	t_track "$(pg_pid)"
	pg_stop
	rm -rf "$d"
	echo $((t1 - t0))
}

# --- A directory mapping of many files ----------------------------------------

# scale_trial N: a package of N small files in 100 directories, mapped as one
# directory over an installed tree of the same shape; prints "detect_ms swap_ms".
scale_trial() {
	local n=$1 d=$B/scale-$1 r
	mkdir -p "$d/old/opt/many" "$d/new/opt/many" "$d/root/run" || return 1
	python3 - "$n" "$d" <<'PY' || return 1
import os, sys
n, d = int(sys.argv[1]), sys.argv[2]
for tree, ver in (("old", "1.0.0"), ("new", "2.0.0")):
    for i in range(n):
        sub = os.path.join(d, tree, "opt/many/d%02d" % (i % 100))
        os.makedirs(sub, exist_ok=True)
        with open(os.path.join(sub, "f%06d" % i), "w") as f:
            f.write("%s file %d\n" % (ver, i))
    with open(os.path.join(d, tree, "opt/many/VERSION"), "w") as f:
        f.write(ver + "\n")
PY
	tar -C "$d/new" -czf "$d/new.tar.gz" opt || return 1
	cp -a "$d/old/opt" "$d/root/" || return 1
	cat > "$d/plan.yaml" <<'PLAN'
schema: 1
id: many
title: Many files (benchmark)
target: 2.0.0
ask:
  - {key: root, text: Install root, type: dir}
  - {key: package, text: The new release, type: file}
service:
  manager: pidfile
  pidfile: "${root}/run/many.pid"
  start: {shell: 'sleep 600 > /dev/null 2>&1 & echo $! > "$root/run/many.pid"'}
  timeout: 30s
detect:
  version: {run: [cat, "${root}/opt/many/VERSION"], match: '^(\d+\.\d+\.\d+)$'}
backup:
  paths: ["${root}/run"]
stop: {}
swap:
  package: "${package}"
  files:
    opt/many/: "${root}/opt/many/"
migrate: []
verify:
  ready: {run: [test, -s, "${root}/run/many.pid"], timeout: 30s}
PLAN
	printf 'root: %s\npackage: %s\nbackup_dir: %s\n' "$d/root" "$d/new.tar.gz" "$d/backups" \
		> "$d/answers.yaml"
	sh -c 'sleep 600 > /dev/null 2>&1 & echo $! > "$0/run/many.pid"' "$d/root"
	t_track "$(cat "$d/root/run/many.pid")"
	r=$(upshift_trial "$d/plan.yaml" "$d/answers.yaml" "$d/state" "scale-$n") || return 1
	t_track "$(cat "$d/root/run/many.pid")"
	kill "$(cat "$d/root/run/many.pid")" 2>/dev/null
	rm -rf "$d"
	set -- $r
	echo "$2 $3"
}

# --- The run ------------------------------------------------------------------

echo "downtime.sh: preparing the Redis and PostgreSQL sandboxes"
redis_prepare || { echo "downtime.sh: cannot set up Redis" >&2; exit 1; }
pg_prepare || { echo "downtime.sh: cannot set up PostgreSQL" >&2; exit 1; }

: > "$B/redis.ratios"; : > "$B/pg.ratios"; : > "$B/pg.detect"; : > "$B/pg.swap"
for i in $(seq 1 "$pairs"); do
	a=$(redis_upshift "$i") || { echo "downtime.sh: redis trial $i failed" >&2; exit 1; }
	b=$(redis_bare "$i") || { echo "downtime.sh: redis bare trial $i failed" >&2; exit 1; }
	set -- $a
	echo "redis pair $i: upshift ${1} ms (detect ${2} ms, swap ${3} ms), bare ${b} ms"
	ratio "$1" "$b" >> "$B/redis.ratios"; echo >> "$B/redis.ratios"
	a=$(pg_upshift "$i") || { echo "downtime.sh: postgresql trial $i failed" >&2; exit 1; }
	b=$(pg_bare "$i") || { echo "downtime.sh: postgresql bare trial $i failed" >&2; exit 1; }
	set -- $a
	echo "postgresql pair $i: upshift ${1} ms (detect ${2} ms, swap ${3} ms), bare ${b} ms"
	ratio "$1" "$b" >> "$B/pg.ratios"; echo >> "$B/pg.ratios"
	echo "$2" >> "$B/pg.detect"; echo "$3" >> "$B/pg.swap"
done

scale_lines=()
for n in "$small" "$large"; do
	r=$(scale_trial "$n") || { echo "downtime.sh: scale trial of $n files failed" >&2; exit 1; }
	set -- $r
	scale_lines+=("scale: files=$n detect_s=$(secs "$1") swap_s=$(secs "$2")")
done

printf 'downtime: redis_ratio=%s postgresql_ratio=%s detect_s=%s swap_s=%s\n' \
	"$(grep . "$B/redis.ratios" | median)" "$(grep . "$B/pg.ratios" | median)" \
	"$(secs "$(median < "$B/pg.detect")")" "$(secs "$(median < "$B/pg.swap")")"
printf '%s\n' "${scale_lines[@]}"
