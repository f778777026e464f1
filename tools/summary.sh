#!/usr/bin/env bash
# tools/summary.sh BUILD [--line STATUS]: after make check, show the log of
# every failed test and count the results. With --line, print only the
# closing "N passed, N failed" line (a failed distcheck counts as one failure).
build=$1
shift
logs=$(find "$build/tests" -name '*.trs' 2>/dev/null)
pass=0
fail=0
for trs in $logs; do
	res=$(sed -n 's/^:test-result: //p' "$trs" | head -n 1)
	case "$res" in
	PASS|SKIP|XFAIL) pass=$((pass + 1)) ;;
	*) fail=$((fail + 1))
	   [ "${1:-}" = --line ] || { echo "==== ${trs%.trs}.log"; tail -n 60 "${trs%.trs}.log"; } ;;
	esac
done
if [ "${1:-}" = --line ]; then
	[ "${2:-0}" = 0 ] || [ $fail -gt 0 ] || fail=1
	echo "$pass passed, $fail failed"
fi
