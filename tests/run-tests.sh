#!/usr/bin/env bash
# run-tests.sh - run the unit tests given as arguments, then every
# integration script, each under a timeout; fail if any fails or if a run
# leaves a RAM or swap file behind in /dev/shm. Prints "N passed, N failed".
set -u
cd "$(dirname "$0")"
passed=0 failed=0 failures=()

shm_files() { ls /dev/shm 2>/dev/null | grep -E '^vm-.*\.(ram|swap)$' | sort; }
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
	local after
	after=$(shm_files)
	if [ "$after" != "$before" ]; then
		echo "$name left files in /dev/shm:"; comm -13 <(echo "$before") <(echo "$after")
		failed=$((failed + 1)); failures+=("$name (left RAM files)")
		for f in $(comm -13 <(echo "$before") <(echo "$after")); do rm -f "/dev/shm/$f"; done
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
