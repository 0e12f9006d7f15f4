#!/bin/bash
# soak.sh - make soak: four guests (guests/swap soak) take random steps
# for a minute on a 32 MiB machine with 256 MiB of swap: map, unmap,
# write and read back pages, drop them, fork children that read and
# write; every page is checked against the version its guest recorded.
# Prints the guests' summaries and vmrun's last lines; exits 1 on a bad
# page, a failed guest, a failed check (vmrun's or vmdump's), a frame not
# free again or a swap slot still used, and when nothing was swapped.
#
# Environment: SOAK_SECONDS (default 60); VMRUN, VMDUMP, SWAPG override
# the binaries.

. "$(dirname "$0")/integration/common.bash"
SWAPG=${SWAPG:-$TOP/guests/swap}
SECS=${SOAK_SECONDS:-60}
GUESTS=4
name=soak$$
T=$(mktemp -d "${TMPDIR:-/tmp}/soak.XXXXXX") || exit 1

cleanup() {
	rm -rf "$T"
	rm -f "/dev/shm/vm-$name.ram" "/dev/shm/vm-$name.swap"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

need_built "$VMRUN" "$VMDUMP" "$SWAPG"

echo "soak: $GUESTS guests, $SECS s, 32 MiB RAM, 256 MiB swap"
# the steps stop after SECS; the final check of every page may take long
# on a busy host, but not this long
timeout -k 5 $((SECS + 180)) "$VMRUN" --guests $GUESTS --ram 32M --swap 256M --name "$name" \
	--keep -- "$SWAPG" soak "$SECS" >"$T/out" 2>"$T/err"
rc=$?

grep '^soak: guest [0-9]*:' "$T/out"
grep -v '^vmrun: ' "$T/err" | head -20
grep '^vmrun: ' "$T/err" | tail -10

if [ "$rc" -eq 0 ]; then
	ok "vmrun exit 0"
else
	bad "vmrun exit $rc, want 0"
fi
n=$(grep -c '^soak: guest [0-9]*: .*, 0 bad' "$T/out")
[ "$n" -eq $GUESTS ] && ok "$n guests report 0 bad pages" ||
	bad "$n of $GUESTS guests report 0 bad pages"
machine_ok soak
line=$(grep -E '^vmrun: swap [0-9]+ MiB, ' "$T/err" | tail -1)
[[ "$line" =~ ^vmrun:\ swap\ [0-9]+\ MiB,\ 0\ KiB\ used ]] && ok "every swap slot free again" ||
	bad "swap slots still used: ${line:-no swap line}"
kept_ok soak
out=$(awk '$1 == "pswpout" { print $2 }' "$T/vmstat")
in=$(awk '$1 == "pswpin" { print $2 }' "$T/vmstat")
[ "${out:-0}" -gt 0 ] && [ "${in:-0}" -gt 0 ] && ok "swapped: pswpout $out, pswpin $in" ||
	bad "pswpout ${out:-none}, pswpin ${in:-none}: want both > 0"
echo "soak: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
