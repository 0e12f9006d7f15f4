#!/bin/bash
# test_filemap.sh - mappings of host files under vmrun, in both paging
# modes (i386, pae): every mode of guests/mmapf (after the Pintos/KAIST
# mmap tests: read, write, close, unmap, overlap, twice, exit, shuffle,
# clean, remove, off, ro, bad-fd, zero, lazy-file, swap-file; and SIGBUS
# past the end of the file, MAP_PRIVATE copies under pressure, two guests
# sharing one page cache, the flusher, MADV_DONTNEED, 300 files at once,
# 200 files made and removed in turn, the host's own writes and
# truncation) on a 32 MiB machine. Every mode is
# first run natively (mmapf --native: the host kernel's mmap), so what the
# guests expect is Linux's own behaviour; then under vmrun, where each run
# must exit as natively (0; 135 for a guest that dies by SIGBUS, 139 by
# SIGSEGV) with no FAIL line, end with vmrun's check ok and every frame
# free as at boot (the page cache written back and dropped at the stop),
# leave no process behind and pass vmdump check on the machine it kept.
# The files live in a temporary directory removed at the end. Each run is
# bounded by timeout, so a deadlock fails the test. Prints one "ok"/"FAIL"
# line per check and "N passed, N failed"; exits 1 on any failure, 77
# when the programs are not built.
#
# Environment: VMRUN, VMDUMP, MMAPF override the binaries; MODES the
# paging modes (default "i386 pae").

. "$(dirname "$0")/common.bash"
MMAPF=${MMAPF:-$TOP/guests/mmapf}
# In a SANITIZE=1 build the modes that expect a death by SIGSEGV or
# SIGBUS must get it, not AddressSanitizer's report; and a guest that
# returns from main on purpose leaves its host buffers to exit.
export ASAN_OPTIONS=${ASAN_OPTIONS:-handle_segv=0:handle_sigbus=0:detect_leaks=0}
MODES=${MODES:-i386 pae}
NAME=tfm$$			# every machine is /dev/shm/vm-$NAME-N.{ram,swap}
RAM=32				# MiB of every machine
T=$(mktemp -d "${TMPDIR:-/tmp}/test-filemap.XXXXXX") || exit 1
D=$T/files			# the guests' files
mkdir "$D" || exit 1
runs=0

cleanup() {
	rm -rf "$T"
	rm -f /dev/shm/vm-$NAME-*.ram /dev/shm/vm-$NAME-*.swap
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

need_built "$VMRUN" "$VMDUMP" "$MMAPF"

# why: what went wrong, for a FAIL line: the guests' FAIL lines, vmrun's.
why() {
	{ grep -aE '^ *FAIL' "$T/out"; grep -v '^vmrun: /dev/shm' "$T/err"; } | head -6 | tr '\n' ' '
}

# stat NAME: a counter of vmdump vmstat on the kept machine ($T/vmstat), 0
# when it has none.
stat() { awk -v k="$1" '$1 == k { v = $2 } END { print v + 0 }' "$T/vmstat"; }

# expect_status RC DESC: the guest's exit status, as natively.
status_desc() {
	case $1 in
	0)	echo "exit 0" ;;
	135)	echo "SIGBUS (135)" ;;
	139)	echo "SIGSEGV (139)" ;;
	*)	echo "exit $1" ;;
	esac
}

# native WANT MODE ARGS...: the mode on the host kernel: exit WANT, no FAIL.
native() {
	local want=$1 mode=$2 rc
	shift 2
	# the group's stderr takes this shell's note of a death by signal
	{ timeout -k 5 60 "$MMAPF" --native "$mode" "$@" >"$T/out" 2>"$T/err"; } 2>/dev/null
	rc=$?
	if [ "$rc" -ne "$want" ]; then
		bad "native $mode: $(status_desc $rc), want $(status_desc "$want"): $(why)"
	elif grep -aqE '^ *FAIL' "$T/out"; then
		bad "native $mode: a FAIL line: $(why)"
	else
		ok "native $mode: $(status_desc $rc), $(grep -ac '^ *ok ' "$T/out") checks"
	fi
}

