#!/bin/bash
# test_vmdump.sh - vmdump against a machine booted by vmrun: every view runs
# and prints in its /proc format, --json parses, check passes; then copies of
# the machine damaged on purpose (and files that never were machines) must
# each get a message and exit 1, never a crash or a hang; bad command lines
# exit 2. Prints "N passed, N failed"; exits 1 on any failure, 77 when
# vmdump is not built. Without vmrun (and no VMDUMP_TEST_RAM) only the
# command-line and foreign-file cases run, and it says so.
#
# Environment: VMDUMP, VMRUN override the binaries; VMDUMP_TEST_RAM names a
# RAM file to test instead of booting one with vmrun (it is copied, never
# changed).

TOP=$(cd "$(dirname "$0")/../.." && pwd)
VMDUMP=${VMDUMP:-$TOP/tools/vmdump}
VMRUN=${VMRUN:-$TOP/vmrun/vmrun}
NAME=test-vmdump-$$
T=$(mktemp -d "${TMPDIR:-/tmp}/test-vmdump.XXXXXX") || exit 1
LIVE_PID=

cleanup() {
	[ -n "$LIVE_PID" ] && kill "$LIVE_PID" 2>/dev/null && wait "$LIVE_PID" 2>/dev/null
	rm -rf "$T"
	rm -f /dev/shm/vm-$NAME.ram /dev/shm/vm-$NAME-live.ram
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

pass=0
fail=0
ok()  { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
skip() { echo "skip $*"; }

# run ARGS...: vmdump with a time limit; sets rc, output in $T/out, $T/err.
run() {
	timeout 30 "$VMDUMP" "$@" >"$T/out" 2>"$T/err"
	rc=$?
}

# expect WANT DESC ARGS...: vmdump ARGS must exit WANT.
expect() {
	local want=$1 desc=$2
	shift 2
	run "$@"
	if [ "$rc" -eq "$want" ]; then
		ok "$desc (exit $rc)"
	else
		bad "$desc: exit $rc, want $want: $(head -c 300 "$T/err")"
	fi
}

# damaged FILE DESC PATTERN VIEWS...: each view must exit 1 with a message
# on stderr matching PATTERN (grep -E).
damaged() {
	local file=$1 desc=$2 pat=$3 v
	shift 3
	for v in "$@"; do
		run "$file" $v
		if [ "$rc" -ne 1 ]; then
			bad "$desc: vmdump $v: exit $rc, want 1: $(head -c 300 "$T/err")"
		elif ! grep -Eq "$pat" "$T/err"; then
			bad "$desc: vmdump $v: message does not match /$pat/: $(head -c 300 "$T/err")"
		else
			ok "$desc: $v refused: $(head -n1 "$T/err")"
		fi
	done
}

# no_crash FILE DESC: every view ends by exit(), within the time limit.
no_crash() {
	local file=$1 desc=$2 v
	for v in meminfo buddyinfo zoneinfo vmstat slabinfo vmallocinfo dmesg "page 1" \
		 "page 4096" "hexdump 0 64" check "meminfo --json" "check --json"; do
		run "$file" $v
		if [ "$rc" -ge 124 ]; then
			bad "$desc: vmdump $v died or hung (exit $rc)"
			return
		fi
	done
	ok "$desc: no view crashed or hung"
}

if [ ! -x "$VMDUMP" ]; then
	echo "skip: $VMDUMP is not built (make -C tools vmdump)"
	exit 77
fi

# ---- a machine to look at ------------------------------------------------

M=$T/machine.ram
if [ -n "$VMDUMP_TEST_RAM" ]; then
	cp "$VMDUMP_TEST_RAM" "$M" || exit 1
	echo "# testing a copy of $VMDUMP_TEST_RAM"
elif [ -x "$VMRUN" ]; then
	if "$VMRUN" --ram 32M --name "$NAME" --keep -- /bin/true 2>"$T/vmrun.err" &&
	   [ -f /dev/shm/vm-$NAME.ram ]; then
		ok "vmrun booted a 32M machine and kept it"
		expect 0 "vmdump NAME finds /dev/shm/vm-NAME.ram" "$NAME" meminfo
		cp /dev/shm/vm-$NAME.ram "$M"
		rm -f /dev/shm/vm-$NAME.ram
	else
		bad "vmrun --keep left no /dev/shm/vm-$NAME.ram: $(cat "$T/vmrun.err")"
	fi
else
	skip "no $VMRUN yet: the parts that need a booted machine are skipped"
fi

# ---- command lines -------------------------------------------------------

expect 2 "no arguments" 
expect 2 "no view" "$M"
expect 2 "unknown view" "$M" nosuchview
expect 2 "unknown option" "$M" meminfo --frobnicate
expect 2 "meminfo takes no argument" "$M" meminfo 1
expect 2 "page without PFN" "$M" page
expect 2 "page with a word" "$M" page abc
expect 2 "page with trailing junk" "$M" page 12x
expect 2 "page with a sign" "$M" page -1
expect 2 "page with bare 0x" "$M" page 0x
expect 2 "hexdump without PA" "$M" hexdump
expect 2 "hexdump with junk LEN" "$M" hexdump 0 0x1g
expect 2 "unknown view on a missing machine is still a usage error" "$T/none.ram" nosuchview
expect 1 "missing RAM file" "$T/none.ram" meminfo
expect 1 "missing machine name" "no-such-machine-$$" meminfo
run --help
[ "$rc" -eq 0 ] && grep -q "^usage: vmdump" "$T/out" && ok "--help prints usage" || bad "--help: exit $rc"

# ---- files that never were machines ---------------------------------------

: >"$T/empty"
damaged "$T/empty" "empty file" "empty|not a libvm" meminfo check hexdump\ 0
head -c 100 /dev/urandom >"$T/small"
damaged "$T/small" "100 bytes" "not a libvm" meminfo check
head -c 16M /dev/urandom >"$T/random"
damaged "$T/random" "16M of random bytes" "not a libvm RAM file \(bad magic\)" meminfo page\ 1 check
cp /bin/true "$T/elf"
damaged "$T/elf" "an ELF file" "not a libvm" meminfo check
damaged "$T" "a directory" "not a regular file" meminfo

if [ ! -f "$M" ]; then
	echo "$pass passed, $fail failed (machine tests skipped)"
	[ "$fail" -eq 0 ]
	exit
fi

# ---- every view on a good machine ------------------------------------------

size=$(stat -c %s "$M")
frames=$((size / 4096))
end=$(printf '%08x' "$size")

for v in meminfo buddyinfo zoneinfo vmstat slabinfo vmallocinfo dmesg "page 0" "page 1" \
	 "page 0x1000" "page $((frames - 1))" "hexdump 0" "hexdump 0x1000 100" check; do
	expect 0 "vmdump $v" "$M" $v
done

run "$M" buddyinfo
if [ -s "$T/out" ] && ! grep -Evq '^Node 0, zone +[A-Za-z]+( +[0-9]+){11} $' "$T/out"; then
	ok "buddyinfo lines are /proc/buddyinfo lines"
else
	bad "buddyinfo format: $(head -3 "$T/out")"
fi
if [ "$size" -gt $((896 << 20)) ]; then zones="DMA Normal HighMem"; else zones="DMA Normal"; fi
[ "$(awk '{ printf "%s%s", sep, $4; sep = " " }' "$T/out")" = "$zones" ] &&
	ok "buddyinfo shows the populated zones: $zones" || bad "buddyinfo zones: $(cat "$T/out")"
buddy_kb=$(awk '{ for (o = 0; o < 11; o++) s += $(5 + o) * 2 ^ o } END { print s * 4 }' "$T/out")

run "$M" meminfo
if grep -Eq '^MemFree: +[0-9]+ kB$' "$T/out" && grep -q '^HighTotal:' "$T/out" &&
   grep -q '^LowFree:' "$T/out" && ! grep -Evq '^.{16}[ 0-9]{7}[0-9] kB$' "$T/out"; then
	ok "meminfo lines are /proc/meminfo lines"
else
	bad "meminfo format: $(head -5 "$T/out")"
fi
order=$(cut -d: -f1 "$T/out" | tr '\n' ' ')
case "$order" in
"MemTotal MemFree MemAvailable Buffers Cached SwapCached Active Inactive "*"Mlocked HighTotal HighFree LowTotal LowFree SwapTotal SwapFree "*)
	ok "meminfo in Linux's order" ;;
*)	bad "meminfo order: $order" ;;
esac
memfree=$(awk '/^MemFree:/ { print $2 }' "$T/out")
[ "$memfree" = "$buddy_kb" ] && ok "MemFree ($memfree kB) = buddyinfo's blocks" ||
	bad "MemFree $memfree kB, buddyinfo sums to $buddy_kb kB"

