#!/bin/bash
# test_vmdump.sh - vmdump against a machine booted by vmrun: every view runs
# and prints in its /proc format, --json parses, check passes; then copies of
# the machine damaged on purpose (and files that never were machines) must
# each get a message and exit 1, never a crash or a hang; bad command lines
# exit 2. A guest built here from the in-tree library then runs in each
# paging mode while ps, maps, smaps, pagemap, walk and page look at its
# address space, live and in a copy, and check proves it; copies with its
# tables, VMAs, reverse map (anon_vma lists, a frame's anon_vma), zero page
# or parent link damaged must give violations, not crashes. map counts
# every frame once and draws them (--svg): the picture must be well-formed
# XML whose legend adds up to the machine, name the guest, and survive the
# same damaged copies. A guest that forks then shows its child in ps with
# the pages they share, both mappers of a shared frame in page, and passes
# check; copies with a shared frame left writable, a refcount too low or
# the child's VMA off its anon_vma list must not. Reclaim's state: vmstat,
# zoneinfo and meminfo name its counters as Linux does, lru shows the
# lists and kswapd, ps shows kswapd as a kernel thread; copies of a
# machine with a swap area damaged (a slot counted with nothing holding
# it, PG_lru or PG_swapcache on a free frame, an LRU list linked to a
# free frame, beyond RAM or round in a loop, its counters, the swap cache
# holding a free frame, the guest's PTE turned into swap entries that
# name a free slot, a slot counted twice, an area not in use) must each
# be named by check; vmrun's own check reads a swap map in HighMem. A
# guest that maps a file (shared and private) shows it in maps, smaps,
# files, page, pagemap, meminfo, lru and map, the flusher in ps, and
# passes check; copies with its page cache damaged (counts, a tree slot,
# a tag, a node's parent, the top node, a page's refcount, index or
# PG_swapbacked, its i_mmap list, nr_mapped, garbage) must be named by
# check, and no view may crash on them.
# Prints "N passed, N failed"; exits 1 on any failure, 77 when vmdump is
# not built.
# Without vmrun (and no VMDUMP_TEST_RAM) only the command-line and
# foreign-file cases run, and it says so; without cc or pkg-config the
# guest cases are skipped.
#
# Environment: VMDUMP, VMRUN override the binaries; VMDUMP_TEST_RAM names a
# RAM file to test instead of booting one with vmrun (it is copied, never
# changed).

. "$(dirname "$0")/common.bash"
NAME=test-vmdump-$$
T=$(mktemp -d "${TMPDIR:-/tmp}/test-vmdump.XXXXXX") || exit 1
LIVE_PID=
GUEST_PID=
FGUEST=
MGUEST=

