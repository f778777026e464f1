#!/usr/bin/env bash
# tests/check.sh: the whole test suite, from a fresh Debian 12 machine.
# Installs what is missing, bootstraps and builds (tools/bootstrap.sh), then:
#   1. build/: make check (unit tests, integration tests against a real
#      Redis, man page lint), then make distcheck (there, the quick tests);
#   2. build-faults/: a second build with --enable-fault-injection and
#      --enable-sanitizers (ASan + UBSan): make check again, the whole suite,
#      now with the crash and rollback campaigns, which need fault injection.
#   3. make fuzz: each parser's libFuzzer target for 60 s (UPSHIFT_SKIP_FUZZ=1
#      leaves them out), one test each;
#   4. tests/fresh-machine.sh (as root; UPSHIFT_SKIP_FRESH=1 leaves it out):
#      the README's two commands in a fresh minbase Debian 12 root, counted
#      as one more test of build/ (its log in build/tests/fresh-machine.log).
# Prints "N passed, N failed" last and exits non-zero when anything failed.
set -uo pipefail
. "$(dirname "$0")/../tools/bootstrap.sh"
set +e

status=0
make -C "$BUILD" -j2 check || status=1
"$TOP/tools/summary.sh" "$BUILD"

if [ $status -eq 0 ] && [ "${UPSHIFT_SKIP_DISTCHECK:-0}" != 1 ]; then
	echo "check: make distcheck"
	# The full suite ran above: the tarball's own check runs the quick tests.
	quick=$(make -s -C "$BUILD" print-quick-tests)
	if make -C "$BUILD" distcheck TESTS="$quick" > "$BUILD/distcheck.log" 2>&1; then
		echo "check: distcheck passed"
	else
		tail -n 40 "$BUILD/distcheck.log"
		echo "check: distcheck FAILED (log: $BUILD/distcheck.log)"
		status=1
	fi
fi

FAULTS=${UPSHIFT_FAULT_BUILD:-$TOP/build-faults}
if [ "${UPSHIFT_SKIP_FAULTS:-0}" != 1 ]; then
	echo "check: building with fault injection and sanitizers in $FAULTS"
	mkdir -p "$FAULTS"
	if [ ! -f "$FAULTS/Makefile" ] || [ "$TOP/configure" -nt "$FAULTS/Makefile" ]; then
		(cd "$FAULTS" && "$TOP/configure" --enable-werror --enable-fault-injection \
			--enable-sanitizers >/dev/null) || status=1
	fi
	export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
	make -C "$FAULTS" -j2 >/dev/null || status=1
	make -C "$FAULTS" -j2 check || status=1
	"$TOP/tools/summary.sh" "$FAULTS"
fi

# The parsers' fuzzing targets (tests/fuzz/, clang's libFuzzer with ASan and
# UBSan), 60 s each, one after the other; each counts as one test in the
# summary. UPSHIFT_SKIP_FUZZ=1 leaves them out.
rm -f "$BUILD"/tests/fuzz/*.trs
if [ "${UPSHIFT_SKIP_FUZZ:-0}" != 1 ]; then
	echo "check: make fuzz, 60 s per target"
	make -C "$BUILD" fuzz FUZZ_SECONDS=60 || status=1
fi

# The README's promise on a fresh machine (tests/fresh-machine.sh). Its
# result goes where the summary counts it, as automake writes a test's.
rm -f "$BUILD/tests/fresh-machine.trs"
if [ "${UPSHIFT_SKIP_FRESH:-0}" != 1 ]; then
	echo "check: the README's two commands on a fresh Debian 12 root (tests/fresh-machine.sh)"
	mkdir -p "$BUILD/tests"
	bash "$TOP/tests/fresh-machine.sh" > "$BUILD/tests/fresh-machine.log" 2>&1
	case $? in
	0) res=PASS ;;
	77) res=SKIP ;;
	*) res=FAIL; status=1; tail -n 60 "$BUILD/tests/fresh-machine.log" ;;
	esac
	echo ":test-result: $res" > "$BUILD/tests/fresh-machine.trs"
	echo "$res: tests/fresh-machine.sh ($(tail -n 1 "$BUILD/tests/fresh-machine.log"))"
fi

"$TOP/tools/summary.sh" "$BUILD" "$FAULTS" --line "$status"
exit $status
