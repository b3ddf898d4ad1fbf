#!/bin/sh
# tests/fuzz/run.sh SRCDIR BINDIR TARGET...: fuzz each target in turn for
# $FUZZ_TIME seconds, one process at a time, from its committed seeds and
# regression inputs plus what earlier runs found (BINDIR/fuzz-out/corpus).
# Fails, keeping the input in BINDIR/fuzz-out/artifacts, on any crash,
# leak, timeout, out-of-memory or sanitizer report.
set -eu
src=$(cd "$1" && pwd)
mkdir -p "$2/fuzz-out/artifacts"
bin=$(cd "$2" && pwd)
out=$bin/fuzz-out
shift 2
: "${FUZZ_TIME:=60}" "${FUZZ_RSS_MB:=2048}" "${FUZZ_TIMEOUT_S:=10}"
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
status=0
for name in "$@"; do
	work=$out/corpus/$name
	mkdir -p "$work"
	set -- -max_total_time="$FUZZ_TIME" -rss_limit_mb="$FUZZ_RSS_MB" \
	    -timeout="$FUZZ_TIMEOUT_S" -print_final_stats=1 \
	    -artifact_prefix="$out/artifacts/$name-"
	[ "$name" = fuzz_config ] && set -- "$@" -dict="$src/config.dict"
	set -- "$@" "$work" "$src/corpus/$name"
	[ -d "$src/regress/$name" ] && set -- "$@" "$src/regress/$name"
	start=$(date +%s)
	if "$bin/$name" "$@" >"$out/$name.log" 2>&1 &&
	    ! grep -q -e '^==[0-9]*==ERROR' -e 'runtime error:' \
	    "$out/$name.log"; then
		result=ok
	else
		result=FAILED
		status=1
	fi
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' \
	    "$out/$name.log")
	cov=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$out/$name.log" |
	    sed -n 's/.*cov: \([0-9]*\) ft: \([0-9]*\) corp: \([^ ]*\).*/\1 \2 \3/p')
	set -- $cov
	secs=$(($(date +%s) - start))
	echo "fuzz $name: $result: $secs s, ${execs:-?} runs," \
	    "cov ${1:-?}, ft ${2:-?}, corpus ${3:-?}"
	if [ "$result" = FAILED ]; then
		grep -E -A 30 -e '^==[0-9]*==ERROR' -e 'runtime error:' \
		    -e 'deadly signal' -e '^[^ ]*:[0-9]+: ' "$out/$name.log" |
		    head -n 60 >&2 || true
		ls -l "$out/artifacts" >&2
	fi
done
exit "$status"