cleanup() {
	[ -n "$LIVE_PID" ] && kill "$LIVE_PID" 2>/dev/null && wait "$LIVE_PID" 2>/dev/null
	# the guest exits when its hold file goes, and vmrun with it
	rm -f "$T/hold"
	[ -n "$GUEST_PID" ] && { sleep 0.3; kill "$GUEST_PID" 2>/dev/null; wait "$GUEST_PID" 2>/dev/null; }
	rm -f "$T"/*.svg
	rm -rf "$T"
	rm -f /dev/shm/vm-$NAME.ram /dev/shm/vm-$NAME-live.ram /dev/shm/vm-$NAME-g-i386.ram \
	      /dev/shm/vm-$NAME-g-pae.ram /dev/shm/vm-$NAME-f-i386.ram /dev/shm/vm-$NAME-f-pae.ram \
	      /dev/shm/vm-$NAME-swap.ram /dev/shm/vm-$NAME-swap.swap \
	      /dev/shm/vm-$NAME-s-i386.ram /dev/shm/vm-$NAME-s-i386.swap \
	      /dev/shm/vm-$NAME-s-pae.ram /dev/shm/vm-$NAME-s-pae.swap \
	      /dev/shm/vm-$NAME-m-i386.ram /dev/shm/vm-$NAME-m-pae.ram
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

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
		 "page 4096" "hexdump 0 64" check "meminfo --json" "check --json" ps "maps 1" \
		 "walk 0 0xc0123456" map "map --json" "map --svg $T/damaged.svg"; do
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
expect 2 "maps without PID" "$M" maps
expect 2 "maps with a word for PID" "$M" maps init
expect 2 "smaps with a PID beyond 2^31" "$M" smaps 0x80000000
expect 2 "pagemap without VA" "$M" pagemap 1
expect 2 "pagemap VA in the kernel half" "$M" pagemap 1 0xc0000000
expect 2 "pagemap N of 0" "$M" pagemap 1 0x1000 0
expect 2 "pagemap N running past TASK_SIZE" "$M" pagemap 1 0xbffff000 2
expect 2 "walk VA beyond 32 bits" "$M" walk 1 0x100000000
expect 2 "walk without VA" "$M" walk 1
expect 2 "walk with junk VA" "$M" walk 1 0x80495b0z
expect 2 "ps takes no argument" "$M" ps 1
expect 2 "map --svg without FILE" "$M" map --svg
expect 2 "map --svg= without FILE" "$M" map --svg=
expect 2 "map takes no number" "$M" map 1
expect 2 "files takes one file at most" "$M" files 1 2
expect 2 "--svg with another view" "$M" meminfo --svg "$T/x.svg"
expect 1 "map of a missing machine" "$T/none.ram" map --svg "$T/none.svg"
[ ! -e "$T/none.svg" ] && ok "map of a missing machine leaves no picture" || bad "map of a missing machine wrote $T/none.svg"
expect 2 "a bad VA on a missing machine is still a usage error" "$T/none.ram" walk 1 0x100000000
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
	 "page 0x1000" "page $((frames - 1))" "hexdump 0" "hexdump 0x1000 100" check ps \
	 "walk 0 0xc0000000" map; do
	expect 0 "vmdump $v" "$M" $v
done

run "$M" ps
[ "$(cat "$T/out")" = "  PID  PPID STAT    VSZ   RSS  MAJFL  MINFL HOSTPID SHARED PRIVATE  ZERO COMMAND" ] &&
	ok "ps of a machine whose guest was reaped: the header alone" || bad "ps with no tasks: $(head -3 "$T/out")"
run "$M" maps 1
[ "$rc" -eq 1 ] && grep -q 'no task with pid 1' "$T/err" &&
	ok "maps of a reaped pid: exit 1: $(cat "$T/err")" || bad "maps of a reaped pid: exit $rc: $(cat "$T/err")"
expect 1 "maps of pid 0 (the kernel has no user address space)" "$M" maps 0

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

# The page cache of a machine whose guest mapped no file: the header, then
# the flusher; a file it does not hold is an error.
run "$M" files
[ "$rc" -eq 0 ] && [ "$(head -1 "$T/out")" = "DEV   INODE              SIZE  CACHED  DIRTY  WBACK  MAPS     READ  WRITTEN PATH" ] &&
	[ "$(wc -l <"$T/out")" -eq 2 ] &&
	tail -1 "$T/out" | grep -Eq '^pdflush: (not running|host pid [0-9]+, [SR] \((asleep|writing)\)), woke [0-9]+ times?; dirty_expire_centisecs [0-9]+, dirty_writeback_centisecs [0-9]+$' &&
	ok "files of a machine without files: the header, then the flusher" || bad "files with no files: exit $rc: $(cat "$T/out" "$T/err")"
run "$M" files /no/such/file
[ "$rc" -eq 1 ] && grep -q 'no file in the page cache is /no/such/file' "$T/err" &&
	ok "files of a path not cached: exit 1: $(cat "$T/err")" || bad "files of a path not cached: exit $rc: $(cat "$T/err")"
expect 1 "files of an inode not cached" "$M" files 12345
if command -v python3 >/dev/null; then
	run "$M" files --json
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["files"] == [] and d["nr_files"] == 0 and "host_pid" in d["flusher"]' "$T/out" 2>/dev/null &&
		ok "files --json of a machine without files" || bad "files --json: $(head -c 300 "$T/out")"
fi

# ---- map: every frame by owner and state ------------------------------------

# svg_ok FILE FRAMES TEXT...: FILE is well-formed XML (as a browser would
# parse it), the data-frames of its legend entries add up to FRAMES, and
# its text and tooltips hold each TEXT. Without python3, only the TEXTs are
# looked for.
svg_ok() {
	local file=$1 frames=$2 t
	shift 2
	if ! command -v python3 >/dev/null; then
		for t in "$@"; do
			grep -qF "$t" "$file" || { echo "no '$t'"; return 1; }
		done
		return 0
	fi
	python3 - "$file" "$frames" "$@" <<'EOF'
import sys, xml.dom.minidom
doc = xml.dom.minidom.parse(sys.argv[1])
assert doc.documentElement.tagName == "svg", "not an svg"
n = sum(int(g.getAttribute("data-frames")) for g in doc.getElementsByTagName("g")
        if g.hasAttribute("data-frames"))
assert n == int(sys.argv[2]), "the legend counts %d frames, the machine has %s" % (n, sys.argv[2])
def text(node):
    return "".join(c.data if c.nodeType == c.TEXT_NODE else text(c) for c in node.childNodes)
words = "\n".join(text(t) for t in doc.getElementsByTagName("text") + doc.getElementsByTagName("title"))
for want in sys.argv[3:]:
    assert want in words, "no '%s'" % want
EOF
}

run "$M" map
cp "$T/out" "$T/map.txt"
# the table's rows: a kind, then its frames (the lines below it are words)
kinds() { awk -v want="$1" '$1 ~ "^(" want ")$" && $2 ~ /^[0-9]+$/ { s += $2 } END { print s + 0 }' "$T/map.txt"; }
sum=$(kinds 'free|pcp|reserved|slab|pagetable|vmalloc|kernel|anon|file')
total=$(awk '$1 == "total" { print $2 }' "$T/map.txt")
[ "$rc" -eq 0 ] && [ "$sum" = "$frames" ] && [ "$total" = "$frames" ] &&
	grep -Eq '^ +frames +kB +DMA +Normal( +HighMem)?$' "$T/map.txt" &&
	ok "map: the kinds add up to the $frames frames, per zone" || bad "map text: exit $rc, sum $sum: $(head -12 "$T/map.txt")"
# a stopped machine: map and check count the same frames the same way
run "$M" check
set -- $(sed -n 's/^check: ok ([0-9]* frames: \([0-9]*\) free, \([0-9]*\) reserved, \([0-9]*\) allocated)$/\1 \2 \3/p' "$T/out")
mfree=$(kinds 'free|pcp')
mres=$(kinds reserved)
[ "$#" -eq 3 ] && [ "$mfree" = "$1" ] && [ "$mres" = "$2" ] && [ $((frames - mfree - mres)) = "$3" ] &&
	ok "map agrees with check: $1 free, $2 reserved, $3 allocated" ||
	bad "map counts free $mfree reserved $mres; check says: $(tail -1 "$T/out")"

run "$M" map --svg "$T/map.svg"
if [ "$rc" -eq 0 ] && [ -s "$T/map.svg" ] && grep -q "^picture: $T/map.svg " "$T/out"; then
	ok "map --svg wrote a picture ($(stat -c %s "$T/map.svg") bytes)"
	err=$(svg_ok "$T/map.svg" "$frames" "Free in the buddy allocator" "order 10" "free on per-CPU lists" \
		"Reserved by memblock" "boot block" "mem_map" "swapper_pg_dir" "slab" "page tables (user)" \
		"vmalloc" "other kernel allocations" "Anonymous pages, by task" "of no live task" "Page cache" \
		"DMA" "Normal" "Total: $frames frames" "pfn 0x0: reserved by memblock (boot block)" 2>&1) &&
		ok "map --svg: well-formed, every legend entry, counts add up to $frames frames, zones, tooltips" ||
		bad "map --svg: $err"
else
	bad "map --svg: exit $rc: $(head -c 300 "$T/err")"
fi
expect 0 "map --svg and --json together" "$M" map --svg "$T/map2.svg" --json
if command -v python3 >/dev/null; then
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert sum(d["counts"].values()) == int(sys.argv[2]) == sum(sum(z["counts"].values()) for z in d["zones"]) and d["svg"] and len(d["free_orders"]) == 11' "$T/out" "$frames" 2>/dev/null &&
		ok "map --json: counts add up, per zone too" || bad "map --json: $(head -c 300 "$T/out")"
fi
run "$M" map --svg "$T/no/such/dir/map.svg"
[ "$rc" -eq 1 ] && grep -q "cannot write $T/no/such/dir/map.svg" "$T/err" &&
	ok "map --svg into a missing directory: exit 1: $(cat "$T/err")" || bad "map --svg unwritable: exit $rc: $(cat "$T/err")"
if [ -w /dev/full ]; then
	run "$M" map --svg /dev/full
	[ "$rc" -eq 1 ] && grep -q 'writing /dev/full' "$T/err" && [ -c /dev/full ] &&
		ok "map --svg onto a full device: exit 1, the device left alone" || bad "map --svg /dev/full: exit $rc: $(cat "$T/err")"
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
		meminfo buddyinfo zoneinfo vmstat slabinfo vmallocinfo "page 1" map "map --svg $T/damaged.svg"
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

# ---- reclaim: the LRU lists, kswapd, the swap cache -------------------------

# The counters by their Linux names, wherever the machine came from.
run "$M" vmstat
miss=
for c in nr_zone_inactive_anon nr_zone_active_anon nr_inactive_anon nr_active_anon nr_swapcached \
	 pgmajfault pswpin pswpout pgscan_kswapd pgscan_direct pgsteal_kswapd pgsteal_direct \
	 allocstall oom_kill nr_zone_inactive_file nr_zone_active_file nr_inactive_file nr_active_file \
	 nr_zone_write_pending nr_mapped nr_file_pages nr_dirty nr_writeback nr_dirtied nr_written \
	 pgpgin pgpgout; do
	grep -Eq "^$c [0-9]+\$" "$T/out" || miss="$miss $c"
done
[ -z "$miss" ] && ok "vmstat names reclaim's and the page cache's counters as Linux does" || bad "vmstat lacks:$miss"
[ "$(grep -E '^(pgpgin|pgpgout|pswpin|pswpout) ' "$T/out" | cut -d' ' -f1 | tr '\n' ' ')" = "pgpgin pgpgout pswpin pswpout " ] &&
	ok "vmstat: pgpgin and pgpgout before pswpin, in Linux's order" || bad "vmstat event order: $(grep -E '^(pg|psw)' "$T/out" | head -6 | tr '\n' ' ')"
run "$M" zoneinfo
[ "$(grep -Ec '^      nr_zone_(in)?active_anon [0-9]+$' "$T/out")" -eq \
  $((2 * $(grep -c '^  pagesets$' "$T/out"))) ] && grep -Eq '^      nr_inactive_anon [0-9]+$' "$T/out" &&
	ok "zoneinfo: nr_zone_inactive_anon and nr_zone_active_anon per populated zone" ||
	bad "zoneinfo LRU counters: $(grep anon "$T/out")"
run "$M" meminfo
grep -Eq '^SwapCached: +[0-9]+ kB$' "$T/out" && grep -Eq '^Active\(anon\): +[0-9]+ kB$' "$T/out" &&
	grep -Eq '^Inactive\(anon\): +[0-9]+ kB$' "$T/out" &&
	ok "meminfo: SwapCached, Active(anon), Inactive(anon)" || bad "meminfo reclaim lines: $(head -12 "$T/out")"
order=$(cut -d: -f1 "$T/out" | tr '\n' ' ')
case "$order" in
"MemTotal MemFree MemAvailable Buffers Cached SwapCached Active Inactive Active(anon) Inactive(anon) Active(file) Inactive(file) "*" SwapFree Dirty Writeback AnonPages Mapped Shmem "*)
	ok "meminfo: the page cache's lines (Cached, Active(file), Dirty, Writeback, Mapped) where Linux has them" ;;
*)	bad "meminfo order with the page cache's lines: $order" ;;
esac
# meminfo_sums FILE: Active and Inactive are the sums of their anon and file halves
meminfo_sums() {
	awk -F': *' '{ v[$1] = $2 + 0 } END { exit !(v["Active"] == v["Active(anon)"] + v["Active(file)"] &&
		v["Inactive"] == v["Inactive(anon)"] + v["Inactive(file)"]) }' "$1"
}
meminfo_sums "$T/out" && ok "meminfo: Active and Inactive add up their anon and file lists" ||
	bad "meminfo Active/Inactive sums: $(grep -i active "$T/out" | tr '\n' ' ')"

run "$M" lru
if [ "$rc" -eq 0 ] && [ "$(head -1 "$T/out")" = "zone     list            pages  tail (reclaimed first)" ] &&
   ! sed '1d;$d' "$T/out" | grep -Evq '^(DMA|Normal|HighMem) +(inactive|active)_(anon|file) +[0-9]+(  0x[0-9a-f]+( 0x[0-9a-f]+)*)?$' &&
   [ "$(sed '1d;$d' "$T/out" | wc -l)" -eq $((4 * $(echo $zones | wc -w))) ] &&
   [ "$(sed '1d;$d' "$T/out" | awk '{ printf "%s ", $2 }' | cut -d' ' -f1-4)" = "inactive_anon active_anon inactive_file active_file" ] &&
   tail -1 "$T/out" | grep -Eq '^kswapd0: (not running|host pid [0-9]+, [SR] \((asleep|reclaiming)\)), woke [0-9]+ times?; swappiness [0-9]+, page-cluster [0-9]+; oom_kill [0-9]+'; then
	ok "lru: the four lists of each populated zone (anon and file), then kswapd"
else
	run "$M" lru
	bad "lru format: exit $rc: $(cat "$T/out" "$T/err")"
fi
expect 0 "lru 0 (no pfns)" "$M" lru 0
expect 2 "lru with a word" "$M" lru many
expect 2 "lru takes one number" "$M" lru 1 2
if command -v python3 >/dev/null; then
	run "$M" lru --json
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); z=d["zones"][0]; assert z["zone"]=="DMA" and "pages" in z["active_anon"] and isinstance(z["inactive_anon"]["tail"], list) and "runs" in d["kswapd"] and "pages" in z["inactive_file"] and "pages" in z["active_file"]' "$T/out" 2>/dev/null &&
		ok "lru --json" || bad "lru --json: $(head -c 300 "$T/out")"
fi

# A machine with a swap area, kept, to damage: counts of slots nothing
# holds, LRU links and flags, the swap cache, kswapd's row in ps.
S=$T/swap.ram
if [ -x "$VMRUN" ] && [ -z "$VMDUMP_TEST_RAM" ] &&
   "$VMRUN" --ram 32M --swap 16M --name "$NAME-swap" --keep -- /bin/true 2>"$T/vmrun.err" &&
   cp /dev/shm/vm-$NAME-swap.ram "$S" 2>/dev/null; then
	rm -f /dev/shm/vm-$NAME-swap.ram /dev/shm/vm-$NAME-swap.swap
	"$VMDUMP" "$S" offsets >"$T/soffsets"
	soff() { awk -v want="$*" '{ v = $NF; $NF = ""; sub(/ $/, ""); if ($0 == want) print v }' "$T/soffsets"; }
	peek32() { od -An -tu4 -j $(($2)) -N4 "$1" | tr -d ' '; }
	expect 0 "check of a machine with a swap area" "$S" check
	smap=$(soff swap 0 swap_map kva)
	scache=$(soff swap 0 swap_cache kva)
	smem=$(awk '$1 == "mem_map" { print $2 }' "$T/soffsets")
	flags_off=$(soff page flags)
	# the pa of a byte in the vmalloc area, through swapper_pg_dir
	kpa() { "$VMDUMP" "$S" walk 0 "$1" | sed -n 's/^physical \(0x[0-9a-f]*\) .*/\1/p'; }
	# a free frame: the first block of Normal's highest non-empty order
	free_pfn=0
	for o in 10 9 8 7 6 5 4 3 2 1 0; do
		free_pfn=$(peek32 "$S" "$(soff zone Normal free_area $o free_list)")
		[ "$free_pfn" -gt 0 ] && break
	done

	if [ -n "$smap" ] && [ -n "$(kpa $((smap + 5)))" ]; then
		cp "$S" "$T/s-count"
		printf '\001' | dd of="$T/s-count" bs=1 seek=$(($(kpa $((smap + 5))))) conv=notrunc status=none
		run "$T/s-count" check
		[ "$rc" -eq 1 ] &&
			grep -q '^swap 0 (.*): slot 0x5 has count 1, but 0 swap PTEs and no swap-cache page hold it$' "$T/out" &&
			ok "check: a slot counted with nothing holding it: $(grep 'slot 0x5' "$T/out")" ||
			bad "check on a slot count nothing holds: exit $rc: $(head -c 600 "$T/out")"
		expect 0 "swaps still reads a machine whose slot count is wrong" "$T/s-count" swaps
	else
		bad "no swap_map found for the machine's swap area: $(grep swap "$T/soffsets")"
	fi

	if [ -n "$free_pfn" ] && [ "$free_pfn" -gt 0 ]; then
		cp "$S" "$T/s-lruflag"
		poke32 "$T/s-lruflag" $((smem + free_pfn * 32 + flags_off)) \
			$(($(peek32 "$S" $((smem + free_pfn * 32 + flags_off))) | 1 << 4))
		run "$T/s-lruflag" check
		[ "$rc" -eq 1 ] && grep -q "^pfn $(printf '%#x' "$free_pfn"): PG_lru but free " "$T/out" &&
			ok "check: PG_lru on a free frame: $(grep PG_lru "$T/out")" ||
			bad "check on PG_lru on a free frame: exit $rc: $(head -c 600 "$T/out")"
		# PG_lru without PG_swapbacked names a file list, as Linux's page_lru()
		run "$T/s-lruflag" page "$free_pfn"
		grep -q '^lru: on the inactive_file list of zone Normal$' "$T/out" &&
			ok "page shows the LRU list the flags name" || bad "page of a frame with PG_lru: $(cat "$T/out")"

		# the Normal inactive list made to hold that free frame
		lhead=$(soff zone Normal lru inactive_anon)
		cp "$S" "$T/s-lrulink"
		poke32 "$T/s-lrulink" "$lhead" "$free_pfn"
		poke32 "$T/s-lrulink" $((lhead + 4)) "$free_pfn"
		run "$T/s-lrulink" check
		[ "$rc" -eq 1 ] &&
			grep -q "^zone Normal inactive_anon: pfn $(printf '%#x' "$free_pfn") is on the LRU list and also free" "$T/out" &&
			grep -q "^pfn $(printf '%#x' "$free_pfn"): on zone Normal inactive_anon list but flags 0x[0-9a-f]* (PG_lru clear, PG_active clear)\$" "$T/out" &&
			grep -q '^zone Normal: nr_zone_inactive_anon 0, its LRU list holds [1-9]' "$T/out" &&
			ok "check: a free frame linked onto an LRU list: $(grep -c . "$T/out") lines" ||
			bad "check on an LRU list holding a free frame: exit $rc: $(head -c 800 "$T/out")"
		run "$T/s-lrulink" lru
		[ "$rc" -eq 0 ] && grep -Eq '^Normal +inactive_anon +0 +\(then the list reaches a page not on this list\)$' "$T/out" &&
			ok "lru stops at a page the list should not hold" || bad "lru on a damaged list: exit $rc: $(cat "$T/out" "$T/err")"

		cp "$S" "$T/s-lrubeyond"
		poke32 "$T/s-lrubeyond" "$lhead" 0xFFFFFF00
		run "$T/s-lrubeyond" check
		[ "$rc" -eq 1 ] && grep -q '^zone Normal inactive_anon: LRU list links to pfn 0xffffff00 beyond RAM' "$T/out" &&
			ok "check: an LRU list linked beyond RAM" || bad "check on an LRU link beyond RAM: exit $rc: $(head -c 600 "$T/out")"
		no_crash "$T/s-lrubeyond" "LRU list linked beyond RAM"
	else
		bad "no free frame found to damage"
	fi

	cp "$S" "$T/s-lrucount"
	# vm_stat[NR_ZONE_ACTIVE_ANON] (the third) of Normal, and the node's
	# NR_ACTIVE_ANON (the second)
	poke32 "$T/s-lrucount" $(($(soff zone Normal vm_stat) + 2 * 8)) 3
	poke32 "$T/s-lrucount" $(($(soff node vm_stat) + 1 * 8)) 2
	run "$T/s-lrucount" check
	[ "$rc" -eq 1 ] && grep -q '^zone Normal: nr_zone_active_anon 3, its LRU list holds 0$' "$T/out" &&
		grep -q '^node: nr_active_anon 2, the zones. LRU lists hold 0$' "$T/out" &&
		ok "check: LRU counters against the lists, per zone and for the node" ||
		bad "check on LRU counters: exit $rc: $(head -c 600 "$T/out")"

	cp "$S" "$T/s-nrcache"
	poke32 "$T/s-nrcache" "$(soff swap nr_swapcache)" 4
	run "$T/s-nrcache" check
	[ "$rc" -eq 1 ] && grep -q '^swap: nr_swapcache 4, the swap caches hold 0 pages$' "$T/out" &&
		ok "check: nr_swapcache against the swap caches" || bad "check on nr_swapcache: exit $rc: $(head -c 600 "$T/out")"
	run "$T/s-nrcache" meminfo
	grep -Eq '^SwapCached: +16 kB$' "$T/out" && ok "meminfo SwapCached is nr_swapcache in kB" ||
		bad "meminfo SwapCached: $(grep SwapCached "$T/out")"

	if [ -n "$scache" ] && [ "$scache" != 0 ] && [ -n "$free_pfn" ]; then
		# slot 7 counted once, for a cache page that is a free frame
		cp "$S" "$T/s-cache"
		printf '\001' | dd of="$T/s-cache" bs=1 seek=$(($(kpa $((smap + 7))))) conv=notrunc status=none
		poke32 "$T/s-cache" "$(kpa $((scache + 7 * 4)))" "$free_pfn"
		run "$T/s-cache" check
		[ "$rc" -eq 1 ] &&
			grep -q "^pfn $(printf '%#x' "$free_pfn"): in the swap cache for 0:0x7 (entry 0x7) but PG_swapcache clear, private 0x[0-9a-f]*\$" "$T/out" &&
			grep -q "^swap 0 (.*): swap_cache of slot 0x7 holds pfn $(printf '%#x' "$free_pfn"), not an allocated page" "$T/out" &&
			grep -q '^swap: nr_swapcache 0, the swap caches hold 1 pages$' "$T/out" &&
			! grep -q 'slot 0x7 has count' "$T/out" &&
			ok "check: a swap cache holding a free frame" || bad "check on a bad swap cache entry: exit $rc: $(head -c 800 "$T/out")"
	else
		skip "the swap area has no swap cache array: swap cache damage not tried"
	fi

	if [ -n "$free_pfn" ]; then
		cp "$S" "$T/s-scfree"
		poke32 "$T/s-scfree" $((smem + free_pfn * 32 + flags_off)) \
			$(($(peek32 "$S" $((smem + free_pfn * 32 + flags_off))) | 1 << 13))
		run "$T/s-scfree" check
		[ "$rc" -eq 1 ] && grep -q "^pfn $(printf '%#x' "$free_pfn"): PG_swapcache but free " "$T/out" &&
			ok "check: PG_swapcache on a free frame" || bad "check on PG_swapcache on a free frame: exit $rc: $(head -c 600 "$T/out")"
	fi
	# PG_swapcache and entry 0:0x9 on an allocated page no cache holds
	# (the frame of swap_map itself)
	mpfn=$(($(kpa "$smap") >> 12))
	if [ "$mpfn" -gt 0 ]; then
		cp "$S" "$T/s-scflag"
		poke32 "$T/s-scflag" $((smem + mpfn * 32 + flags_off)) \
			$(($(peek32 "$S" $((smem + mpfn * 32 + flags_off))) | 1 << 13))
		poke32 "$T/s-scflag" $((smem + mpfn * 32 + $(soff page private))) 9
		run "$T/s-scflag" check
		[ "$rc" -eq 1 ] &&
			grep -q "^pfn $(printf '%#x' "$mpfn"): PG_swapcache with entry 0:0x9, but the swap cache holds 0 for that slot\$" "$T/out" &&
			ok "check: a PG_swapcache page the swap cache does not hold" ||
			bad "check on a stray PG_swapcache: exit $rc: $(head -c 600 "$T/out")"
		run "$T/s-scflag" page "$mpfn"
		grep -Eq '^swapcache: entry 0x9 = swap 0:0x9 \(.*\), slot count 0, but the swap cache holds 0 there$' "$T/out" &&
			ok "page shows a swap-cache page's entry and slot: $(grep '^swapcache' "$T/out")" ||
			bad "page of a PG_swapcache frame: $(cat "$T/out" "$T/err")"
		if command -v python3 >/dev/null; then
			run "$T/s-scflag" page "$mpfn" --json
			python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); s=d["swap"]; assert d["lru"]=="none" and s["type"]==0 and s["offset"]==9 and s["count"]==0 and not s["cached_here"]' "$T/out" 2>/dev/null &&
				ok "page --json: the swap entry and slot" || bad "page --json of a PG_swapcache frame: $(head -c 600 "$T/out")"
		fi
	fi

	# the reclaim note of a free task slot naming a page
	note=$(awk '$1 == "reclaim" && $2 == "note" { print $3, $4 }' "$T/soffsets")
	if [ -n "$note" ] && [ -n "$free_pfn" ]; then
		set -- $note
		cp "$S" "$T/s-note"
		poke32 "$T/s-note" $(($1 + 10 * $2 + 4)) $((0x80000000 | free_pfn))
		run "$T/s-note" check
		[ "$rc" -eq 1 ] &&
			grep -q "^task slot 10: free, yet its reclaim note holds pfn $(printf '%#x' "$free_pfn") (isolated)\$" "$T/out" &&
			ok "check: a free task slot's reclaim note naming a page" ||
			bad "check on a stale reclaim note: exit $rc: $(head -c 600 "$T/out")"
	fi

	# kswapd: a row of its own at the end of ps, in lru's last line
	cp "$S" "$T/s-kswapd"
	poke32 "$T/s-kswapd" "$(soff reclaim kswapd_pid)" 4242
	poke32 "$T/s-kswapd" "$(soff reclaim kswapd_state)" 1
	run "$T/s-kswapd" ps
	[ "$rc" -eq 0 ] && [ "$(wc -l <"$T/out")" -eq 2 ] &&
		[ "$(tail -1 "$T/out")" = "    -     0 R         0     0      0      0    4242      0       0     0 [kswapd0]" ] &&
		ok "ps: kswapd as a kernel thread: $(tail -1 "$T/out")" || bad "ps with kswapd: $(cat "$T/out")"
	if command -v python3 >/dev/null; then
		run "$T/s-kswapd" ps --json
		python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); k=d["kthreads"][0]; assert d["tasks"]==[] and k["comm"]=="kswapd0" and k["host_pid"]==4242 and k["stat"]=="R"' "$T/out" 2>/dev/null &&
			ok "ps --json: kswapd under kthreads" || bad "ps --json with kswapd: $(head -c 300 "$T/out")"
	fi
	run "$T/s-kswapd" lru
	tail -1 "$T/out" | grep -q '^kswapd0: host pid 4242, R (reclaiming), woke 0 times;' &&
		ok "lru: kswapd's state" || bad "lru with kswapd: $(tail -1 "$T/out")"
	expect 0 "check: kswapd reclaiming is a state, not damage" "$T/s-kswapd" check
	# and the flusher, after it
	cp "$T/s-kswapd" "$T/s-pdflush"
	poke32 "$T/s-pdflush" "$(soff filemap flusher_pid)" 4343
	poke32 "$T/s-pdflush" "$(soff filemap flusher_state)" 1
	run "$T/s-pdflush" ps
	[ "$rc" -eq 0 ] && [ "$(wc -l <"$T/out")" -eq 3 ] &&
		[ "$(tail -1 "$T/out")" = "    -     0 R         0     0      0      0    4343      0       0     0 [pdflush]" ] &&
		ok "ps: the flusher as a kernel thread: $(tail -1 "$T/out")" || bad "ps with the flusher: $(cat "$T/out")"
	if command -v python3 >/dev/null; then
		run "$T/s-pdflush" ps --json
		python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); k=d["kthreads"]; assert [t["comm"] for t in k]==["kswapd0", "pdflush"] and k[1]["host_pid"]==4343 and k[1]["stat"]=="R"' "$T/out" 2>/dev/null &&
			ok "ps --json: the flusher under kthreads" || bad "ps --json with the flusher: $(head -c 300 "$T/out")"
	fi
	run "$T/s-pdflush" files
	tail -1 "$T/out" | grep -q '^pdflush: host pid 4343, R (writing), woke 0 times;' &&
		ok "files: the flusher's state" || bad "files with the flusher: $(tail -1 "$T/out")"
	expect 0 "check: the flusher writing is a state, not damage" "$T/s-pdflush" check
	poke32 "$T/s-pdflush" "$(soff filemap flusher_state)" 9
	run "$T/s-pdflush" check
	[ "$rc" -eq 1 ] && grep -q '^filemap: flusher_state 9 (0 asleep, 1 writing)$' "$T/out" &&
		ok "check: an unknown flusher state" || bad "check on flusher_state 9: exit $rc: $(head -c 300 "$T/out")"
	cp "$S" "$T/s-files"
	poke32 "$T/s-files" "$(soff filemap files)" 0x7ffffff0
	run "$T/s-files" check
	[ "$rc" -eq 1 ] && grep -q '^filemap: the list of files links to pa 0x7ffffff0, outside lowmem or misaligned$' "$T/out" &&
		ok "check: the list of files linked outside RAM" || bad "check on a broken list of files: exit $rc: $(head -c 300 "$T/out")"
	damaged "$T/s-files" "the list of files linked outside RAM" "list of files links to pa 0x7ffffff0" files "files 5"
	cp "$S" "$T/s-nrfiles"
	poke32 "$T/s-nrfiles" "$(soff filemap nr_files)" 3
	run "$T/s-nrfiles" check
	[ "$rc" -eq 1 ] && grep -q '^filemap: nr_files 3, the list holds 0 files$' "$T/out" &&
		ok "check: nr_files against the list" || bad "check on nr_files: exit $rc: $(head -c 300 "$T/out")"
	poke32 "$T/s-kswapd" "$(soff reclaim kswapd_state)" 7
	run "$T/s-kswapd" check
	[ "$rc" -eq 1 ] && grep -q '^reclaim: kswapd_state 7 (0 asleep, 1 reclaiming)$' "$T/out" &&
		ok "check: an unknown kswapd state" || bad "check on kswapd_state 7: exit $rc: $(head -c 300 "$T/out")"
