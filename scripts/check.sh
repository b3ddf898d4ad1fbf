#!/bin/sh
# scripts/check.sh DIR [configure args...]: build in DIR and run make check;
# print Check's totals for every suite and the whole log of any that failed,
# so a red CI run says which test failed and why.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
dir=$1
shift
echo "== $dir: build ($*)"
"$top/scripts/build.sh" "$dir" "$@" || exit 1
cd "$top/$dir"
echo "== $dir: make check"
make -j"$(nproc)" check >check.log 2>&1
rc=$?
for log in $(find tests -name '*.log' | sort); do
	totals=$(grep -E '^[0-9]+%: Checks: ' "$log" | tail -n 1)
	res=$(sed -n 's/^:test-result: //p' "${log%.log}.trs" 2>/dev/null)
	printf '%-6s %-45s %s\n' "${res:-?}" "${log%.log}" "$totals"
done
if [ "$rc" -ne 0 ]; then
	echo "== $dir: make check failed; logs of the failing tests:"
	for trs in $(find tests -name '*.trs' | sort); do
		if ! grep -q '^:test-result: PASS' "$trs"; then
			echo "---- ${trs%.trs}.log"
			cat "${trs%.trs}.log"
		fi
	done
	tail -n 30 check.log
fi
exit "$rc"