# run PAGING LIMIT WANT DESC VMRUN-OPTS -- MMAPF-ARGS...: one kept machine
# of RAM MiB, LIMIT seconds at most; must exit WANT with no FAIL line,
# then its summary and the kept machine are checked. Sets rc.
run() {
	local paging=$1 limit=$2 want=$3 desc="$1 $4" t0 secs
	shift 4
	runs=$((runs + 1))
	name=$NAME-$runs
	t0=$(date +%s.%N)
	timeout -k 5 "$limit" "$VMRUN" --mode "$paging" --ram ${RAM}M --name "$name" --keep \
		"$@" >"$T/out" 2>"$T/err"
	rc=$?
	secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
	if [ "$rc" -eq 124 ] || { [ "$rc" -eq 137 ] && ! grep -q 'frames free' "$T/err"; }; then
		bad "$desc: still running after $limit s (deadlock?): $(why)"
	elif [ "$rc" -ne "$want" ]; then
		bad "$desc: $(status_desc $rc), want $(status_desc "$want") ($secs s): $(why)"
	elif grep -aqE '^ *FAIL' "$T/out"; then
		bad "$desc: $(status_desc $rc) but a guest failed a check: $(why)"
	else
		ok "$desc: $(status_desc $rc), $(grep -ac '^ *ok ' "$T/out") checks ($secs s)"
	fi
	machine_ok "$desc"
	kept_ok "$desc"
}

# in_log DESC REGEX: the kept machine's kernel log has a line matching.
in_log() {
	local line
	line=$(grep -E "$2" "$T/dmesg" | head -1)
	if [ -n "$line" ]; then
		ok "$1: kernel log: ${line#\[*\] }"
	else
		bad "$1: no kernel log line like '$2': $(tail -3 "$T/dmesg" | tr '\n' ' ')"
	fi
}

# majflt_ok DESC: vmrun's summary and vmstat count major faults and file reads.
majflt_ok() {
	local m
	m=$(sed -nE 's/^vmrun: pid 1 .*, majflt ([0-9]+),.*/\1/p' "$T/err" | head -1)
	if [ "${m:-0}" -gt 0 ] && [ "$(stat pgmajfault)" -gt 0 ] && [ "$(stat pgpgin)" -gt 0 ]; then
		ok "$1: major faults: summary majflt $m, vmstat pgmajfault $(stat pgmajfault)," \
		   "pgpgin $(stat pgpgin)"
	else
		bad "$1: summary majflt ${m:-none}, vmstat pgmajfault $(stat pgmajfault)," \
		    "pgpgin $(stat pgpgin); want all > 0"
	fi
}

# Modes that take only DIR and exit 0.
SIMPLE="mmap-read mmap-write mmap-close mmap-unmap mmap-overlap mmap-twice mmap-exit mmap-clean
	mmap-remove mmap-off mmap-ro mmap-bad-fd mmap-zero mmap-eof mmap-dontneed mmap-many
	mmap-reopen mmap-churn lazy-file share-fork"

echo "# natively: the host kernel's behaviour, which the guests expect"
for m in $SIMPLE; do
	native 0 "$m" "$D"
done
native 0 mmap-truncate "$D"
native 0 mmap-shuffle "$D" 48
native 0 swap-file "$D"
native 0 private "$D" 48
native 0 flusher "$D"
native 135 sigbus "$D"
native 139 segv "$D"
native 0 exit-main "$D"
native 0 verify "$D/exit-main.dat" 81 2 16
rm -f "$D/exit-main.dat"
timeout -k 5 60 "$MMAPF" --native share "$D/share-native" 1 >"$T/out1" 2>&1 &
s1=$!
timeout -k 5 60 "$MMAPF" --native share "$D/share-native" 2 >"$T/out2" 2>&1
r2=$?
wait $s1
r1=$?
if [ $r1 -eq 0 ] && [ $r2 -eq 0 ] && ! grep -aqE '^ *FAIL' "$T/out1" "$T/out2"; then
	ok "native share: two processes, exit 0"