else
	rm -f /dev/shm/vm-$NAME-swap.ram /dev/shm/vm-$NAME-swap.swap
	skip "no machine with swap to damage (vmrun --swap): the swap and LRU damage cases are skipped"
fi

# A machine with HighMem: vmalloc may put a swap map there, beyond the
# direct map vmrun's own check reads through; it must read it all the same.
if [ -x "$VMRUN" ] && [ -z "$VMDUMP_TEST_RAM" ] &&
   [ "$(df -Pk /dev/shm 2>/dev/null | awk 'NR == 2 { print $4 }')" -gt $((2 << 20)) ] 2>/dev/null; then
	for mode in i386 pae; do
		"$VMRUN" --mode $mode --ram 1100M --swap 8M --name "$NAME-high" -- /bin/true >/dev/null 2>"$T/err"
		machine_ok "$mode: 1100M with swap, the swap map in HighMem"
	done
	rm -f /dev/shm/vm-$NAME-high.ram /dev/shm/vm-$NAME-high.swap
else
	skip "no room in /dev/shm for a machine with HighMem"
fi

# ---- a guest's address space ------------------------------------------------

# A guest that lays out what the views must show: the seed's .data page at
# 0x08049000, an mmap with pages written, read and left alone, a PROT_NONE
# range that was touched, a shared anonymous page, and a heap: 9 pages in
# RAM. It prints "ready" and waits for its hold file to go.
GUEST=
if [ -x "$VMRUN" ] && [ -z "$VMDUMP_TEST_RAM" ] && command -v cc >/dev/null &&
   command -v pkg-config >/dev/null && [ -f "$TOP/libvm/libvm.a" ]; then
	cat >"$T/guest.c" <<'EOF'
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <vm/guest.h>

