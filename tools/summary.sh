#!/usr/bin/env bash
# tools/summary.sh BUILD... [--line STATUS]: after make check, show the log
# of every failed test in the build directories given and count the results.
# With --line, print only the closing "N passed, N failed, N skipped" line over all of
# them (a non-zero STATUS with no failed test, such as a failed distcheck,
# counts as one failure).
builds=()
line=0
status=0
while [ $# -gt 0 ]; do
	case "$1" in
	--line) line=1; status=${2:-0}; shift 2 ;;
	*) builds+=("$1"); shift ;;
	esac
done
pass=0
fail=0
skip=0
for build in "${builds[@]}"; do
	for trs in $(find "$build/tests" -name '*.trs' 2>/dev/null); do
		res=$(sed -n 's/^:test-result: //p' "$trs" | head -n 1)
		case "$res" in
		PASS|XFAIL) pass=$((pass + 1)) ;;
		SKIP) skip=$((skip + 1)) ;;
		*) fail=$((fail + 1))
		   [ $line = 1 ] || { echo "==== ${trs%.trs}.log"; tail -n 60 "${trs%.trs}.log"; } ;;
		esac
	done
done
if [ $line = 1 ]; then
	[ "$status" = 0 ] || [ $fail -gt 0 ] || fail=1
	echo "$pass passed, $fail failed, $skip skipped"
fi