run "$M" zoneinfo
grep -q '^Node 0, zone      DMA$' "$T/out" && grep -q '^  per-node stats$' "$T/out" &&
	grep -Eq '^  pages free     [0-9]+$' "$T/out" && grep -Eq '^        protection: \([0-9]+, [0-9]+, [0-9]+\)$' "$T/out" &&
	grep -Eq '^              count:    [0-9]+$' "$T/out" && grep -Eq '^  start_pfn:           [0-9]+$' "$T/out" &&
	[ "$(grep -c '^Node 0, zone' "$T/out")" -eq 3 ] &&
	ok "zoneinfo has /proc/zoneinfo's lines, three zones" || bad "zoneinfo format: $(head -30 "$T/out")"

run "$M" vmstat
! grep -Evq '^[a-z_0-9]+ [0-9]+$' "$T/out" && grep -q '^nr_free_pages ' "$T/out" && grep -q '^pgfree ' "$T/out" &&
	ok "vmstat lines are 'name value'" || bad "vmstat format: $(head -5 "$T/out")"

run "$M" slabinfo
[ "$(head -1 "$T/out")" = "slabinfo - version: 2.1" ] &&
	sed -n 2p "$T/out" | grep -q '^# name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab> : tunables <limit> <batchcount> <sharedfactor> : slabdata <active_slabs> <num_slabs> <sharedavail>$' &&
	! tail -n +3 "$T/out" | grep -Evq '^[^ ]+ +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+ : tunables +0 +0 +0 : slabdata +[0-9]+ +[0-9]+ +0$' &&
	grep -q '^kmalloc-64 ' "$T/out" &&
	ok "slabinfo is version 2.1 with the kmalloc caches" || bad "slabinfo format: $(head -4 "$T/out")"

