#!/usr/bin/env bash
# tests/fuzz/run.sh BUILDDIR SRCDIR SECONDS TARGET...: run each libFuzzer
# target (BUILDDIR/fuzz/fuzz-TARGET, built by make fuzz) for SECONDS, one
# after the other, in a fresh corpus directory seeded from tests/data/.
# Prints per target its executions and any crash (the input is kept as
# BUILDDIR/fuzz/crash-TARGET-*), and writes BUILDDIR/tests/fuzz/TARGET.trs
# so that tools/summary.sh counts one pass or failure per target.
# Exits non-zero when a target crashed.
set -u
build=$1 src=$2 secs=$3
shift 3
data=$src/tests/data
mkdir -p "$build/tests/fuzz"
rm -f "$build/tests/fuzz/"*.trs "$build/tests/fuzz/"*.log

# seeds TARGET DIR: fill DIR with the seed inputs of TARGET.
seeds() {
	local n=0 f line
	case $1 in
	plan)
		cp "$data"/plans/*.yaml "$data"/bad-plans/*.yaml "$data"/answers/plan.yaml "$2"/
		cp "$src"/plans/*.yaml "$2"/ 2>/dev/null ;;
	answers)
		cp "$data"/answers/misspelt.yaml "$2"/
		# what tests/unit/test-answers.c loads, and answers for the two plans
		printf 'data_dir: /var/lib/full\npackage: /dev/null\nbackup_dir: /b\n' > "$2"/full
		printf 'root: /srv/toy\npackage: {0.30.0: /dev/null, 0.80.2: /dev/null, 1.0.0: /dev/null}\npackage_sha256: {1.0.0: %064d}\ncrash: no\n' 0 > "$2"/hops
		printf 'root: /srv/toy\npackage: /dev/null\ncrash: yes\n' > "$2"/one ;;
	journal)
		# each record of the journal the previous release wrote
		# (tests/data/old-journal); records are decoded one by one
		local tmp
		tmp=$(mktemp -d)
		tar -xzf "$data"/old-journal/sandbox.tar.gz -C "$tmp"
		while IFS= read -r f; do
			while IFS= read -r line; do
				n=$((n + 1))
				printf '%s\n' "$line" > "$2/line$n"
			done < "$f"
		done < <(find "$tmp" -type f -name journal)
		rm -rf "$tmp" ;;
	proto)
		# the messages doc/protocol.md shows, one per seed and all in one
		grep -E '^    [a-z_]+( [a-z0-9_.]+=[^ ]*)*$' "$src"/doc/protocol.md |
		sed 's/^    //' > "$2"/all
		while IFS= read -r line; do
			n=$((n + 1))
			printf '%s\n' "$line" > "$2/msg$n"
		done < "$2"/all
		printf 'log kind=stdout text=a\\sb\\x01\\\\\nask key=k\\n text=\n' > "$2"/escapes ;;
	esac
}

status=0
for t in "$@"; do
	bin=$build/fuzz/fuzz-$t
	log=$build/tests/fuzz/$t.log
	corpus=$(mktemp -d "${TMPDIR:-/tmp}/upshift-fuzz-$t.XXXXXX")
	seeds "$t" "$corpus"
	"$bin" -max_total_time="$secs" -timeout=20 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$build/fuzz/crash-$t-" \
		"$corpus" > "$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
	units=$(find "$corpus" -type f | wc -l)
	rm -rf "$corpus"
	if [ $rc -eq 0 ]; then
		echo "fuzz-$t: ${execs:-?} executions in ${secs} s (${rate:-?}/s), corpus $units inputs, no crash"
		res=PASS
	else
		echo "fuzz-$t: FAILED (exit $rc) after ${execs:-?} executions; log: $log"
		grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error|artifact_prefix|Test unit written)' "$log" | head -n 8
		res=FAIL
		status=1
	fi
	printf ':test-result: %s\n' "$res" > "$build/tests/fuzz/$t.trs"
done
exit $status
