#!/bin/sh
# test.sh: install what is missing, then build and run every test: the unit
# and integration suites (bench/run --quick among them) in a normal build
# and again under AddressSanitizer and UndefinedBehaviorSanitizer, a short
# run of every fuzz target, then make distcheck, then, as root, the package
# test.
set -eu
top=$(cd "$(dirname "$0")" && pwd)
cd "$top"
./scripts/deps.sh build-essential autoconf automake pkg-config \
    libconfig-dev check iproute2 python3 haproxy strace \
    clang-16 libclang-rt-16-dev libfuzzer-16-dev llvm-16

status=0
rm -f build/package-test.log
./scripts/check.sh build --enable-werror || status=1
./scripts/check.sh build-asan --enable-sanitizers --enable-werror || status=1
# Every fuzz target for a short, bounded time (the long run is make fuzz
# FUZZ_TIME=SECONDS in build-fuzz, see the README).
echo "== make fuzz FUZZ_TIME=${ECHOD_FUZZ_SMOKE_S:=15} (build-fuzz)"
rm -f build-fuzz/fuzz-smoke.log
if ./scripts/build.sh build-fuzz --enable-fuzzing CC=clang-16; then
	(cd build-fuzz && make fuzz FUZZ_TIME="$ECHOD_FUZZ_SMOKE_S") \
	    >build-fuzz/fuzz-smoke.log 2>&1 || status=1
	cat build-fuzz/fuzz-smoke.log
else
	status=1
fi
if [ "$status" -eq 0 ]; then
	echo "== make distcheck"
	(cd build && make -j"$(nproc)" distcheck >distcheck.log 2>&1) || {
		tail -n 80 build/distcheck.log
		status=1
	}
fi
# The package test builds, installs and purges the echod package: it needs
# root (CI runs as root); ECHOD_PACKAGE_TEST=0 skips it.
if [ "$(id -u)" -eq 0 ] && [ "${ECHOD_PACKAGE_TEST:-1}" != 0 ]; then
	echo "== tests/package/run"
	tests/package/run >build/package-test.log 2>&1 || status=1
	cat build/package-test.log
else
	echo "== tests/package/run: skipped (needs root; ECHOD_PACKAGE_TEST=0)"
fi
# One plain closing line over every suite of every build.
pass=0
fail=0
for d in build build-asan; do
	[ -d "$d/tests" ] || continue
	p=$(find "$d/tests" -name '*.trs' -exec grep -l '^:test-result: PASS' {} + | wc -l)
	f=$(find "$d/tests" -name '*.trs' -exec grep -L '^:test-result: PASS' {} + | wc -l)
	pass=$((pass + p))
	fail=$((fail + f))
done
# Each fuzz target's smoke run counts as one test.
smoke=build-fuzz/fuzz-smoke.log
if [ -f "$smoke" ]; then
	pass=$((pass + $(grep -c '^fuzz .*: ok:' "$smoke" || :)))
	fail=$((fail + $(grep -c '^fuzz .*: FAILED:' "$smoke" || :)))
fi
# The package test counts its checks in its own closing line.
if [ -f build/package-test.log ]; then
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' build/package-test.log |
	    tail -n 1)
	pass=$((pass + $(echo "${line:-0 passed}" | cut -d' ' -f1)))
	fail=$((fail + $(echo "${line:-0 passed, 0 failed}" | cut -d' ' -f3)))
fi
if [ "$status" -eq 0 ]; then
	echo "test.sh: all tests passed"
else
	echo "test.sh: FAILED (see the logs above)"
	[ "$fail" -gt 0 ] || fail=1
fi
echo "$pass passed, $fail failed"
exit "$status"
