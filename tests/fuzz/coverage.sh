#!/bin/sh
# tests/fuzz/coverage.sh SRCDIR BINDIR TARGET...: run each target once
# over its seeds, regression inputs and what `make fuzz` found, and print
# the line coverage llvm-cov gives the files it is meant to reach.  Needs
# a build configured with --enable-fuzzing=coverage.
set -eu
src=$(cd "$1" && pwd)
top=$(cd "$src/../.." && pwd)
mkdir -p "$2/fuzz-out/coverage"
bin=$(cd "$2" && pwd)
out=$bin/fuzz-out
shift 2
: "${LLVM_PROFDATA:=llvm-profdata-16}" "${LLVM_COV:=llvm-cov-16}"
for name in "$@"; do
	case $name in
	fuzz_config)	files="src/config.c src/config_scan.c" ;;
	fuzz_udpguard)	files="lib/addr.c src/spoofguard.c" ;;
	fuzz_proxyproto) files="src/proxyproto.c" ;;
	fuzz_acl)	files="src/acl.c" ;;
	fuzz_echoprobe_opts) files="echoprobe/opts.c" ;;
	fuzz_echoprobe_reply) files="echoprobe/probe.c echoprobe/stats.c \
	    echoprobe/hist.c" ;;
	*)		files="" ;;
	esac
	set --
	for d in "$out/corpus/$name" "$src/corpus/$name" "$src/regress/$name"
	do
		[ -d "$d" ] && set -- "$@" "$d"
	done
	raw=$out/coverage/$name.profraw
	rm -f "$raw"
	LLVM_PROFILE_FILE=$raw "$bin/$name" -runs=0 "$@" \
	    >"$out/coverage/$name.log" 2>&1
	"$LLVM_PROFDATA" merge -sparse -o "$out/coverage/$name.profdata" "$raw"
	paths=""
	for f in $files; do
		paths="$paths $top/$f"
	done
	echo "== $name"
	# shellcheck disable=SC2086
	"$LLVM_COV" report "$bin/$name" \
	    -instr-profile="$out/coverage/$name.profdata" $paths |
	    awk 'NR == 1 || /^[-]/ || /\.c / || /^TOTAL/'
done
