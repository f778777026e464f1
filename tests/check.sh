#!/usr/bin/env bash
# tests/check.sh: the whole test suite, from a fresh Debian 12 machine:
# install, bootstrap, build, then make check (unit tests, integration tests
# against real servers, man page lint) and make distcheck. Prints
# "N passed, N failed" last and exits non-zero when anything failed.
set -uo pipefail
. "$(dirname "$0")/../tools/bootstrap.sh"
set +e

status=0
make -C "$BUILD" -j2 check
rc=$?
[ $rc -eq 0 ] || status=1
"$TOP/tools/summary.sh" "$BUILD"

if [ $rc -eq 0 ] && [ "${UPSHIFT_SKIP_DISTCHECK:-0}" != 1 ]; then
	echo "check: make distcheck"
	if make -C "$BUILD" distcheck > "$BUILD/distcheck.log" 2>&1; then
		echo "check: distcheck passed"
	else
		tail -n 40 "$BUILD/distcheck.log"
		echo "check: distcheck FAILED (log: $BUILD/distcheck.log)"
		status=1
	fi
fi
"$TOP/tools/summary.sh" "$BUILD" --line "$status"
exit $status