run "$M" vmallocinfo
! grep -Evq '^0x[0-9a-f]{8}-0x[0-9a-f]{8} +[0-9]+ .*(vmalloc|vmap)$' "$T/out" &&
	ok "vmallocinfo lines ($(wc -l <"$T/out") areas)" || bad "vmallocinfo format: $(head -3 "$T/out")"

run "$M" dmesg
grep -q 'booting' "$T/out" && ok "dmesg shows the boot lines" || bad "dmesg: $(head -3 "$T/out")"

run "$M" page 0
grep -Eq '^page:[0-9a-f]{8} refcount:1 mapcount:0 mapping:[0-9a-f]{8} index:0x0 pfn:0x0$' "$T/out" &&
	grep -q '^flags: 0x[0-9a-f]*(reserved|zone=0)$' "$T/out" && grep -q '^state: reserved (boot block)$' "$T/out" &&
	ok "page 0 is the reserved boot block" || bad "page 0: $(cat "$T/out")"
run "$M" page 0x1000
grep -Eq '^state: (free|inside free|allocated|slab|compound|no reference)' "$T/out" &&
	ok "page 0x1000: $(grep '^state:' "$T/out")" || bad "page 0x1000: $(cat "$T/out")"

if command -v hexdump >/dev/null; then
	good=1
	for r in "0 256" "3 5" "0x1000 4096" "$((size - 32)) 32" "12345 77"; do
		set -- $r
		"$VMDUMP" "$M" hexdump "$1" "$2" >"$T/a" 2>/dev/null
		hexdump -C -s $(($1)) -n $(($2)) "$M" >"$T/b"
		cmp -s "$T/a" "$T/b" || { good=0; bad "hexdump $r differs from hexdump -C"; }
	done
	[ $good = 1 ] && ok "hexdump matches hexdump -C byte for byte"