int main(int argc, char **argv)
{
	char *data, *p, *none, *sh, *heap;
	int i;

	data = vm_mmap(vm_ptr(0x08049000), 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	p = vm_mmap(NULL, 8 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	none = vm_mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	sh = vm_mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	heap = vm_sbrk(3 * 4096);
	if (argc < 2 || data == MAP_FAILED || p == MAP_FAILED || none == MAP_FAILED ||
	    sh == MAP_FAILED || heap == (void *)-1)
		return 1;
	strcpy(data + 0x5b0, "hello, world");
	for (i = 0; i < 8; i += 2)
		p[i * 4096] = 1;
	(void)*(volatile char *)(p + 4096);
	none[0] = 1;
	if (vm_mprotect(none, 2 * 4096, PROT_NONE))
		return 1;
	sh[0] = 1;
	heap[0] = 1;
	printf("ready %d\n", vm_getpid());
	fflush(stdout);
	while (access(argv[1], F_OK) == 0)
		usleep(10000);
	return 0;
}
EOF
	# a library built with make SANITIZE=1 needs its runtime in the guest too
	san=
	nm "$TOP/libvm/libvm.a" 2>/dev/null | grep -q __asan_ && san="-fsanitize=address,undefined"
	if cc -O1 $san -o "$T/guest" "$T/guest.c" \
	      $(PKG_CONFIG_PATH=$TOP pkg-config --cflags --libs libvm-uninstalled) 2>"$T/cc.err"; then
		GUEST=$T/guest
	else
		bad "building the test guest: $(head -c 300 "$T/cc.err")"
	fi

	# A guest that forks: the .data page and four mmap pages written,
	# a fifth only read (the zero page), then the child writes the
	# first mmap page, so copy on write gives it a frame of its own and
	# leaves the other four shared, read-only in both. The parent prints
	# "ready PID CHILD VA" once the child has written; both wait for the
	# hold file to go, and the parent reaps the child.
	cat >"$T/fguest.c" <<'EOF'
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <vm/guest.h>

static void hold(const char *path)
{
	while (access(path, F_OK) == 0)
		usleep(10000);
}

int main(int argc, char **argv)
{
	char *data, *p, b;
	int fds[2], i, st;
	pid_t c;

	data = vm_mmap(vm_ptr(0x08049000), 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	p = vm_mmap(NULL, 6 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (argc < 2 || data == MAP_FAILED || p == MAP_FAILED || pipe(fds))
		return 1;
	strcpy(data + 0x5b0, "hello, world");
	for (i = 0; i < 4; i++)
		p[i * 4096] = 1;
	(void)*(volatile char *)(p + 4 * 4096);
	c = vm_fork();
	if (c < 0 && errno == ENOSYS) {
		printf("nofork\n");
		return 0;
	}
	if (c < 0)
		return 2;
	if (c == 0) {
		p[0] = 2;
		if (write(fds[1], "x", 1) != 1)
			vm_exit(3);
		hold(argv[1]);
		vm_exit(0);
	}
	if (read(fds[0], &b, 1) != 1)
		return 4;
	printf("ready %d %d %#lx\n", vm_getpid(), c, (unsigned long)vm_gva(p));
	fflush(stdout);
	hold(argv[1]);
	if (vm_waitpid(c, &st, 0) != c || !WIFEXITED(st) || WEXITSTATUS(st))
		return 5;
	return data[0x5b0] == 'h' && p[0] == 1 ? 0 : 6;
}
EOF
	if cc -O1 $san -o "$T/fguest" "$T/fguest.c" \
	      $(PKG_CONFIG_PATH=$TOP pkg-config --cflags --libs libvm-uninstalled) 2>"$T/cc.err"; then
		FGUEST=$T/fguest
	else
		bad "building the forking test guest: $(head -c 300 "$T/cc.err")"
	fi

	# A guest that maps a file it writes, 10 pages of 'a'..'j': 8 pages
	# MAP_SHARED from page 0, all read, the first two written (dirty in
	# the cache); 4 pages MAP_PRIVATE from page 4, two read, the third
	# written (an anonymous copy). It prints "ready PID SHARED PRIVATE",
	# and at the end checks it reads its own writes.
	cat >"$T/mguest.c" <<'EOF'
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <vm/guest.h>

int main(int argc, char **argv)
{
	char *sh, *pr, buf[4096];
	volatile char c;
	int fd, i;

	if (argc < 3)
		return 1;
	fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0644);
	for (i = 0; i < 10; i++) {
		memset(buf, 'a' + i, sizeof(buf));
		if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
			return 2;
	}
	sh = vm_mmap(NULL, 8 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	pr = vm_mmap(NULL, 4 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 4 * 4096);
	if (sh == MAP_FAILED || pr == MAP_FAILED)
		return 3;
	for (i = 0; i < 8; i++)
		c = sh[i * 4096];
	sh[0] = 'X';
	sh[4096] = 'Y';
	c = pr[0];
	c = pr[4096];
	pr[2 * 4096] = 'Z';
	(void)c;
	printf("ready %d %#lx %#lx\n", vm_getpid(), (unsigned long)vm_gva(sh), (unsigned long)vm_gva(pr));
	fflush(stdout);
	while (access(argv[2], F_OK) == 0)
		usleep(10000);
	return sh[0] == 'X' && pr[2 * 4096] == 'Z' && pr[0] == 'e' ? 0 : 4;
}
EOF
	if cc -O1 $san -o "$T/mguest" "$T/mguest.c" \
	      $(PKG_CONFIG_PATH=$TOP pkg-config --cflags --libs libvm-uninstalled) 2>"$T/cc.err"; then
		MGUEST=$T/mguest
	else
		bad "building the file-mapping test guest: $(head -c 300 "$T/cc.err")"
	fi
else
	skip "no vmrun, cc or pkg-config: the guest cases are skipped"
fi

# no_crash_mm FILE DESC: the address-space views end by exit(), in time.
no_crash_mm() {
	local file=$1 desc=$2 v
	for v in ps "maps 1" "smaps 1" "pagemap 1 0x08049000 16" "walk 1 0x080495b0" \
		 "walk 0 0xc0000000" check "ps --json" "smaps 1 --json" "walk 1 0x080495b0 --json" \
		 "map --svg $T/damaged.svg"; do
		run "$file" $v
		if [ "$rc" -ge 124 ]; then
			bad "$desc: vmdump $v died or hung (exit $rc)"
			return
		fi
	done
	ok "$desc: no address-space view crashed or hung"
}

# guest_views MODE: run the guest in that paging mode and look at it, live
# and in a copy taken while it waits.
guest_views() {
	local mode=$1 name=$NAME-g-$1 G=$T/g-$1.ram line pfn pt rss_ps rss_sm v
	: >"$T/hold"
	"$VMRUN" --mode "$mode" --ram 32M --keep --name "$name" -- "$GUEST" "$T/hold" \
		>"$T/guest.out" 2>"$T/guest.err" &
	GUEST_PID=$!
	for _ in $(seq 200); do
		grep -q '^ready 1$' "$T/guest.out" 2>/dev/null && break
		kill -0 "$GUEST_PID" 2>/dev/null || break
		sleep 0.05
	done
	if ! grep -q '^ready 1$' "$T/guest.out"; then
		bad "$mode: the guest did not start: $(head -c 300 "$T/guest.err")"
		rm -f "$T/hold"
		wait "$GUEST_PID"
		GUEST_PID=
		return
	fi

	run "$name" ps
	grep -Eq '^ +1 +0 R +[0-9]+ +[0-9]+ +0 +[0-9]+ +[0-9]+ +0 +[0-9]+ +[0-9]+ guest$' "$T/out" &&
		ok "$mode: ps of the running guest: $(sed -n 2p "$T/out")" || bad "$mode: ps: $(cat "$T/out" "$T/err")"
	expect 0 "$mode: maps of the running guest, by name" "$name" maps 1
	run "$name" check
	[ "$rc" -eq 0 ] && ok "$mode: check of the running guest's machine: $(tail -1 "$T/out")" ||
		bad "$mode: check of the running guest: exit $rc: $(head -c 600 "$T/out")"
	cp "/dev/shm/vm-$name.ram" "$G"

	run "$G" maps 1
	cp "$T/out" "$T/maps"
	if [ "$(wc -l <"$T/maps")" -eq 6 ] &&
	   ! grep -Evq '^[0-9a-f]{8}-[0-9a-f]{8} [r-][w-][x-][ps] [0-9a-f]{8} [0-9a-f]{2}:[0-9a-f]{2} [0-9]+ ( {8}.*)?$' "$T/maps" &&
	   grep -q '^08049000-0804a000 rw-p 00000000 00:00 0 $' "$T/maps" &&
	   grep -Eq '^[0-9a-f]{8}-[0-9a-f]{8} ---p 00000000 00:00 0 $' "$T/maps" &&
	   [ "$(grep '\[heap\]$' "$T/maps" | cut -c50-)" = "[heap]" ] &&
	   [ "$(grep -c ' rw-s .*/dev/zero (deleted)$' "$T/maps")" -eq 1 ] &&
	   grep -q '^bffe0000-c0000000 rw-p 00000000 00:00 0          \[stack\]$' "$T/maps"; then
		ok "$mode: maps is /proc/PID/maps: names at column 49, anonymous lines end in '0 '"
	else
		bad "$mode: maps format: $(cat -A "$T/maps")"
	fi

	run "$G" smaps 1
	cp "$T/out" "$T/smaps"
	v=$(awk '/^[0-9a-f]+-/ { n++; next } n == 1 { sub(/:.*/, ""); printf "%s ", $0 }' "$T/smaps")
	if [ "$v" = "Size KernelPageSize MMUPageSize Rss Pss Pss_Dirty Shared_Clean Shared_Dirty Private_Clean Private_Dirty Referenced Anonymous LazyFree AnonHugePages ShmemPmdMapped FilePmdMapped Shared_Hugetlb Private_Hugetlb Swap SwapPss Locked THPeligible VmFlags " ] &&
	   [ "$(grep -c '^[0-9a-f]\{8\}-' "$T/smaps")" -eq 6 ] &&
	   ! grep -Ev '^[0-9a-f]{8}-|^.{16}[ 0-9]{7}[0-9] kB$|^THPeligible:           0$|^VmFlags:( [a-z?]{2})+ $' "$T/smaps" | grep -q . &&
	   grep -q '^Private_Hugetlb:       0 kB$' "$T/smaps" &&
	   sed -n '/^08049000-/,/^VmFlags/p' "$T/smaps" | grep -q '^Private_Dirty:         4 kB$' &&
	   sed -n '/^08049000-/,/^VmFlags/p' "$T/smaps" | grep -q '^Anonymous:             4 kB$' &&
	   sed -n '/^08049000-/,/^VmFlags/p' "$T/smaps" | grep -q '^VmFlags: rd wr mr mw me' &&
	   sed -n '/ ---p /,/^VmFlags/p' "$T/smaps" | grep -q '^VmFlags: mr mw me'; then
		ok "$mode: smaps is /proc/PID/smaps: Linux's fields in order, its widths, VmFlags mnemonics"
	else
		bad "$mode: smaps format ($v): $(head -30 "$T/smaps")"
	fi
	# The page only read may be the zero page: not in RSS (nor in
	# smaps Rss, as in Linux), but in ps's ZERO.
	rss_sm=$(awk '/^Rss:/ { s += $2 } END { print s + 0 }' "$T/smaps")
	run "$G" ps
	set -- $(awk 'NR == 2 { print $5, $9, $10, $11 }' "$T/out")
	rss_ps=$1
	[ -n "$rss_ps" ] && [ "$rss_ps" = "$rss_sm" ] && [ $((rss_ps + $4)) -eq 36 ] &&
	[ "$2" -eq 0 ] && [ "$3" = "$rss_ps" ] &&
		ok "$mode: smaps Rss adds up to ps RSS ($rss_ps kB) and RSS + ZERO to the 9 pages touched, all PRIVATE" ||
		bad "$mode: smaps Rss $rss_sm kB, ps RSS $rss_ps kB SHARED $2 PRIVATE $3 ZERO $4, want RSS + ZERO 36"
	G_ZERO=$4
	G_RSS_PAGES=$((rss_ps / 4))

	run "$G" walk 1 0x080495b0
	cp "$T/out" "$T/walk"
	pfn=$(awk '/^physical 0x/ { sub(/^0x/, "", $2); print substr($2, 1, length($2) - 3) }' "$T/walk" |
	      sed 's/^0*//')
	if [ "$mode" = i386 ]; then
		grep -q '^         PGD 32 | PTE 73 | offset 0x5b0$' "$T/walk" &&
		grep -q '^linear   0x080495b0 = 0x00000000 + 0x080495b0 = 0000100000 0001001001 010110110000$' "$T/walk" &&
		grep -Eq '^PGD .*\[ 32\] entry 0x[0-9a-f]{8} = 0x[0-9a-f]{8} P RW US A D -> page table' "$T/walk" &&
		grep -q '^PMD      folded' "$T/walk" &&
		grep -Eq '^PTE .*\[ 73\] .* -> frame 0x' "$T/walk" && grep -Eq '^physical 0x[0-9a-f]+5b0 ' "$T/walk" &&
			ok "$mode: walk 0x080495b0 as the seed works it: PGD 32, PTE 73, offset 0x5b0" ||
			bad "$mode: walk: $(cat "$T/walk")"
	else
		grep -q '^         PGD 0 | PMD 64 | PTE 73 | offset 0x5b0$' "$T/walk" &&
		grep -Eq '^PGD .*\[  0\] .* = 0x[0-9a-f]{16} P -> PMD table' "$T/walk" &&
		grep -Eq '^PMD .*\[ 64\] .* -> page table' "$T/walk" &&
		grep -Eq '^PTE .*\[ 73\] .* -> frame 0x' "$T/walk" && grep -Eq '^physical 0x[0-9a-f]+5b0 ' "$T/walk" &&
			ok "$mode: walk 0x080495b0: PGD 0, PMD 64, PTE 73, offset 0x5b0" ||
			bad "$mode: walk: $(cat "$T/walk")"
	fi
	run "$G" pagemap 1 0x08049000
	line=$(cat "$T/out")
	case "$line" in
	"08049000 81800000"*" present pfn=0x$pfn soft-dirty exclusive")
		ok "$mode: pagemap agrees with walk: $line" ;;
	*)	bad "$mode: pagemap 0x08049000: '$line', walk says pfn 0x$pfn" ;;
	esac
	run "$G" pagemap 1 0x10000000 3
	[ "$(grep -c '^1000[0-2]000 0000000000000000 unmapped$' "$T/out")" -eq 3 ] &&
		ok "$mode: pagemap of 3 pages where no VMA is: 3 lines, unmapped" || bad "$mode: pagemap unmapped: $(cat "$T/out")"
	run "$G" pagemap 1 0xbffe0000
	grep -q '^bffe0000 0000000000000000 none$' "$T/out" &&
		ok "$mode: pagemap of an untouched stack page: none" || bad "$mode: pagemap stack: $(cat "$T/out")"
	run "$G" walk 1 0x10000000
	[ "$rc" -eq 0 ] && grep -q '^physical none: not present, and no VMA' "$T/out" &&
		ok "$mode: walk of an unmapped address stops at the empty level" || bad "$mode: walk unmapped: exit $rc: $(cat "$T/out")"
	run "$G" walk 0 0xc0123456
	[ "$rc" -eq 0 ] && grep -q '^physical 0x00123456 ' "$T/out" && grep -q 'PS G' "$T/out" &&
		ok "$mode: walk 0 reads swapper_pg_dir: 0xc0123456 is pa 0x123456, in a large page" ||
		bad "$mode: walk 0: $(cat "$T/out")"

	if [ -n "$pfn" ]; then
		run "$G" page "0x$pfn"
		grep -q '^state: anonymous, anon_vma [0-9a-f]\{8\} va 0x08049000, mapped 1 time$' "$T/out" &&
		grep -q '^mapped by pid 1 (guest) at 0x08049000 (rw)$' "$T/out" &&
		grep -q '^anon_vma [0-9a-f]\{8\}: 1 VMA on its list (nr_vmas 1), 1 PTE maps this frame$' "$T/out" &&
			ok "$mode: page of the .data frame names its anon_vma, va and mapper" || bad "$mode: page 0x$pfn: $(cat "$T/out")"
	fi
	zpfn=$(awk '$1 == "zero_page" { print $2 }' <("$VMDUMP" "$G" offsets))
	if [ -n "$zpfn" ]; then
		run "$G" page $((zpfn >> 12))
		zl="zero page: $((G_ZERO / 4)) read-only PTE"
		grep -q '^state: reserved (zero page)$' "$T/out" && grep -q "^$zl" "$T/out" &&
		{ [ "$G_ZERO" -eq 0 ] ||
		  grep -Eq "^mapped by pid 1 \(guest\): $((G_ZERO / 4)) PTEs?, the first at 0x[0-9a-f]{8} \(ro\)$" "$T/out"; } &&
			ok "$mode: page of the zero page counts its PTEs: $(grep '^zero page' "$T/out")" ||
			bad "$mode: page of the zero page: $(cat "$T/out")"
	else
		bad "$mode: offsets names no zero page"
	fi
	pt=$(awk '/^PTE / { print $3 }' "$T/walk")
	if [ -n "$pt" ]; then
		run "$G" page $((pt >> 12))
		grep -q '^flags: 0x[0-9a-f]*(pgtable|zone=[0-9])$' "$T/out" &&
		grep -Eq '^owner: page table of mm [0-9a-f]{8} for 08000000-08(4|2)00000, used by pid 1 \(guest\)$' "$T/out" &&
			ok "$mode: page of the PTE table: $(grep '^owner' "$T/out")" || bad "$mode: page of the PTE table: $(cat "$T/out")"
	fi

	gframes=$(($(stat -c %s "$G") / 4096))
	run "$name" map --svg "$T/live-$mode.svg"
	err=$(svg_ok "$T/live-$mode.svg" "$gframes" "pid 1 (guest), running" 2>&1) && [ "$rc" -eq 0 ] &&
		ok "$mode: map --svg of the running guest's machine: its legend adds up to $gframes frames" ||
		bad "$mode: map --svg of the running guest: exit $rc: $err $(head -c 300 "$T/err")"
	run "$G" map --svg "$T/g-$mode.svg"
	err=$(svg_ok "$T/g-$mode.svg" "$gframes" "pid 1 (guest), running" \
		"pfn 0x$pfn: anonymous, pid 1 (guest) va 0x08049000" "user page table of pid 1 (guest)" 2>&1) &&
		[ "$rc" -eq 0 ] && grep -Eq "^  pid 1 \\(guest\\) +running +$G_RSS_PAGES anon +[0-9]+ pagetable\$" "$T/out" &&
		ok "$mode: map --svg: the guest's $G_RSS_PAGES pages in its own colour, the .data frame's tooltip names pid 1 and 0x08049000" ||
		bad "$mode: map of the guest: exit $rc: $err $(grep -A2 '^anonymous' "$T/out")"

	run "$G" maps 99
	[ "$rc" -eq 1 ] && grep -q 'no task with pid 99' "$T/err" &&
		ok "$mode: maps of a pid no task has: exit 1: $(cat "$T/err")" || bad "$mode: maps 99: exit $rc: $(cat "$T/err")"
	expect 1 "$mode: smaps of pid 0" "$G" smaps 0
	expect 1 "$mode: pagemap of a pid no task has" "$G" pagemap 7 0x1000
	expect 1 "$mode: walk of a pid no task has" "$G" walk 99 0x1000

	run "$G" check
	[ "$rc" -eq 0 ] && ok "$mode: check of the guest's machine: $(tail -1 "$T/out")" ||
		bad "$mode: check: exit $rc: $(head -c 600 "$T/out")"

	if command -v python3 >/dev/null; then
		for v in ps "maps 1" "smaps 1" "pagemap 1 0x08049000 4" "walk 1 0x080495b0" \
			 "walk 0 0xc0000000" "page 0x$pfn"; do
			run "$G" $v --json
			if [ "$rc" -eq 0 ] && python3 -m json.tool "$T/out" >/dev/null 2>"$T/jerr"; then
				ok "$mode: $v --json is valid JSON"
			else
				bad "$mode: $v --json: exit $rc: $(head -c 300 "$T/jerr") $(head -c 300 "$T/err")"
			fi
		done
		run "$G" smaps 1 --json
		python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert sum(v["Rss"] for v in d["vmas"]) == int(sys.argv[2]) and d["vmas"][0]["VmFlags"][:2] == ["rd", "wr"]' "$T/out" "$rss_sm" 2>/dev/null &&
			ok "$mode: smaps JSON Rss = text Rss" || bad "$mode: smaps JSON: $(head -c 300 "$T/out")"
		run "$G" walk 1 0x080495b0 --json
		python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["result"] == "mapped" and d["pfn"] == int(sys.argv[2], 16) and d["levels"][-1]["index"] == 73' "$T/out" "$pfn" 2>/dev/null &&
			ok "$mode: walk JSON has the levels and the frame" || bad "$mode: walk JSON: $(head -c 300 "$T/out")"
	fi

	# the guest exits; the machine is kept, its task reaped
	rm -f "$T/hold"
	wait "$GUEST_PID"
	rc=$?
	GUEST_PID=
	[ "$rc" -eq 0 ] && ok "$mode: the guest exited 0" || bad "$mode: guest exit $rc: $(head -c 300 "$T/guest.err")"
	run "$name" ps
	[ "$rc" -eq 0 ] && [ "$(wc -l <"$T/out")" -eq 1 ] && ok "$mode: ps of the kept machine: no tasks left" ||
		bad "$mode: ps after exit: exit $rc: $(cat "$T/out" "$T/err")"
	expect 0 "$mode: check of the kept machine" "$name" check
	rm -f "/dev/shm/vm-$name.ram"

	guest_damaged "$mode" "$G" "$pfn"
}

# guest_damaged MODE G PFN: copies of a guest's machine with its address
# space damaged must give violations and clear errors, never a crash. PFN
# is the frame under 0x08049000.
guest_damaged() {
	local mode=$1 G=$2 pfn=$3 mm vma task mmap_off next_off rss_off mm_off mapc_off memmap pte pgd
	"$VMDUMP" "$G" offsets >"$T/goffsets" || { bad "$mode: offsets of the guest machine"; return; }
	goff() { awk -v want="$*" '{ v = $NF; $NF = ""; sub(/ $/, ""); if ($0 == want) print v }' "$T/goffsets"; }
	mm=$(goff mm pid 1)
	task=$(goff task pid 1)
	mmap_off=$(goff mm_struct mmap)
	next_off=$(goff vm_area_struct vm_next)
	rss_off=$(goff mm_struct rss_stat anon)
	mm_off=$(goff task_struct mm)
	mapc_off=$(goff page _mapcount)
	memmap=$(awk '$1 == "mem_map" { print $2 }' "$T/goffsets")
	if [ -z "$mm" ] || [ -z "$task" ] || [ -z "$mmap_off" ] || [ -z "$memmap" ] || [ -z "$pfn" ]; then
		bad "$mode: the offsets view gave no task or mm for pid 1"
		return
	fi
	vma=$(od -An -tu4 -j $((mm + mmap_off)) -N4 "$G" | tr -d ' ')
	run "$G" walk 1 0x080495b0
	pgd=$(sed -n 's/^PGD .* entry \(0x[0-9a-f]*\) = .*/\1/p' "$T/out")
	pte=$(sed -n 's/^PTE .* entry \(0x[0-9a-f]*\) = .*/\1/p' "$T/out")

	cp "$G" "$T/g-rss"
	poke32 "$T/g-rss" $((mm + rss_off)) 99
	run "$T/g-rss" check
	[ "$rc" -eq 1 ] && grep -q "^mm 0x[0-9a-f]* (pid 1): rss 100 pages (anon 99, .*the tables map $G_RSS_PAGES\$" "$T/out" &&
		ok "$mode: check: a wrong rss counter: $(grep rss "$T/out")" || bad "$mode: check on a wrong rss: exit $rc: $(head -c 300 "$T/out")"

	cp "$G" "$T/g-vma"
	poke32 "$T/g-vma" $((vma + next_off)) 0x7FFFFFF0
	run "$T/g-vma" check
	[ "$rc" -eq 1 ] && grep -q 'VMA at pa 0x7ffffff0 lies outside lowmem' "$T/out" &&
		[ "$(grep -c '^mm ' "$T/out")" -eq 1 ] &&
		ok "$mode: check: a VMA list linked outside RAM, one line: $(grep 'VMA at' "$T/out")" ||
		bad "$mode: check on a broken VMA list: exit $rc: $(head -c 600 "$T/out")"
	damaged "$T/g-vma" "$mode: a VMA list linked outside RAM" "pid 1: VMA list links to pa 0x7ffffff0" \
		"maps 1" "smaps 1" "pagemap 1 0x1000"
	expect 0 "$mode: walk still works with the VMA list broken" "$T/g-vma" walk 1 0x080495b0
	no_crash_mm "$T/g-vma" "$mode: broken VMA list"

	cp "$G" "$T/g-pte"
	if [ "$mode" = pae ]; then
		poke32 "$T/g-pte" $((pte + 4)) 0
	fi
	poke32 "$T/g-pte" "$pte" $(((frames - 1) << 12 | 0x67))
	run "$T/g-pte" check
	[ "$rc" -eq 1 ] && grep -q 'va 08049000 maps pfn 0x[0-9a-f]*, which is not an allocated user frame' "$T/out" &&
		grep -q "^pfn 0x$pfn: mapcount 1, 0 user PTEs map it$" "$T/out" &&
		ok "$mode: check: a PTE onto a free frame, and the frame it left" || bad "$mode: check on a bad PTE: exit $rc: $(head -c 600 "$T/out")"
	no_crash_mm "$T/g-pte" "$mode: PTE onto a free frame"

	cp "$G" "$T/g-pgd"
	poke32 "$T/g-pgd" "$pgd" 0xFFFFF001
	run "$T/g-pgd" check
	[ "$rc" -eq 1 ] && grep -Eq '(page table|PMD table) for 0[0-9a-f]{7} at pa 0x[0-9a-f]+ lies outside lowmem' "$T/out" &&
		ok "$mode: check: a directory entry outside RAM: $(grep 'outside lowmem' "$T/out")" ||
		bad "$mode: check on a bad PGD entry: exit $rc: $(head -c 600 "$T/out")"
	run "$T/g-pgd" walk 1 0x080495b0
	[ "$rc" -eq 1 ] && grep -q 'the walk stopped: .*outside RAM' "$T/err" && grep -q '^PGD ' "$T/out" &&
		ok "$mode: walk shows the levels up to the bad entry, then: $(cat "$T/err")" ||
		bad "$mode: walk on a bad PGD entry: exit $rc: $(cat "$T/out" "$T/err")"
	no_crash_mm "$T/g-pgd" "$mode: directory entry outside RAM"

	cp "$G" "$T/g-mapcount"
	poke32 "$T/g-mapcount" $((memmap + 0x$pfn * 32 + mapc_off)) 5
	run "$T/g-mapcount" check
	[ "$rc" -eq 1 ] && grep -q "^pfn 0x$pfn: mapcount 6, 1 user PTEs map it$" "$T/out" &&
		ok "$mode: check: a frame's mapcount against its PTEs" || bad "$mode: check on a bad mapcount: exit $rc: $(head -c 300 "$T/out")"

	# the reverse map: the .data frame's anon_vma, and the heap frame's
	# (another anon_vma) to point it at instead
	local map_off nr_off head_off ppid_off av hpfn hmap zpa zva zpte
	map_off=$(goff page mapping)
	nr_off=$(goff anon_vma nr_vmas)
	head_off=$(goff anon_vma head)
	ppid_off=$(goff task_struct ppid)
	av=$(($(od -An -tu4 -j $((memmap + 0x$pfn * 32 + map_off)) -N4 "$G" | tr -d ' ') & ~1))
	run "$G" maps 1
	hpfn=$(awk '/\[heap\]$/ { print $1 }' "$T/out" | cut -d- -f1)
	[ -n "$hpfn" ] && run "$G" pagemap 1 "0x$hpfn"
	hpfn=$(sed -n 's/.* pfn=\(0x[0-9a-f]*\).*/\1/p' "$T/out")

	cp "$G" "$T/g-nr"
	poke32 "$T/g-nr" $((av + nr_off)) 5
	run "$T/g-nr" check
	[ "$rc" -eq 1 ] && grep -q "^anon_vma $(printf '%#x' "$av"): nr_vmas 5, its list holds 1 VMA\$" "$T/out" &&
	[ "$(grep -vc '^check:' "$T/out")" -eq 1 ] &&
		ok "$mode: check: an anon_vma whose nr_vmas is wrong, one line: $(head -1 "$T/out")" ||
		bad "$mode: check on a wrong nr_vmas: exit $rc: $(head -c 600 "$T/out")"

	cp "$G" "$T/g-avhead"
	poke32 "$T/g-avhead" $((av + head_off)) 0
	run "$T/g-avhead" check
	[ "$rc" -eq 1 ] && grep -q "^anon_vma $(printf '%#x' "$av"): nr_vmas 1, its list holds 0 VMAs\$" "$T/out" &&
		grep -q "VMA 08049000-0804a000 names anon_vma $(printf '%#x' "$av") but is not on its list\$" "$T/out" &&
		ok "$mode: check: a VMA missing from its anon_vma's list" ||
		bad "$mode: check on an emptied anon_vma list: exit $rc: $(head -c 600 "$T/out")"
	no_crash_mm "$T/g-avhead" "$mode: an emptied anon_vma list"

	cp "$G" "$T/g-avloop"
	vma=$(od -An -tu4 -j $((av + head_off)) -N4 "$G" | tr -d ' ')
	poke32 "$T/g-avloop" $((vma + $(goff vm_area_struct anon_vma_next))) "$vma"
	run "$T/g-avloop" check
	[ "$rc" -eq 1 ] && grep -q "^anon_vma $(printf '%#x' "$av"): VMA .* is on its list twice (a cycle)$" "$T/out" &&
		ok "$mode: check: an anon_vma list that loops: $(grep '^anon_vma' "$T/out" | head -1)" ||
		bad "$mode: check on a looping anon_vma list: exit $rc: $(head -c 600 "$T/out")"
	run "$T/g-avloop" page "0x$pfn"
	[ "$rc" -eq 0 ] && grep -q "^anon_vma [0-9a-f]*: the list goes round" "$T/out" &&
		grep -q '^mapped by pid 1 (guest) at 0x08049000 (rw)$' "$T/out" &&
		ok "$mode: page through a looping anon_vma list: $(tail -1 "$T/out")" ||
		bad "$mode: page through a looping anon_vma list: exit $rc: $(cat "$T/out" "$T/err")"
	no_crash_mm "$T/g-avloop" "$mode: a looping anon_vma list"

	if [ -n "$hpfn" ]; then
		hmap=$(od -An -tu4 -j $((memmap + hpfn * 32 + map_off)) -N4 "$G" | tr -d ' ')
		cp "$G" "$T/g-mapping"
		poke32 "$T/g-mapping" $((memmap + 0x$pfn * 32 + map_off)) "$hmap"
		run "$T/g-mapping" check
		[ "$rc" -eq 1 ] && [ "$hmap" -ne $((av | 1)) ] &&
			grep -q "va 08049000: anonymous pfn 0x$pfn has mapping $(printf '%#x' "$hmap") index 0x8049, expected $(printf '%#x' $((av | 1))) index 0x8049\$" "$T/out" &&
			ok "$mode: check: a frame naming another VMA's anon_vma" ||
			bad "$mode: check on a frame's wrong anon_vma: exit $rc: $(head -c 600 "$T/out")"
		run "$T/g-mapping" page "0x$pfn"
		[ "$rc" -eq 0 ] && grep -q 'mapped by no PTE' "$T/out" &&
			ok "$mode: page of a frame naming the wrong anon_vma: no mapper found there" ||
			bad "$mode: page with the wrong anon_vma: exit $rc: $(cat "$T/out")"
	else
		bad "$mode: no heap frame found to take an anon_vma from"
	fi

	zpa=$(awk '$1 == "zero_page" { print $2 }' "$T/goffsets")
	cp "$G" "$T/g-zero"
	poke32 "$T/g-zero" $((zpa + 100)) 0x41
	run "$T/g-zero" check
	[ "$rc" -eq 1 ] && grep -q "^zero page: pfn $(printf '%#x' $((zpa >> 12))) has 1 non-zero byte, the first at offset 0x64 (0x41)\$" "$T/out" &&
		ok "$mode: check: a written zero page: $(grep '^zero page' "$T/out")" ||
		bad "$mode: check on a written zero page: exit $rc: $(head -c 600 "$T/out")"
	if [ "$G_ZERO" -gt 0 ]; then
		run "$G" page $((zpa >> 12))
		zva=$(sed -n 's/^mapped by pid 1 (guest): .* the first at \(0x[0-9a-f]*\) (ro)$/\1/p' "$T/out")
		run "$G" walk 1 "$zva"
		zpte=$(sed -n 's/^PTE .* entry \(0x[0-9a-f]*\) = .*/\1/p' "$T/out")
		cp "$G" "$T/g-zerorw"
		poke32 "$T/g-zerorw" "$zpte" $(($(od -An -tu4 -j $((zpte)) -N4 "$G" | tr -d ' ') | 2))
		run "$T/g-zerorw" check
		[ "$rc" -eq 1 ] && grep -q "va ${zva#0x}: PTE 0x[0-9a-f]* maps the zero page writable\$" "$T/out" &&
			ok "$mode: check: the zero page mapped writable: $(grep 'zero page writable' "$T/out")" ||
			bad "$mode: check on a writable zero-page PTE ($zva): exit $rc: $(head -c 600 "$T/out")"
	fi

	cp "$G" "$T/g-ppid"
	poke32 "$T/g-ppid" $((task + ppid_off)) 77
	run "$T/g-ppid" check
	[ "$rc" -eq 1 ] && grep -q '^task pid 1: running, its parent pid 77 is no task' "$T/out" &&
		ok "$mode: check: a running task whose parent is no task" ||
		bad "$mode: check on a task with a missing parent: exit $rc: $(head -c 600 "$T/out")"
	run "$T/g-ppid" ps
	grep -Eq '^ +1 +77 R ' "$T/out" && ok "$mode: ps shows the PPID as stored" || bad "$mode: ps PPID: $(cat "$T/out")"

	cp "$G" "$T/g-task"
	poke32 "$T/g-task" $((task + mm_off)) 0xFFFFFFF0
	run "$T/g-task" check
	[ "$rc" -eq 1 ] && grep -q 'task pid 1: mm at pa 0xfffffff0 lies outside lowmem' "$T/out" &&
		ok "$mode: check: a task's mm link outside RAM" || bad "$mode: check on a bad mm link: exit $rc: $(head -c 300 "$T/out")"
	damaged "$T/g-task" "$mode: a task's mm link outside RAM" "pid 1: mm at pa 0xfffffff0 lies outside lowmem" \
		"maps 1" "smaps 1" "pagemap 1 0x1000" "walk 1 0x1000"

	cp "$G" "$T/g-tasks"
	dd if=/dev/urandom of="$T/g-tasks" bs=4096 seek=$((task / 4096)) count=10 conv=notrunc status=none
	run "$T/g-tasks" check
	[ "$rc" -eq 1 ] && ok "$mode: check: a task table full of garbage: $(tail -1 "$T/out")" ||
		bad "$mode: check on a garbage task table: exit $rc"
	run "$T/g-tasks" map --svg "$T/g-tasks.svg"
	if [ "$rc" -eq 0 ]; then
		err=$(svg_ok "$T/g-tasks.svg" "$(($(stat -c %s "$G") / 4096))" 2>&1) &&
			ok "$mode: map --svg of a garbage task table: well-formed, still adds up" ||
			bad "$mode: map --svg of a garbage task table: $err"
	elif [ "$rc" -eq 1 ]; then
		ok "$mode: map of a garbage task table refused: $(head -1 "$T/err")"
	else
		bad "$mode: map --svg of a garbage task table: exit $rc"
	fi
	no_crash_mm "$T/g-tasks" "$mode: garbage task table"
}

# fork_views MODE: the forking guest in that paging mode: ps shows the
# child under its parent with the shared pages counted, page lists both
# mappers of a shared frame through the reverse map, check passes live
# and in a copy; copies with copy on write or the reverse map damaged
# must fail check.
fork_views() {
	local mode=$1 name=$NAME-f-$1 F=$T/f-$1.ram va dpfn ppfn cpfn pte av cvma
	local memmap map_off refc_off head_off next_off
	: >"$T/hold"
	"$VMRUN" --mode "$mode" --ram 32M --keep --name "$name" -- "$FGUEST" "$T/hold" \
		>"$T/fork.out" 2>"$T/fork.err" &
	GUEST_PID=$!
	for _ in $(seq 200); do
		grep -Eq '^(ready|nofork)' "$T/fork.out" 2>/dev/null && break
		kill -0 "$GUEST_PID" 2>/dev/null || break
		sleep 0.05
	done
	if ! grep -q '^ready 1 2 0x' "$T/fork.out"; then
		if grep -q '^nofork' "$T/fork.out"; then
			skip "$mode: vm_fork is not there yet: the fork cases are skipped"
		else
			bad "$mode: the forking guest did not start: $(cat "$T/fork.out") $(head -c 300 "$T/fork.err")"
		fi
		rm -f "$T/hold"
		wait "$GUEST_PID"
		GUEST_PID=
		rm -f "/dev/shm/vm-$name.ram"
		return
	fi
	va=$(awk '/^ready/ { print $4 }' "$T/fork.out")

	# RSS 20 kB: .data and four mmap pages; SHARED 16: all but the page
	# the child wrote; ZERO 4: the page only read
	run "$name" ps
	[ "$(sed -n 2p "$T/out" | awk '{ print $1, $2, $3, $5, $9, $10, $11, $12 }')" = "1 0 R 20 16 4 4 fguest" ] &&
	[ "$(sed -n 3p "$T/out" | awk '{ print $1, $2, $3, $5, $9, $10, $11, $12 }')" = "2 1 R 20 16 4 4 fguest" ] &&
		ok "$mode: ps shows the child under its parent, 16 kB shared between them: $(sed -n 3p "$T/out")" ||
		bad "$mode: ps of a forked guest: $(cat "$T/out" "$T/err")"
	run "$name" check
	[ "$rc" -eq 0 ] && ok "$mode: check of a live forked guest: $(tail -1 "$T/out")" ||
		bad "$mode: check of a live forked guest: exit $rc: $(head -c 600 "$T/out")"
	cp "/dev/shm/vm-$name.ram" "$F"

	pfn_at() { "$VMDUMP" "$F" pagemap "$1" "$2" | sed -n 's/.* pfn=\(0x[0-9a-f]*\).*/\1/p'; }
	dpfn=$(pfn_at 1 0x08049000)
	ppfn=$(pfn_at 1 "$va")
	cpfn=$(pfn_at 2 "$va")
	run "$F" page "$dpfn"
	grep -q "^page:[0-9a-f]* refcount:2 mapcount:2 " "$T/out" &&
	grep -q '^mapped by pid 1 (fguest) at 0x08049000 (ro)$' "$T/out" &&
	grep -q '^mapped by pid 2 (fguest) at 0x08049000 (ro)$' "$T/out" &&
	grep -q '^anon_vma [0-9a-f]*: 2 VMAs on its list (nr_vmas 2), 2 PTEs map this frame$' "$T/out" &&
		ok "$mode: page of the shared .data frame: both mappers, read-only, through the anon_vma" ||
		bad "$mode: page of the shared .data frame $dpfn: $(cat "$T/out")"
	run "$F" page "$ppfn"
	[ -n "$ppfn" ] && [ "$ppfn" != "$cpfn" ] &&
	[ "$(grep -c '^mapped by ' "$T/out")" -eq 1 ] && grep -q "^mapped by pid 1 (fguest) at $va (ro)\$" "$T/out" &&
	grep -q '^anon_vma [0-9a-f]*: 2 VMAs on its list (nr_vmas 2), 1 PTE maps this frame$' "$T/out" &&
		ok "$mode: after copy on write the parent's frame has one mapper left" ||
		bad "$mode: page of the parent's frame $ppfn (child's $cpfn): $(cat "$T/out")"
	run "$F" page "$cpfn"
	grep -q "^mapped by pid 2 (fguest) at $va (rw)\$" "$T/out" &&
		ok "$mode: and the child's copy is its own, writable" || bad "$mode: page of the child's copy $cpfn: $(cat "$T/out")"
	"$VMDUMP" "$F" offsets >"$T/foffsets"
	run "$F" page $(($(awk '$1 == "zero_page" { print $2 }' "$T/foffsets") >> 12))
	grep -q '^zero page: 2 read-only PTEs in 2 tasks' "$T/out" &&
		ok "$mode: the zero page is mapped once in each" || bad "$mode: page of the zero page: $(cat "$T/out")"
	run "$F" check
	[ "$rc" -eq 0 ] && ok "$mode: check of the forked guest's copy" ||
		bad "$mode: check of the forked guest's copy: exit $rc: $(head -c 600 "$T/out")"

	foff() { awk -v want="$*" '{ v = $NF; $NF = ""; sub(/ $/, ""); if ($0 == want) print v }' "$T/foffsets"; }
	memmap=$(awk '$1 == "mem_map" { print $2 }' "$T/foffsets")
	map_off=$(foff page mapping)
	refc_off=$(foff page _refcount)
	head_off=$(foff anon_vma head)
	next_off=$(foff vm_area_struct anon_vma_next)

	# the parent's PTE of the shared .data frame made writable: a write
	# would now be seen by the child
	run "$F" walk 1 0x08049000
	pte=$(sed -n 's/^PTE .* entry \(0x[0-9a-f]*\) = .*/\1/p' "$T/out")
	cp "$F" "$T/f-cow"
	poke32 "$T/f-cow" "$pte" $(($(od -An -tu4 -j $((pte)) -N4 "$F" | tr -d ' ') | 2))
	run "$T/f-cow" check
	[ "$rc" -eq 1 ] && grep -q "^pfn $dpfn: 2 user PTEs map it, 1 of them writable in a private VMA" "$T/out" &&
		ok "$mode: check: a shared frame left writable: $(grep 'writable in a private' "$T/out")" ||
		bad "$mode: check on a broken copy on write: exit $rc: $(head -c 600 "$T/out")"
	run "$T/f-cow" page "$dpfn"
	grep -q '^mapped by pid 1 (fguest) at 0x08049000 (rw)$' "$T/out" &&
		ok "$mode: page shows which mapper is writable" || bad "$mode: page of the broken frame: $(cat "$T/out")"

	cp "$F" "$T/f-ref"
	poke32 "$T/f-ref" $((memmap + dpfn * 32 + refc_off)) 1
	run "$T/f-ref" check
	[ "$rc" -eq 1 ] && grep -q "^pfn $dpfn: refcount 1, fewer than the 2 user PTEs that map it\$" "$T/out" &&
		ok "$mode: check: a refcount below the PTEs mapping the frame" ||
		bad "$mode: check on a low refcount: exit $rc: $(head -c 600 "$T/out")"

	# the child's VMA, which fork linked at the head, dropped from the list
	av=$(($(od -An -tu4 -j $((memmap + dpfn * 32 + map_off)) -N4 "$F" | tr -d ' ') & ~1))
	cvma=$(od -An -tu4 -j $((av + head_off)) -N4 "$F" | tr -d ' ')
	cp "$F" "$T/f-list"
	poke32 "$T/f-list" $((av + head_off)) "$(od -An -tu4 -j $((cvma + next_off)) -N4 "$F" | tr -d ' ')"
	run "$T/f-list" check
	[ "$rc" -eq 1 ] && grep -q "^anon_vma $(printf '%#x' "$av"): nr_vmas 2, its list holds 1 VMA\$" "$T/out" &&
		grep -q "(pid 2): VMA 08049000-0804a000 names anon_vma $(printf '%#x' "$av") but is not on its list\$" "$T/out" &&
		ok "$mode: check: the child's VMA missing from the shared anon_vma" ||
		bad "$mode: check on a child's VMA off its list: exit $rc: $(head -c 600 "$T/out")"
	run "$T/f-list" page "$dpfn"
	[ "$(grep -c '^mapped by ' "$T/out")" -eq 1 ] && grep -q '^mapped by pid 1 ' "$T/out" &&
		ok "$mode: page finds only the mapper still on the list" || bad "$mode: page with the child off the list: $(cat "$T/out")"
	no_crash_mm "$T/f-list" "$mode: a child's VMA off its anon_vma list"

	rm -f "$T/hold"
	wait "$GUEST_PID"
	rc=$?
	GUEST_PID=
	[ "$rc" -eq 0 ] && ok "$mode: the forking guest and its child exited 0" ||
		bad "$mode: forking guest exit $rc: $(head -c 300 "$T/fork.err")"
	run "$name" ps
	[ "$rc" -eq 0 ] && [ "$(wc -l <"$T/out")" -eq 1 ] && ok "$mode: ps after the fork: parent and child reaped" ||
		bad "$mode: ps after the forking guest: exit $rc: $(cat "$T/out" "$T/err")"
	expect 0 "$mode: check of the kept machine after fork" "$name" check
	rm -f "/dev/shm/vm-$name.ram"
}

# swap_views MODE: the guest on a machine with a swap area, a copy taken
# while it waits, and its .data PTE turned into swap entries: one naming a
# free slot, one a slot counted too often, one an area not in use, and a
# not-present PTE that is no swap entry. check must name each; pagemap and
# the other address-space views read them.
swap_views() {
	local mode=$1 name=$NAME-s-$1 W=$T/s-$1.ram pte smap spa mm hi lo
	: >"$T/hold"
	"$VMRUN" --mode "$mode" --ram 32M --swap 8M --keep --name "$name" -- "$GUEST" "$T/hold" \
		>"$T/guest.out" 2>"$T/guest.err" &
	GUEST_PID=$!
	for _ in $(seq 400); do
		grep -q '^ready 1$' "$T/guest.out" 2>/dev/null && break
		kill -0 "$GUEST_PID" 2>/dev/null || break
		sleep 0.05
	done
	if grep -q '^ready 1$' "$T/guest.out"; then
		cp "/dev/shm/vm-$name.ram" "$W"
	else
		bad "$mode: the guest did not start on a machine with swap in 20 s: $(head -c 300 "$T/guest.out" "$T/guest.err")"
	fi
	rm -f "$T/hold"
	wait "$GUEST_PID"
	GUEST_PID=
	rm -f "/dev/shm/vm-$name.ram" "/dev/shm/vm-$name.swap"
	[ -f "$W" ] || return

	expect 0 "$mode: check of the guest on a machine with swap" "$W" check
	run "$W" walk 1 0x080495b0
	pte=$(sed -n 's/^PTE .* entry \(0x[0-9a-f]*\) = .*/\1/p' "$T/out")
	"$VMDUMP" "$W" offsets >"$T/woffsets"
	smap=$(awk '$1 == "swap" && $2 == 0 && $3 == "swap_map" { print $5 }' "$T/woffsets")
	spa=$("$VMDUMP" "$W" walk 0 $((smap + 5)) | sed -n 's/^physical \(0x[0-9a-f]*\) .*/\1/p')
	mm=$(awk '$1 == "mm" && $2 == "pid" && $3 == 1 { print $4 }' "$T/woffsets")
	if [ -z "$pte" ] || [ -z "$spa" ]; then
		bad "$mode: no PTE or swap_map to damage (pte '$pte', swap_map '$smap')"
		return
	fi
	# swap PTE TYPE OFFSET: the PTE of this mode holding that entry
	swpte() {
		if [ "$mode" = pae ]; then
			lo=0 hi=$(($1 | $2 << 5))
		else
			lo=$(($1 << 1 | $2 << 8)) hi=0
		fi
	}

	swpte 0 5
	cp "$W" "$T/w-free"
	poke32 "$T/w-free" "$pte" "$lo"
	[ "$mode" = pae ] && poke32 "$T/w-free" $((pte + 4)) "$hi"
	run "$T/w-free" check
	[ "$rc" -eq 1 ] &&
		grep -q "^mm $(printf '%#x' "$mm") (pid 1): va 08049000: swap PTE names slot 0:0x5, which is free\$" "$T/out" &&
		grep -q "^mm $(printf '%#x' "$mm") (pid 1): swapents 0, the tables hold 1 swap entries\$" "$T/out" &&
		ok "$mode: check: a swap PTE naming a free slot, and MM_SWAPENTS" ||
		bad "$mode: check on a swap PTE to a free slot: exit $rc: $(head -c 800 "$T/out")"
	run "$T/w-free" pagemap 1 0x08049000
	grep -q '^08049000 40000000000000a0 swapped type=0 offset=0x5' "$T/out" &&
		ok "$mode: pagemap reads the swap PTE: $(cat "$T/out")" || bad "$mode: pagemap of a swap PTE: $(cat "$T/out" "$T/err")"
	run "$T/w-free" walk 1 0x08049000
	grep -Eq '^PTE .* = 0x0*'"$(printf '%x' $(((hi << 32) | lo)))"' -> swap entry type 0 offset 0x5$' "$T/out" &&
		grep -q '^physical none: swap entry' "$T/out" &&
		ok "$mode: walk decodes the swap PTE: $(grep '^PTE' "$T/out" | sed 's/.*-> //')" ||
		bad "$mode: walk of a swap PTE: $(cat "$T/out" "$T/err")"
	no_crash_mm "$T/w-free" "$mode: a swap PTE"

	cp "$T/w-free" "$T/w-count"
	printf '\002' | dd of="$T/w-count" bs=1 seek=$((spa)) conv=notrunc status=none
	run "$T/w-count" check
	[ "$rc" -eq 1 ] &&
		grep -q '^swap 0 (.*): slot 0x5 has count 2, but 1 swap PTE and no swap-cache page hold it$' "$T/out" &&
		! grep -q 'which is free' "$T/out" &&
		ok "$mode: check: a slot counted more often than swap PTEs hold it" ||
		bad "$mode: check on a slot counted twice for one PTE: exit $rc: $(head -c 800 "$T/out")"
	cp "$T/w-free" "$T/w-one"
	printf '\001' | dd of="$T/w-one" bs=1 seek=$((spa)) conv=notrunc status=none
	run "$T/w-one" check
	[ "$rc" -eq 1 ] && ! grep -q 'slot 0x5' "$T/out" &&
		ok "$mode: check: a slot counted once for its one swap PTE is right" ||
		bad "$mode: check on a slot counted once: $(head -c 800 "$T/out")"

	swpte 3 5
	cp "$W" "$T/w-area"
	poke32 "$T/w-area" "$pte" "$lo"
	[ "$mode" = pae ] && poke32 "$T/w-area" $((pte + 4)) "$hi"
	run "$T/w-area" check
	[ "$rc" -eq 1 ] && grep -q ': va 08049000: swap PTE names area 3, which is not in use$' "$T/out" &&
		ok "$mode: check: a swap PTE naming an area not in use" ||
		bad "$mode: check on a swap PTE to area 3: exit $rc: $(head -c 800 "$T/out")"

	# the .data frame: on an LRU list, which page names and lru counts
	local dpfn lru_off
	dpfn=$("$VMDUMP" "$W" pagemap 1 0x08049000 | sed -n 's/.* pfn=\(0x[0-9a-f]*\).*/\1/p')
	run "$W" page "$dpfn"
	if grep -q '^lru: on the \(in\)\{0,1\}active_anon list of zone \(DMA\|Normal\)$' "$T/out"; then
		ok "$mode: page of the .data frame names its LRU list: $(grep '^lru:' "$T/out")"
		# every resident page of a guest at rest is on a list
		local rss_pages
		run "$W" ps
		rss_pages=$(awk 'NR == 2 { print $5 / 4 }' "$T/out")
		run "$W" lru
		[ -n "$rss_pages" ] && [ "$(awk '$2 ~ /_anon$/ { s += $3 } END { print s + 0 }' "$T/out")" = "$rss_pages" ] &&
			ok "$mode: lru holds the guest's $rss_pages resident pages" ||
			bad "$mode: lru of the guest's machine ($rss_pages pages resident): $(cat "$T/out")"
		# its next link pointed at itself: a cycle, one line for it
		lru_off=$(awk '$1 == "page" && $2 == "lru" { print $3 }' "$T/woffsets")
		cp "$W" "$T/w-lrucycle"
		poke32 "$T/w-lrucycle" $(($(awk '$1 == "mem_map" { print $2 }' "$T/woffsets") + dpfn * 32 + lru_off)) "$dpfn"
		run "$T/w-lrucycle" check
		[ "$rc" -eq 1 ] && grep -q "_anon: pfn $dpfn is on the LRU lists twice (a cycle?)\$" "$T/out" &&
			[ "$(grep -c 'PG_lru but on no LRU list' "$T/out")" -eq 0 ] &&
			ok "$mode: check: an LRU list that loops, without a line per page behind the loop" ||
			bad "$mode: check on a looping LRU list: exit $rc: $(head -c 800 "$T/out")"
		no_crash_mm "$T/w-lrucycle" "$mode: a looping LRU list"
		# its LRU flags cleared: a mapped page reclaim would never see
		local flags_off fpa
		flags_off=$(awk '$1 == "page" && $2 == "flags" { print $3 }' "$T/woffsets")
		fpa=$(($(awk '$1 == "mem_map" { print $2 }' "$T/woffsets") + dpfn * 32 + flags_off))
		cp "$W" "$T/w-nolru"
		poke32 "$T/w-nolru" "$fpa" $(($(od -An -tu4 -j "$fpa" -N4 "$W" | tr -d ' ') & ~(3 << 4)))
		run "$T/w-nolru" check
		[ "$rc" -eq 1 ] &&
			grep -q "^pfn $dpfn: anonymous page mapped by 1 PTE, but PG_lru clear (on no LRU list)\$" "$T/out" &&
			grep -q "^pfn $dpfn: on zone [A-Za-z]* [a-z_]* list but flags 0x[0-9a-f]* (PG_lru clear, PG_active clear)\$" "$T/out" &&
			ok "$mode: check: a mapped page whose LRU flags are gone" ||
			bad "$mode: check on a page with PG_lru cleared: exit $rc: $(head -c 800 "$T/out")"
		run "$T/w-lrucycle" lru 100000
		[ "$rc" -eq 0 ] && ok "$mode: lru of a looping list ends" || bad "$mode: lru of a looping list: exit $rc"
	else
		skip "$mode: the guest's pages are on no LRU list (no reclaim yet?): $(grep -c . "$T/out") lines of page"
	fi

	cp "$W" "$T/w-junk"
	poke32 "$T/w-junk" "$pte" 0x40
	[ "$mode" = pae ] && poke32 "$T/w-junk" $((pte + 4)) 0
	run "$T/w-junk" check
	[ "$rc" -eq 1 ] && grep -q ': va 08049000: PTE 0x40 is neither present nor a swap entry$' "$T/out" &&
		ok "$mode: check: a not-present PTE that is no swap entry" ||
		bad "$mode: check on a junk PTE: exit $rc: $(head -c 800 "$T/out")"
	no_crash_mm "$T/w-junk" "$mode: a junk not-present PTE"
}

# file_views MODE: the guest that maps a file, in that paging mode: maps
# and smaps name the file as Linux does, files lists it and its pages,
# page tells a cached frame's file, index and mappers; meminfo, lru, map
# and pagemap count it, ps shows the flusher, check passes live and in a
# copy; then file_damaged.
file_views() {
	local mode=$1 name=$NAME-m-$1 P=$T/m-$1.ram data=$T/data-$1 sh pr shx prx ino dv dev cached
	local pfn0 line v
	: >"$T/hold"
	"$VMRUN" --mode "$mode" --ram 32M --keep --name "$name" -- "$MGUEST" "$data" "$T/hold" \
		>"$T/mguest.out" 2>"$T/mguest.err" &
	GUEST_PID=$!
	for _ in $(seq 200); do
		grep -q '^ready' "$T/mguest.out" 2>/dev/null && break
		kill -0 "$GUEST_PID" 2>/dev/null || break
		sleep 0.05
	done
	if ! grep -q '^ready 1 0x' "$T/mguest.out"; then
		bad "$mode: the file-mapping guest did not start: $(head -c 300 "$T/mguest.out" "$T/mguest.err")"
		rm -f "$T/hold"
		wait "$GUEST_PID"
		GUEST_PID=
		rm -f "/dev/shm/vm-$name.ram"
		return
	fi
	sh=$(awk '/^ready/ { print $3 }' "$T/mguest.out")
	pr=$(awk '/^ready/ { print $4 }' "$T/mguest.out")
	shx=$(printf '%08x' "$sh")
	prx=$(printf '%08x' "$pr")
	ino=$(stat -c %i "$data")
	# st_dev as glibc's major() and minor() split it
	dv=$(stat -c %d "$data")
	dev=$(printf '%02x:%02x' $(((dv >> 8 & 0xfff) | (dv >> 32 & ~0xfff))) $(((dv & 0xff) | (dv >> 12 & ~0xff))))

	run "$name" check
	[ "$rc" -eq 0 ] && ok "$mode: check of a running guest that maps a file: $(tail -1 "$T/out")" ||
		bad "$mode: check of the file-mapping guest: exit $rc: $(head -c 600 "$T/out")"
	run "$name" ps
	tail -1 "$T/out" | grep -Eq '^ +- +0 [SR] +0 +0 +0 +0 +[0-9]+ +0 +0 +0 \[pdflush\]$' &&
		ok "$mode: ps shows the flusher: $(tail -1 "$T/out")" || bad "$mode: ps of a machine with a flusher: $(cat "$T/out")"
	cp "/dev/shm/vm-$name.ram" "$P"

	run "$P" maps 1
	grep -Eq "^$shx-[0-9a-f]{8} rw-s 00000000 $dev $ino +$data\$" "$T/out" &&
	grep -Eq "^$prx-[0-9a-f]{8} rw-p 00004000 $dev $ino +$data\$" "$T/out" &&
	[ "$(grep "^$shx-" "$T/out" | cut -c50-)" = "$data" ] &&
		ok "$mode: maps names the file: offset, $dev (major:minor), inode $ino, the path at column 49" ||
		bad "$mode: maps of a file mapping ($dev $ino): $(cat "$T/out")"

	run "$P" smaps 1
	sed -n "/^$shx-/,/^VmFlags/p" "$T/out" >"$T/sm-shared"
	sed -n "/^$prx-/,/^VmFlags/p" "$T/out" >"$T/sm-private"
	grep -q '^Rss:                  32 kB$' "$T/sm-shared" && grep -q '^Private_Dirty:         8 kB$' "$T/sm-shared" &&
	grep -q '^Anonymous:             0 kB$' "$T/sm-shared" && grep -q '^VmFlags: rd wr sh mr mw me ms' "$T/sm-shared" &&
	grep -q '^Anonymous:             4 kB$' "$T/sm-private" && grep -q '^Private_Dirty:         4 kB$' "$T/sm-private" &&
		ok "$mode: smaps of the file VMAs: the shared one's two written pages private and dirty, the private one's copy anonymous" ||
		bad "$mode: smaps of the file VMAs: $(cat "$T/sm-shared" "$T/sm-private")"

	run "$P" files
	line=$(grep " $data\$" "$T/out")
	set -- $line
	cached=${4:-0}
	[ "$rc" -eq 0 ] && [ "$1 $2 $3 $5 $6 $7 $9" = "$dev $ino 40960 2 0 2 0" ] && [ "$cached" -ge 8 ] &&
	[ "$cached" -le 10 ] && [ "$8" -ge "$cached" ] &&
		ok "$mode: files: $line" || bad "$mode: files: exit $rc: $(cat "$T/out" "$T/err")"

	run "$P" files "$data"
	cp "$T/out" "$T/mfile"
	pfn0=$(awk '$1 == "0" && $2 ~ /^0x/ { print $2 }' "$T/mfile")
	[ "$rc" -eq 0 ] && [ "$(head -1 "$T/mfile")" = "file $dev $ino $data" ] &&
	grep -q "^size 40960 bytes (10 pages); $cached pages cached, 2 dirty, 0 under writeback; 2 mappings, 1 shared writable; " "$T/mfile" &&
	[ "$(grep -Ec '^ +[0-9]+ +0x[0-9a-f]+ +[0-9]+ +[0-9]+ [a-z|]*zone=[0-9]$' "$T/mfile")" -eq "$cached" ] &&
	grep -Eq '^ +0 +0x[0-9a-f]+ +1 +2 uptodate\|dirty\|lru\|' "$T/mfile" &&
	grep -Eq '^ +1 +0x[0-9a-f]+ +1 +2 [a-z|]*dirty' "$T/mfile" &&
	grep -Eq "^mapped by pid 1 \\(mguest\\) at $shx-[0-9a-f]{8} rw-s from page 0\$" "$T/mfile" &&
	grep -Eq "^mapped by pid 1 \\(mguest\\) at $prx-[0-9a-f]{8} rw-p from page 4\$" "$T/mfile" &&
		ok "$mode: files PATH: its $cached pages with frame, mapcount, refcount and flags, and both mappings" ||
		bad "$mode: files $data: exit $rc: $(cat "$T/mfile" "$T/err")"
	run "$P" files "$ino"
	cmp -s "$T/out" "$T/mfile" && ok "$mode: files INODE is files PATH" || bad "$mode: files $ino: $(cat "$T/out" "$T/err")"

	if [ -n "$pfn0" ]; then
		run "$P" page "$pfn0"
		grep -q "^state: page cache, index 0 of $data (dev $dev inode $ino), mapped 1 time\$" "$T/out" &&
		grep -Eq '^lru: on the (in)?active_file list of zone (DMA|Normal)$' "$T/out" &&
		grep -q "^mapped by pid 1 (mguest) at $sh (rw)\$" "$T/out" &&
		grep -q '^i_mmap: 2 VMAs on its list (i_mmap_count 2), 1 PTE maps this frame$' "$T/out" &&
		grep -q "^pagecache: the tree of $data holds this page at index 0\$" "$T/out" &&
			ok "$mode: page of a cached frame: its file and index, its mapper through i_mmap, the tree" ||
			bad "$mode: page $pfn0: $(cat "$T/out" "$T/err")"
		run "$P" pagemap 1 "$sh"
		grep -q "^$shx [0-9a-f]* present pfn=$pfn0 .*file\$" "$T/out" &&
			ok "$mode: pagemap marks the file page: $(cat "$T/out")" || bad "$mode: pagemap of a file page: $(cat "$T/out")"
	else
		bad "$mode: files $data gave no frame for index 0"
	fi
	run "$P" pagemap 1 $((pr + 2 * 4096))
	grep -q ' present pfn=0x[0-9a-f]* soft-dirty exclusive$' "$T/out" &&
		ok "$mode: pagemap: the private mapping's copy is anonymous, not file" || bad "$mode: pagemap of the copy: $(cat "$T/out")"

	run "$P" meminfo
	grep -Eq "^Cached: +$((cached * 4)) kB\$" "$T/out" && grep -Eq '^Dirty: +8 kB$' "$T/out" &&
	grep -Eq '^Writeback: +0 kB$' "$T/out" && grep -Eq '^Mapped: +[1-9][0-9]* kB$' "$T/out" &&
	grep -Eq "^Inactive\\(file\\): +[0-9]+ kB\$" "$T/out" && meminfo_sums "$T/out" &&
	[ "$(awk '/^(Active|Inactive)\(file\):/ { s += $2 } END { print s + 0 }' "$T/out")" -eq $((cached * 4)) ] &&
		ok "$mode: meminfo: Cached $((cached * 4)) kB, Dirty 8 kB, Mapped, the file lists" ||
		bad "$mode: meminfo with a file cached: $(cat "$T/out")"
	run "$P" lru
	[ "$(awk '$2 ~ /_file$/ { s += $3 } END { print s + 0 }' "$T/out")" = "$cached" ] &&
		ok "$mode: lru: the $cached cached pages on the file lists" || bad "$mode: lru: $(cat "$T/out")"
	run "$P" map
	[ "$(awk '$1 == "file" { print $2 }' "$T/out")" = "$cached" ] &&
		ok "$mode: map counts the $cached cached frames as file" || bad "$mode: map: $(head -12 "$T/out")"
	run "$P" map --svg "$T/m-$mode.svg"
	err=$(svg_ok "$T/m-$mode.svg" "$(($(stat -c %s "$P") / 4096))" "Page cache" "pages of mapped files" \
		"pfn $pfn0: page cache, page 0 of $data" 2>&1) && [ "$rc" -eq 0 ] &&
		ok "$mode: map --svg: the page cache in the legend, a cached frame's tooltip names its file" ||
		bad "$mode: map --svg with a file cached: exit $rc: $err"
	run "$P" check
	[ "$rc" -eq 0 ] && ok "$mode: check of the copy: $(tail -1 "$T/out")" ||
		bad "$mode: check of the file-mapping guest's copy: exit $rc: $(head -c 600 "$T/out")"
	if command -v python3 >/dev/null; then
		for v in files "files $data" "page $pfn0" "maps 1" "smaps 1" ps; do
			run "$P" $v --json
			if [ "$rc" -eq 0 ] && python3 -m json.tool "$T/out" >/dev/null 2>"$T/jerr"; then
				ok "$mode: $v --json is valid JSON"
			else
				bad "$mode: $v --json: exit $rc: $(head -c 300 "$T/jerr") $(head -c 300 "$T/err")"
			fi
		done
		run "$P" files "$data" --json
		python3 -c 'import json,sys; f=json.load(open(sys.argv[1]))["files"][0]; assert f["path"]==sys.argv[2] and f["inode"]==int(sys.argv[3]) and f["dirty"]==2 and len(f["pages"])==f["cached"]==int(sys.argv[4]) and f["pages"][0]["index"]==0 and "dirty" in f["pages"][0]["flag_names"] and len(f["vmas"])==2' "$T/out" "$data" "$ino" "$cached" 2>/dev/null &&
			ok "$mode: files PATH --json: the file, its pages, its VMAs" || bad "$mode: files PATH --json: $(head -c 400 "$T/out")"
		run "$P" page "$pfn0" --json
		python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["state"]=="file" and d["path"]==sys.argv[2] and d["in_tree"] and len(d["mapped_by"])==1 and d["lru"].endswith("_file")' "$T/out" "$data" 2>/dev/null &&
			ok "$mode: page --json of a cached frame" || bad "$mode: page --json of a cached frame: $(head -c 400 "$T/out")"
	fi

	rm -f "$T/hold"
	wait "$GUEST_PID"
	rc=$?
	GUEST_PID=
	[ "$rc" -eq 0 ] && ok "$mode: the file-mapping guest exited 0 (it read its own writes back)" ||
		bad "$mode: file-mapping guest exit $rc: $(head -c 300 "$T/mguest.err")"
	[ "$(head -c 1 "$data")" = X ] && [ "$(tail -c +$((6 * 4096 + 1)) "$data" | head -c 1)" = g ] &&
		ok "$mode: the shared write reached the file, the private one did not" ||
		bad "$mode: the file after the guest: $(od -An -c -N 1 "$data") $(od -An -c -j $((6 * 4096)) -N 1 "$data")"
	expect 0 "$mode: check of the kept machine after the file guest" "$name" check
	rm -f "/dev/shm/vm-$name.ram"

	[ -n "$pfn0" ] && file_damaged "$mode" "$P" "$data" "$ino" "$pfn0" "$cached" "$sh"
}

# no_crash_file FILE DESC PATH PFN: the page cache's views end by exit(),
# in time.
no_crash_file() {
	local file=$1 desc=$2 path=$3 pfn=$4 v
	for v in files "files $path" "files --json" "files $path --json" "page $pfn" "page $pfn --json" \
		 "maps 1" "smaps 1" check "map --svg $T/damaged.svg"; do
		run "$file" $v
		if [ "$rc" -ge 124 ]; then
			bad "$desc: vmdump $v died or hung (exit $rc)"
			return
		fi
	done
	ok "$desc: no page-cache view crashed or hung"
}

# file_damaged MODE P DATA INO PFN0 CACHED SH: copies of the file-mapping
# guest's machine with its page cache damaged: check names each
# violation and exits 1; the views still end.
file_damaged() {
	local mode=$1 P=$2 data=$3 ino=$4 pfn0=$5 cached=$6 sh=$7
	local as asx rnode memmap free_pfn last vma o
	"$VMDUMP" "$P" offsets >"$T/moffsets" || { bad "$mode: offsets of the file guest's machine"; return; }
	moff() { awk -v want="$*" '{ v = $NF; $NF = ""; sub(/ $/, ""); if ($0 == want) print v }' "$T/moffsets"; }
	mpeek() { od -An -tu4 -j $(($2)) -N4 "$1" | tr -d ' '; }
	as=$(awk -v ino="$ino" '$1 == "file" && $2 == "inode" && $3 == ino { print $4 }' "$T/moffsets")
	memmap=$(awk '$1 == "mem_map" { print $2 }' "$T/moffsets")
	if [ -z "$as" ] || [ -z "$memmap" ]; then
		bad "$mode: offsets names no address_space for inode $ino"
		return
	fi
	asx=$(printf '%#x' "$as")
	rnode=$(mpeek "$P" $((as + $(moff address_space rnode))))
	vma=$(mpeek "$P" $((as + $(moff address_space i_mmap))))
	free_pfn=0
	for o in 10 9 8 7 6 5 4 3 2 1 0; do
		free_pfn=$(mpeek "$P" "$(moff zone Normal free_area $o free_list)")
		[ "$free_pfn" -gt 0 ] && break
	done
	last=$(awk -v i=$((cached - 1)) '$1 == i && $2 ~ /^0x/ { print $2 }' "$T/mfile")

	cp "$P" "$T/md-nrpages"
	poke32 "$T/md-nrpages" $((as + $(moff address_space nrpages))) $((cached + 3))
	run "$T/md-nrpages" check
	[ "$rc" -eq 1 ] &&
		grep -q "^file $asx ($data): nrpages $((cached + 3)) nrdirty 2 nrwriteback 0, its tree holds $cached pages, 2 tagged dirty, 0 writeback\$" "$T/out" &&
		grep -q "^node: nr_file_pages $cached, the files' nrpages add up to $((cached + 3))\$" "$T/out" &&
		ok "$mode: check: a file's nrpages against its tree and NR_FILE_PAGES" ||
		bad "$mode: check on a wrong nrpages: exit $rc: $(head -c 600 "$T/out")"

	if [ -n "$last" ] && [ "$free_pfn" -gt 0 ]; then
		cp "$P" "$T/md-slot"
		poke32 "$T/md-slot" $((rnode + $(moff radix_tree_node slots) + (cached - 1) * 4)) "$free_pfn"
		run "$T/md-slot" check
		[ "$rc" -eq 1 ] &&
			grep -q "^file $asx ($data): index $(printf '%#x' $((cached - 1))): pfn $(printf '%#x' "$free_pfn") is not an allocated page" "$T/out" &&
			grep -q "^pfn $last: mapping names file $asx (index $(printf '%#x' $((cached - 1)))), whose tree does not hold it\$" "$T/out" &&
			ok "$mode: check: a tree slot holding a free frame, and the page it lost" ||
			bad "$mode: check on a tree slot onto a free frame: exit $rc: $(head -c 600 "$T/out")"
		no_crash_file "$T/md-slot" "$mode: a tree slot onto a free frame" "$data" "$pfn0"
	else
		bad "$mode: no free frame or last cached page to damage the tree with"
	fi

	cp "$P" "$T/md-tag"
	o=$((rnode + $(moff radix_tree_node tags)))
	poke32 "$T/md-tag" "$o" $(($(mpeek "$P" "$o") & ~2))
	run "$T/md-tag" check
	[ "$rc" -eq 1 ] && grep -q "^file $asx ($data): index 0x1: pfn 0x[0-9a-f]* has PG_dirty set, but its dirty tag is clear\$" "$T/out" &&
		grep -q "its tree holds $cached pages, 1 tagged dirty, 0 writeback\$" "$T/out" &&
		ok "$mode: check: a dirty page whose dirty tag is gone" || bad "$mode: check on a lost dirty tag: exit $rc: $(head -c 600 "$T/out")"

	cp "$P" "$T/md-parent"
	poke32 "$T/md-parent" $((rnode + $(moff radix_tree_node parent))) 0x1234560
	run "$T/md-parent" check
	[ "$rc" -eq 1 ] &&
		grep -q "^file $asx ($data): tree node $(printf '%#x' "$rnode"): shift 0 parent 0x1234560 offset 0, expected shift 0 parent 0 offset 0\$" "$T/out" &&
		ok "$mode: check: a tree node whose parent link is wrong" || bad "$mode: check on a node's parent: exit $rc: $(head -c 600 "$T/out")"

	cp "$P" "$T/md-ref"
	poke32 "$T/md-ref" $((memmap + pfn0 * 32 + $(moff page _refcount))) 1
	run "$T/md-ref" check
	[ "$rc" -eq 1 ] && grep -q "^pfn $pfn0: in the page cache with refcount 1, fewer than the 1 user PTE that map it and the cache\$" "$T/out" &&
		ok "$mode: check: a mapped cached page without the cache's reference" || bad "$mode: check on a cached page's refcount: exit $rc: $(head -c 600 "$T/out")"

	cp "$P" "$T/md-index"
	poke32 "$T/md-index" $((memmap + pfn0 * 32 + $(moff page index))) 5
	run "$T/md-index" check
	[ "$rc" -eq 1 ] && grep -q "^file $asx ($data): index 0: pfn $pfn0 has mapping $asx index 0x5, expected $asx index 0\$" "$T/out" &&
		grep -q "(pid 1): va $(printf '%08x' "$sh"): file pfn $pfn0 has mapping $asx index 0x5, expected $asx index 0 " "$T/out" &&
		ok "$mode: check: a cached page naming another index, from the tree and from its PTE" ||
		bad "$mode: check on a cached page's index: exit $rc: $(head -c 600 "$T/out")"
	run "$T/md-index" files "$data"
	grep -Eq "^ +0 +$pfn0 .* \\(but the page names mapping [0-9a-f]{8} index 5\\)\$" "$T/out" &&
		ok "$mode: files PATH shows what the page says" || bad "$mode: files with a page's index wrong: $(cat "$T/out")"

	cp "$P" "$T/md-lru"
	o=$((memmap + pfn0 * 32 + $(moff page flags)))
	poke32 "$T/md-lru" "$o" $(($(mpeek "$P" "$o") | 1 << 14))
	run "$T/md-lru" check
	[ "$rc" -eq 1 ] && grep -q "^pfn $pfn0: on zone [A-Za-z]* [a-z]*_file list but PG_swapbacked set (flags 0x[0-9a-f]*): an anonymous page\$" "$T/out" &&
		grep -q "^file $asx ($data): index 0: pfn $pfn0 carries PG_swapbacked, which no page-cache page does" "$T/out" &&
		ok "$mode: check: PG_swapbacked on a cached page on a file list" || bad "$mode: check on PG_swapbacked on a file page: exit $rc: $(head -c 600 "$T/out")"

	cp "$P" "$T/md-immap"
	poke32 "$T/md-immap" $((vma + $(moff vm_area_struct shared_next))) "$vma"
	run "$T/md-immap" check
	[ "$rc" -eq 1 ] && grep -q "^file $asx ($data): i_mmap list goes round (VMA $(printf '%#x' "$vma") met again after 1)\$" "$T/out" &&
		ok "$mode: check: an i_mmap list that loops" || bad "$mode: check on a looping i_mmap list: exit $rc: $(head -c 600 "$T/out")"
	run "$T/md-immap" files "$data"
	[ "$rc" -eq 0 ] && grep -q '^i_mmap: the i_mmap list goes round' "$T/out" &&
		ok "$mode: files PATH through a looping i_mmap list ends" || bad "$mode: files with a looping i_mmap: exit $rc: $(cat "$T/out")"
	no_crash_file "$T/md-immap" "$mode: a looping i_mmap list" "$data" "$pfn0"

	cp "$P" "$T/md-unlinked"
	poke32 "$T/md-unlinked" $((as + $(moff address_space i_mmap))) "$(mpeek "$P" $((vma + $(moff vm_area_struct shared_next))))"
	run "$T/md-unlinked" check
	[ "$rc" -eq 1 ] && grep -q "^mm 0x[0-9a-f]* (pid 1): VMA [0-9a-f-]* maps file $asx but is not on its i_mmap list\$" "$T/out" &&
		ok "$mode: check: a file VMA missing from its i_mmap list" || bad "$mode: check on a VMA off i_mmap: exit $rc: $(head -c 600 "$T/out")"

	# fewer than the list holds (more would be a pin of a live process)
	cp "$P" "$T/md-count"
	poke32 "$T/md-count" $((as + $(moff address_space i_mmap_count))) 1
	run "$T/md-count" check
	[ "$rc" -eq 1 ] && grep -q "^file $asx ($data): i_mmap_count 1, its i_mmap list holds 2 VMAs\$" "$T/out" &&
		ok "$mode: check: i_mmap_count below the VMAs on the list" || bad "$mode: check on i_mmap_count: exit $rc: $(head -c 600 "$T/out")"

	cp "$P" "$T/md-mapped"
	poke32 "$T/md-mapped" $(($(awk '$1 == "node" && $2 == "vm_stat" && NF == 3 { print $3 }' "$T/moffsets") + 8 * $(moff node vm_stat nr_mapped))) 99
	run "$T/md-mapped" check
	[ "$rc" -eq 1 ] && grep -q '^node: nr_mapped 99, [0-9]* page-cache pages are mapped$' "$T/out" &&
		ok "$mode: check: nr_mapped against the mapped cached pages" || bad "$mode: check on nr_mapped: exit $rc: $(head -c 600 "$T/out")"

	cp "$P" "$T/md-rnode"
	poke32 "$T/md-rnode" $((as + $(moff address_space rnode))) 0xfffff000
	run "$T/md-rnode" check
	[ "$rc" -eq 1 ] && grep -q "^file $asx ($data): its tree's top node at pa 0xfffff000 lies outside lowmem or is misaligned\$" "$T/out" &&
		ok "$mode: check: a tree whose top node lies outside RAM" || bad "$mode: check on a bad rnode: exit $rc: $(head -c 600 "$T/out")"
	run "$T/md-rnode" files "$data"
	[ "$rc" -eq 0 ] && grep -q '^the tree links outside lowmem: pages beyond that not shown$' "$T/out" &&
		ok "$mode: files PATH of a tree outside RAM says so" || bad "$mode: files with a bad rnode: exit $rc: $(cat "$T/out")"
	no_crash_file "$T/md-rnode" "$mode: a tree outside RAM" "$data" "$pfn0"

	cp "$P" "$T/md-garbage"
	dd if=/dev/urandom of="$T/md-garbage" bs=1 seek=$((rnode)) count=280 conv=notrunc status=none
	run "$T/md-garbage" check
	[ "$rc" -eq 1 ] && grep -Eq '^check: [0-9]+ violations$' "$T/out" &&
		ok "$mode: check: a tree node full of garbage: $(tail -1 "$T/out")" || bad "$mode: check on a garbage tree node: exit $rc"
	no_crash_file "$T/md-garbage" "$mode: a garbage tree node" "$data" "$pfn0"

	cp "$P" "$T/md-as"
	dd if=/dev/urandom of="$T/md-as" bs=1 seek=$((as)) count=200 conv=notrunc status=none
	run "$T/md-as" check
	[ "$rc" -eq 1 ] && ok "$mode: check: an address_space full of garbage: $(tail -1 "$T/out")" ||
		bad "$mode: check on a garbage address_space: exit $rc"
	no_crash_file "$T/md-as" "$mode: a garbage address_space" "$data" "$pfn0"
}

if [ -n "$GUEST" ]; then
	guest_views i386
	guest_views pae
	swap_views i386
	swap_views pae
fi
if [ -n "$FGUEST" ]; then
	fork_views i386
	fork_views pae
fi
if [ -n "$MGUEST" ]; then
	file_views i386
	file_views pae
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
