#!/bin/bash
# test_swap.sh - swap areas under vmrun: --swap makes a swap file beside
# the RAM file that vmdump swaps shows and blkid calls swap; --swap-file
# takes a file made by mkswap at the priority given; bad sizes, missing
# files and bad headers are refused with a message and exit 2; every file
# is removed afterwards. Prints one "ok"/"FAIL" line per check and
# "N passed, N failed"; exits 1 on any failure, 77 when not built.
#
# Environment: VMRUN, VMDUMP, HELLO override the binaries.

. "$(dirname "$0")/common.bash"
HELLO=${HELLO:-$TOP/guests/hello}
NAME=tsw$$
T=$(mktemp -d "${TMPDIR:-/tmp}/test-swap.XXXXXX") || exit 1

cleanup() {
	rm -rf "$T"
	rm -f /dev/shm/vm-$NAME-*.ram /dev/shm/vm-$NAME-*.swap
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

need_built "$VMRUN" "$VMDUMP" "$HELLO"

# --swap SIZE, kept: the area in vmdump swaps and meminfo, blkid's TYPE
M=$NAME-1
if "$VMRUN" --swap 64M --keep --name $M -- "$HELLO" 4 >"$T/out" 2>"$T/err"; then
	ok "--swap 64M: hello runs"
else
	bad "--swap 64M: exit $?: $(tr '\n' ' ' <"$T/err")"
fi
machine_ok "--swap 64M"
grep -q '^vmrun: swap 64 MiB' "$T/err" && ok "summary shows swap 64 MiB" ||
	bad "summary lacks swap: $(tr '\n' ' ' <"$T/err")"
"$VMDUMP" $M swaps >"$T/swaps" 2>&1
if head -1 "$T/swaps" | grep -qP '^Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority$' &&
   grep -qE "^/dev/shm/vm-$M\.swap +file"$'\t\t'"65532"$'\t\t'"0"$'\t\t'"-1$" "$T/swaps"; then
	ok "vmdump swaps shows the area"
else
	bad "vmdump swaps: $(cat "$T/swaps")"
fi
"$VMDUMP" $M swaps --json | grep -q '"size": 65532' && ok "vmdump swaps --json" ||
	bad "vmdump swaps --json"
grep -qE '^SwapTotal: +65532 kB' <("$VMDUMP" $M meminfo) && ok "meminfo SwapTotal" ||
	bad "meminfo SwapTotal: $("$VMDUMP" $M meminfo | grep Swap)"
"$VMDUMP" $M check >/dev/null 2>&1 && ok "vmdump check clean" || bad "vmdump check"
if command -v blkid >/dev/null || [ -x /usr/sbin/blkid ] || [ -x /sbin/blkid ]; then
	b=$(PATH=$PATH:/usr/sbin:/sbin blkid -p "/dev/shm/vm-$M.swap" 2>&1)
	[[ "$b" == *'TYPE="swap"'* && "$b" == *'LABEL="libvm"'* ]] && ok "blkid: swap, label libvm" ||
		bad "blkid: $b"
else
	echo "skip: no blkid on this host"
fi
rm -f /dev/shm/vm-$M.ram /dev/shm/vm-$M.swap

# without --keep the swap file goes with the RAM file
M=$NAME-2
"$VMRUN" --swap 1M --name $M -- "$HELLO" 1 >"$T/out" 2>"$T/err"
[ $? = 0 ] && [ ! -e /dev/shm/vm-$M.swap ] && [ ! -e /dev/shm/vm-$M.ram ] &&
	ok "--swap without --keep removes the swap file" || bad "swap file left or run failed"

# --swap-file of mkswap's making, at a priority, twice
if command -v mkswap >/dev/null || [ -x /usr/sbin/mkswap ] || [ -x /sbin/mkswap ]; then
	truncate -s 4M "$T/a.swap" "$T/b.swap"
	PATH=$PATH:/usr/sbin:/sbin mkswap "$T/a.swap" >/dev/null 2>&1
	PATH=$PATH:/usr/sbin:/sbin mkswap "$T/b.swap" >/dev/null 2>&1
	chmod 600 "$T/a.swap" "$T/b.swap"
	M=$NAME-3
	if "$VMRUN" --swap-file "$T/a.swap:7" --swap-file "$T/b.swap" --keep --name $M \
		-- "$HELLO" 1 >"$T/out" 2>"$T/err"; then
		"$VMDUMP" $M swaps >"$T/swaps"
		grep -qE "a\.swap +file"$'\t\t'"4092"$'\t\t'"0"$'\t\t'"7$" "$T/swaps" &&
		grep -qE "b\.swap +file"$'\t\t'"4092"$'\t\t'"0"$'\t\t'"-1$" "$T/swaps" &&
			ok "--swap-file with a priority" || bad "--swap-file: $(cat "$T/swaps")"
	else
		bad "--swap-file: exit $?: $(tr '\n' ' ' <"$T/err")"
	fi
	[ -e "$T/a.swap" ] && ok "--swap-file leaves the file" || bad "--swap-file removed the file"
	rm -f /dev/shm/vm-$M.ram
else
	echo "skip: no mkswap on this host"
fi

# refused: exit 2 with a message
refused() {	# refused DESC WANT ARGS...
	local desc=$1 want=$2 rc
	shift 2
	"$VMRUN" --name $NAME-bad "$@" -- "$HELLO" 1 >"$T/out" 2>"$T/err"
	rc=$?
	if [ $rc = 2 ] && grep -q -- "$want" "$T/err"; then
		ok "$desc: exit 2, says '$want'"
	else
		bad "$desc: exit $rc: $(head -3 "$T/err" | tr '\n' ' ')"
	fi
	[ -e /dev/shm/vm-$NAME-bad.ram ] && bad "$desc: RAM file left"
	[ -e /dev/shm/vm-$NAME-bad.swap ] && bad "$desc: swap file left"
}
refused "bad --swap size" "bad --swap size" --swap 12Q
refused "tiny --swap size" "bad --swap size" --swap 4K
refused "missing --swap-file" "No such file" --swap-file "$T/none.swap"
refused "bad priority" "priority" --swap-file "$T/x.swap:99999"
head -c 1M /dev/zero >"$T/zero.swap"
refused "not a swap file" "not a valid swap file" --swap-file "$T/zero.swap"

ls /dev/shm | grep -q "^vm-$NAME" && bad "files left in /dev/shm" || ok "no files left in /dev/shm"
echo "$pass passed, $fail failed"
[ $fail = 0 ]
