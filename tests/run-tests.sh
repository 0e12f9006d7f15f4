#!/usr/bin/env bash
# run-tests.sh - run the unit tests given as arguments, then every
# integration script, each under a timeout; fail if any fails or if a run
# leaves a RAM or swap file behind in /dev/shm. Prints "N passed, N failed".
set -u
cd "$(dirname "$0")"
passed=0 failed=0 failures=()

shm_files() { ls /dev/shm 2>/dev/null | grep -E '^vm-.*\.(ram|swap)$' | sort; }
# A file some process still maps is a live machine of someone else's (a
# test's processes are all gone when it ends): only unmapped ones are left.
# A swap file is never mapped: it is live while its machine's RAM file is.
mapped() { local f=$1; [[ $f == *.swap ]] && f=${f%.swap}.ram; grep -qs -F "/dev/shm/$f" /proc/[0-9]*/maps; }
before=$(shm_files)

run() {	# run NAME CMD...: a test program, 10 minutes at most
	local name=$1; shift
	echo "=== $name"
	if timeout -k 10 600 "$@"; then
		passed=$((passed + 1))
	else
		local rc=$?
		failed=$((failed + 1)); failures+=("$name (exit $rc)")
	fi
	local f left=()
	for f in $(comm -13 <(echo "$before") <(shm_files)); do
		mapped "$f" || left+=("$f")
	done
	if [ ${#left[@]} -gt 0 ]; then
		echo "$name left files in /dev/shm: ${left[*]}"
		failed=$((failed + 1)); failures+=("$name (left RAM files)")
		for f in "${left[@]}"; do rm -f "/dev/shm/$f"; done
	fi
}

for t in "$@"; do
	run "$(basename "$t")" "./${t#./}"
done
for s in integration/*.sh; do
	[ -e "$s" ] || continue
	run "$(basename "$s")" bash "$s"
done

echo
for f in "${failures[@]+"${failures[@]}"}"; do echo "FAILED: $f"; done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