else
	bad "native share: exit $r1 and $r2: $(grep -ahE '^ *FAIL' "$T/out1" "$T/out2" | head -3)"
fi

for p in $MODES; do
	echo "# --mode $p, $RAM MiB RAM"
	for m in $SIMPLE; do
		run "$p" 30 0 "$m" -- "$MMAPF" "$m" "$D"
		case $m in
		mmap-read|lazy-file) majflt_ok "$p $m" ;;
		esac
	done
	# the machine sees a file cut short behind its cache at the next mmap
	# only (include/vm/fs.h): no SIGBUS on the cut pages still mapped,
	# but their writeback must not grow the file again
	run "$p" 30 0 "mmap-truncate" -- "$MMAPF" mmap-truncate "$D" nosigbus
	# past RAM: reclaim writes dirty file pages back (no swap at all)
	run "$p" 60 0 "mmap-shuffle 48 (1.5x RAM, no swap)" -- "$MMAPF" mmap-shuffle "$D" 48
	[ "$(stat nr_written)" -gt 0 ] && ok "$p mmap-shuffle: vmstat nr_written $(stat nr_written)" ||
		bad "$p mmap-shuffle: vmstat nr_written $(stat nr_written), want > 0"
	run "$p" 60 0 "swap-file 12 + 48 anon" --swap 64M -- "$MMAPF" swap-file "$D" 12 48
	run "$p" 60 0 "private 48 (1.5x RAM)" --swap 96M -- "$MMAPF" private "$D" 48 swap
	[ "$(stat pswpout)" -gt 0 ] && ok "$p private: vmstat pswpout $(stat pswpout)" ||
		bad "$p private: vmstat pswpout $(stat pswpout), want > 0"
	run "$p" 60 0 "share, two guests" --guests 2 -- "$MMAPF" share "$D/share-$p"
	[ "$(grep -ac 'each saw the other' "$T/out")" -eq 2 ] &&
		ok "$p share: both guests saw each other's rounds" ||
		bad "$p share: want both guests' lines: $(grep -a '^share' "$T/out" | tr '\n' ' ')"
	run "$p" 30 0 "flusher, --dirty-expire 200" --dirty-expire 200 -- "$MMAPF" flusher "$D" 10
	# new files taken hold of while the flusher sweeps every 10 ms
	run "$p" 60 0 "mmap-churn, 3 guests, --dirty-expire 10" --guests 3 --dirty-expire 10 \
		-- "$MMAPF" mmap-churn "$D"
	run "$p" 30 135 "sigbus: a read past the end of the file" -- "$MMAPF" sigbus "$D"
	run "$p" 30 139 "segv: a read after munmap" -- "$MMAPF" segv "$D"
	in_log "$p segv" 'segfault at '
	run "$p" 30 0 "exit-main: return from main without munmap" -- "$MMAPF" exit-main "$D"
	"$MMAPF" verify "$D/exit-main.dat" 81 2 16 >"$T/out" 2>&1 &&
		ok "$p exit-main: the file holds the writes" ||
		bad "$p exit-main: the file: $(grep -a FAIL "$T/out")"
	rm -f "$D/exit-main.dat"
	run "$p" 30 0 "exit-main: vm_exit without munmap" -- "$MMAPF" exit-main "$D" vm_exit
	"$MMAPF" verify "$D/exit-main.dat" 81 2 16 >"$T/out" 2>&1 &&
		ok "$p exit-main vm_exit: the file holds the writes" ||
		bad "$p exit-main vm_exit: the file: $(grep -a FAIL "$T/out")"
	rm -f "$D/exit-main.dat"
done

ls /dev/shm | grep -q "^vm-$NAME" && bad "files left in /dev/shm" || ok "no files left in /dev/shm"
left=$(ls "$D" | grep -v '^share-' | tr '\n' ' ')
[ -z "$left" ] && ok "the guests removed every file they made" || bad "files left in $D: $left"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