else
	skip "no hexdump(1) to compare with"
fi
run "$M" hexdump $((size - 16)) 100
[ "$rc" -eq 0 ] && [ "$(tail -1 "$T/out")" = "$end" ] && grep -q 'RAM ends' "$T/err" &&
	ok "hexdump past the end of RAM stops there, with a note" || bad "hexdump past the end: exit $rc"

expect 2 "page PFN beyond RAM" "$M" page "$frames"
expect 2 "page huge PFN" "$M" page 0xffffffffffff
expect 2 "hexdump PA beyond RAM" "$M" hexdump "$size"

run "$M" check
[ "$rc" -eq 0 ] && grep -Eq "^check: ok \\($frames frames: [0-9]+ free, [0-9]+ reserved, [0-9]+ allocated\\)\$" "$T/out" &&
	ok "check: $(tail -1 "$T/out")" || bad "check on a good machine: exit $rc: $(head -5 "$T/out")"

if command -v python3 >/dev/null; then
	for v in meminfo buddyinfo zoneinfo vmstat slabinfo vmallocinfo dmesg "page 0" "page 0x1000" \
		 "hexdump 0 64" check; do
		run "$M" $v --json
		if [ "$rc" -eq 0 ] && python3 -m json.tool "$T/out" >/dev/null 2>"$T/jerr"; then
			ok "$v --json is valid JSON"
		else
			bad "$v --json: exit $rc: $(head -c 300 "$T/jerr")"
		fi
	done
	run --json "$M" buddyinfo
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); z=d["zones"]; assert z[0]["zone"]=="DMA" and len(z[0]["free"])==11' "$T/out" 2>/dev/null &&
		ok "--json first on the line; buddyinfo JSON has zones[].free[11]" || bad "buddyinfo JSON: $(head -c 300 "$T/out")"
	run "$M" meminfo --json
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["MemFree"]*1==int(sys.argv[2])' "$T/out" "$memfree" 2>/dev/null &&
		ok "meminfo JSON MemFree = text MemFree" || bad "meminfo JSON: $(head -c 300 "$T/out")"
else
	skip "no python3: JSON not checked"
fi

# ---- a live machine, by name -----------------------------------------------

if [ -x "$VMRUN" ] && [ -z "$VMDUMP_TEST_RAM" ]; then
	"$VMRUN" --ram 32M --name "$NAME-live" -- /bin/sleep 5 2>/dev/null &
	LIVE_PID=$!
	for _ in $(seq 50); do
		[ -f /dev/shm/vm-$NAME-live.ram ] && break
		sleep 0.1
	done
	sleep 0.3
	expect 0 "meminfo of a running machine, by name" "$NAME-live" meminfo
	expect 0 "check of a running machine" "$NAME-live" check
	kill "$LIVE_PID" 2>/dev/null
	wait "$LIVE_PID" 2>/dev/null
	LIVE_PID=
fi

# ---- copies of the machine, damaged ------------------------------------------

"$VMDUMP" "$M" offsets >"$T/offsets" || bad "offsets view"
off() { awk -v want="$*" '{ v = $NF; $NF = ""; sub(/ $/, ""); if ($0 == want) print v }' "$T/offsets"; }
poke32() {	# poke32 FILE OFFSET VALUE: a little-endian 32-bit word
	printf "$(printf '\\%03o\\%03o\\%03o\\%03o' $(($3 & 255)) $(($3 >> 8 & 255)) $(($3 >> 16 & 255)) $(($3 >> 24 & 255)))" |
		dd of="$1" bs=1 seek=$(($2)) conv=notrunc status=none
}

