# common.bash - what the integration scripts share: the binaries they
# test, the "ok"/"FAIL" lines and their count, and the check of vmrun's
# last words. Sourced by each test_*.sh, never run itself: run-tests.sh
# runs integration/*.sh only.
#
# Environment: VMRUN, VMDUMP override the binaries.

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VMRUN=${VMRUN:-$TOP/vmrun/vmrun}
VMDUMP=${VMDUMP:-$TOP/tools/vmdump}

pass=0
fail=0
ok()  { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }

# need_built BIN...: exit 77, the skip of run-tests.sh, unless all are built.
need_built() {
	local b
	for b in "$@"; do
		if [ ! -x "$b" ]; then
			echo "skip: $b is not built (make)"
			exit 77
		fi
	done
}

# machine_ok DESC: vmrun's last words, in $T/err, say its check passed and
# every frame the guests had is free again.
machine_ok() {
	local line free boot
	line=$(grep -E 'frames free \([0-9]+ at boot\)' "$T/err" | tail -1)
	free=$(sed -nE 's/.* ([0-9]+) of [0-9]+ frames free.*/\1/p' <<<"$line")
	boot=$(sed -nE 's/.*frames free \(([0-9]+) at boot\).*/\1/p' <<<"$line")
	if [[ "$line" != *", check ok" ]]; then
		bad "$1: vmrun's check: ${line:-no summary line}"
	elif [ "$free" != "$boot" ]; then
		bad "$1: $free frames free after the run, $boot at boot"
	else
		ok "$1: check ok, $free frames free as at boot"
	fi
}

# kept_ok DESC: no process still maps the kept machine $name (every
# guest is gone, children and orphans too), vmdump check passes on it; its
# vmstat and kernel log are saved in $T; then its files are removed.
kept_ok() {
	local f=/dev/shm/vm-$name.ram users
	users=$(grep -ls -F "$f" /proc/[0-9]*/maps | cut -d/ -f3 | tr '\n' ' ')
	if [ -n "$users" ]; then
		bad "$1: processes still map the machine after vmrun exited: $users"
		for p in $users; do kill -KILL "$p" 2>/dev/null; done
	fi
	if timeout 30 "$VMDUMP" "$name" check >"$T/check" 2>&1; then
		ok "$1: vmdump check: $(tail -1 "$T/check")"
	else
		bad "$1: vmdump check: exit $?: $(head -3 "$T/check" | tr '\n' ' ')"
	fi
	timeout 30 "$VMDUMP" "$name" vmstat >"$T/vmstat" 2>&1
	timeout 30 "$VMDUMP" "$name" dmesg >"$T/dmesg" 2>&1
	rm -f "$f" "/dev/shm/vm-$name.swap"
}