head -c $((size / 2)) "$M" >"$T/half"
damaged "$T/half" "the machine cut in half" "truncated: boot block says $size bytes, file has $((size / 2))" \
	meminfo check "hexdump 0"

cp "$M" "$T/nomagic"
dd if=/dev/zero of="$T/nomagic" bs=8 count=1 conv=notrunc status=none
damaged "$T/nomagic" "magic zeroed" "bad magic" meminfo check

cp "$M" "$T/version"
poke32 "$T/version" 8 99
damaged "$T/version" "layout version 99" "version 99" meminfo check

link=$(off zone Normal free_area 10 free_list)
if [ -n "$link" ]; then
	cp "$M" "$T/badlink"
	poke32 "$T/badlink" "$link" 0xFFFFFF00
	damaged "$T/badlink" "a free-list head linked beyond RAM" \
		"free list of zone Normal order 10 links to pfn 4294967040 beyond RAM" \
		meminfo buddyinfo zoneinfo vmstat slabinfo vmallocinfo "page 1"
	run "$T/badlink" check
	[ "$rc" -eq 1 ] && grep -qi 'Normal.*beyond RAM' "$T/out" && grep -Eq '^check: [0-9]+ violations$' "$T/out" &&
		ok "check reports the broken link: $(grep -i 'beyond RAM' "$T/out" | head -1)" ||
		bad "check on the broken link: exit $rc: $(head -c 300 "$T/out") $(head -c 300 "$T/err")"
	run "$T/badlink" check --json
	[ "$rc" -eq 1 ] && { ! command -v python3 >/dev/null ||
		python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["violations"]>0 and d["lines"]' "$T/out"; } &&
		ok "check --json counts the violation" || bad "check --json on the broken link: exit $rc"
	expect 0 "hexdump still reads a machine with broken links" "$T/badlink" hexdump "$link" 16
	no_crash "$T/badlink" "broken link"
else
	bad "offsets view gave no free_list offset"
fi

span=$(off zone Normal spanned_pages)
if [ -n "$span" ]; then
	cp "$M" "$T/badspan"
	poke32 "$T/badspan" "$span" 0xFFFFFFF0
	damaged "$T/badspan" "zone Normal spanning past RAM" "zone Normal spans" meminfo zoneinfo
	no_crash "$T/badspan" "bad zone span"
fi

slab=$(off slab first)
if [ -n "$slab" ]; then
	cp "$M" "$T/badslab"
	poke32 "$T/badslab" "$slab" 0x7FFFFFF8
	damaged "$T/badslab" "the slab cache list linked outside RAM" "slab cache list links to pa 0x7ffffff8" slabinfo
	run "$T/badslab" check
	[ "$rc" -eq 1 ] && ok "check reports the broken slab list" || bad "check on the broken slab list: exit $rc"
	no_crash "$T/badslab" "broken slab list"
fi

mm=$(awk '$1 == "mem_map" { print $2, $3 }' "$T/offsets")
if [ -n "$mm" ]; then
	set -- $mm
	cp "$M" "$T/garbage"
	dd if=/dev/urandom of="$T/garbage" bs=4096 seek=$(($1 / 4096)) count=$((($2 + 4095) / 4096)) \
		conv=notrunc status=none
	damaged "$T/garbage" "mem_map full of garbage" "free list|per-CPU list" meminfo buddyinfo "page 100"
	run "$T/garbage" check
	[ "$rc" -eq 1 ] && grep -Eq '^check: [0-9]+ violations$' "$T/out" &&
		ok "check on garbage mem_map: $(tail -1 "$T/out")" || bad "check on garbage mem_map: exit $rc: $(head -c 300 "$T/err")"
	no_crash "$T/garbage" "garbage mem_map"
fi

for f in empty small random elf half nomagic version; do
	no_crash "$T/$f" "$f"
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
