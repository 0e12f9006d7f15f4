#!/bin/bash
# test_image.sh - program images run from emulated RAM (guests/runimg,
# include/vm/image.h), in both paging modes (i386, pae): the images in
# guests/image/ print what they should and exit with the status they
# should; their pages come from their files through the page cache (major
# faults, as the image's own counters and vmrun's summary say); on a kept
# machine, vmdump's maps of the live guest show the image's file mapped
# r-xp, and vmdump check passes once it is gone; runimg refuses what it
# cannot run (other relocations, a program needing ld.so, no ELF) with a
# message that names the reason; and, where this host lets the test mount
# a noexec tmpfs over /dev/shm in a mount namespace of its own, a machine
# whose RAM file cannot be mapped executable gets runimg's message about
# it. After every run vmrun's own check must say ok and every frame must
# be free again, and no process or RAM file may be left.
# Prints one "ok"/"FAIL" line per check and "N passed, N failed"; exits 1
# on any failure, 77 when the programs are not built.
#
# Environment: VMRUN, VMDUMP, RUNIMG override the binaries.

. "$(dirname "$0")/common.bash"
RUNIMG=${RUNIMG:-$TOP/guests/runimg}
IMG=$TOP/guests/image
NAME=ti$$			# every machine is /dev/shm/vm-$NAME-N.ram
T=$(mktemp -d "${TMPDIR:-/tmp}/test-image.XXXXXX") || exit 1
runs=0

cleanup() {
	rm -rf "$T"
	rm -f /dev/shm/vm-$NAME-*.ram /dev/shm/vm-$NAME-*.swap
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

need_built "$VMRUN" "$VMDUMP" "$RUNIMG" "$IMG/hello" "$IMG/sieve" "$IMG/ifunc"

# vmrun_image PAGING VMRUN-OPTS... -- RUNIMG-ARGS...: one machine, one
# minute at most; sets name, rc; output in $T/out, $T/err.
vmrun_image() {
	local paging=$1
	shift
	runs=$((runs + 1))
	name=$NAME-$runs
	timeout -k 5 60 "$VMRUN" --mode "$paging" --name "$name" "$@" >"$T/out" 2>"$T/err"
	rc=$?
}

why() {
	{ grep -E '^ *FAIL' "$T/out"; grep -v '^vmrun: ' "$T/err"; } | head -5 | tr '\n' ' '
}

# gone DESC: the machine $name left no RAM file and no process behind.
gone() {
	local f=/dev/shm/vm-$name.ram users
	users=$(grep -ls -F "$f" /proc/[0-9]*/maps | cut -d/ -f3 | tr '\n' ' ')
	if [ -e "$f" ] || [ -n "$users" ]; then
		bad "$1: left behind: $(ls "$f" 2>/dev/null) ${users:+processes $users}"
		rm -f "$f"
	else
		ok "$1: no RAM file or process left"
	fi
}

# majflt DESC WHAT: the image's own count (its "majflt N") and vmrun's
# summary line for guest 1 both show major faults: pages read from the file.
majflt() {
	local desc=$1 own sum
	own=$(sed -nE 's/.*majflt ([0-9]+).*/\1/p' "$T/out" | tail -1)
	sum=$(sed -nE 's/^vmrun: pid 1 \(runimg\):.* majflt ([0-9]+),.*/\1/p' "$T/err")
	if [ "${own:-0}" -gt 0 ] && [ "${sum:-0}" -gt 0 ]; then
		ok "$desc: faulted from the file: majflt $own by the image's count, $sum in vmrun's"
	else
		bad "$desc: no major faults: the image counts ${own:-none}, vmrun ${sum:-none}"
	fi
}

# refused PAGING DESC WANT-RC PATTERN RUNIMG-ARGS...: runimg must not run
# the image: exit WANT-RC with PATTERN in its message.
refused() {
	local paging=$1 desc=$2 want=$3 pat=$4
	shift 4
	vmrun_image "$paging" -- "$RUNIMG" "$@"
	if [ "$rc" -eq "$want" ] && grep -Eq "^runimg: .*$pat" "$T/err" && ! [ -s "$T/out" ]; then
		ok "$paging $desc: exit $rc: $(grep -E '^runimg: ' "$T/err" | head -1 | cut -c1-150)"
	else
		bad "$paging $desc: exit $rc, want $want and '$pat': $(why)"
	fi
	machine_ok "$paging $desc"
	gone "$paging $desc"
}

# crashes PAGING HOW ADDR-FROM ERR: hello's "crash HOW" must die of SIGSEGV
# (139) with Linux's log line for the fault: at the address of its text
# or data (ADDR-FROM: which hello line gives it), ip in its text or at that
# address, error code ERR; its kept machine must pass vmdump check.
crashes() {
	local paging=$1 how=$2 from=$3 err=$4 addr line
	vmrun_image "$paging" --keep -- "$RUNIMG" "$IMG/hello" crash "$how"
	addr=$(sed -nE "s/^hello from an image: .*$from at 0x([0-9a-f]+),.*/\1/p" "$T/out")
	timeout 30 "$VMDUMP" "$name" dmesg >"$T/dmesg" 2>&1
	line=$(grep -E 'segfault at' "$T/dmesg" | tail -1)
	line=${line#\[*\] }
	if [ "$rc" -eq 139 ] && [ -n "$addr" ] && ! grep -q 'still alive' "$T/out" &&
	   grep -Eq "^runimg\[1\]: segfault at $addr ip 0*8[0-9a-f]{6} sp 0*b[0-9a-f]{7} error $err\$" <<<"$line"; then
		ok "$paging crash $how: exit 139, log: $line"
	else
		bad "$paging crash $how: exit $rc, log: ${line:-no segfault line}; want runimg[1]: segfault at ${addr:-?} ... error $err"
	fi
	machine_ok "$paging crash $how"
	kept_ok "$paging crash $how"
}

for m in i386 pae; do
	# A write to the image's text, and a jump into its data: the fault
	# handler decodes both (error 7; 15 or 14, the instruction-fetch bit).
	crashes "$m" write text 7
	crashes "$m" exec data '1[45]'

	# hello: arguments in, an exit status out, text at 0x0804xxxx.
	vmrun_image "$m" -- "$RUNIMG" "$IMG/hello" one two exit 3
	if [ "$rc" -eq 3 ] && grep -q '^hello from an image: text at 0x804[89a-f][0-9a-f]\{3\},' "$T/out" &&
	   grep -q '^argv\[0\] = .*/image/hello$' "$T/out" && grep -q '^argv\[2\] = two$' "$T/out" &&
	   grep -q '^hello: calls 2,' "$T/out"; then
		ok "$m hello: exit 3, $(head -1 "$T/out")"
	else
		bad "$m hello: exit $rc, want 3 and its lines: $(head -3 "$T/out" | tr '\n' ' ') $(why)"
	fi
	majflt "$m hello"
	machine_ok "$m hello"
	gone "$m hello"

	# sieve: text a page per function, data copied on write, an 8 MiB
	# bss, a heap and a deep stack, each checked by the image itself.
	vmrun_image "$m" -- "$RUNIMG" "$IMG/sieve"
	n=$(grep -c '^ok ' "$T/out")
	if [ "$rc" -eq 0 ] && [ "$n" -ge 10 ] && ! grep -q '^FAIL' "$T/out" &&
	   grep -q '^bss: 564163 primes below 8388608$' "$T/out"; then
		ok "$m sieve: exit 0, $n checks in the image, $(grep '^bss: ' "$T/out" | tail -1)"
	else
		bad "$m sieve: exit $rc, $n checks: $(why)"
	fi
	majflt "$m sieve"
	machine_ok "$m sieve"
	gone "$m sieve"

	# The live guest, seen by vmdump: the image's file mapped r-xp.
	runs=$((runs + 1))
	name=$NAME-$runs
	coproc LIVE { exec timeout -k 5 60 "$VMRUN" --mode "$m" --name "$name" --keep \
		-- "$RUNIMG" "$IMG/sieve" --wait 2>"$T/err"; }
	lpid=$LIVE_PID
	exec {rfd}<&"${LIVE[0]}" {wfd}>&"${LIVE[1]}"
	: >"$T/out"
	while read -r -t 30 -u "$rfd" line; do
		echo "$line" >>"$T/out"
		[ "$line" = ready ] && break
	done
	if [ "$line" = ready ]; then
		timeout 30 "$VMDUMP" "$name" maps 1 >"$T/maps" 2>&1
		text=$(grep -E '^0804[0-9a-f]{4}-[0-9a-f]{8} r-xp .*/image/sieve$' "$T/maps")
		data=$(grep -cE '^080[4-8][0-9a-f]{4}-[0-9a-f]{8} rw-p .*/image/sieve$' "$T/maps")
		if [ -n "$text" ] && [ "$data" -ge 1 ]; then
			ok "$m sieve live: vmdump maps 1: $text"
		else
			bad "$m sieve live: vmdump maps 1 shows no r-xp and rw-p of the image: $(head -8 "$T/maps" | tr '\n' ' ')"
		fi
	else
		bad "$m sieve live: the image never said ready: $(tail -3 "$T/out" | tr '\n' ' ') $(tail -3 "$T/err" | tr '\n' ' ')"
	fi
	echo >&"$wfd"
	while read -r -t 30 -u "$rfd" line; do
		echo "$line" >>"$T/out"
	done
	exec {rfd}<&- {wfd}>&-
	wait "$lpid"
	rc=$?
	[ "$rc" -eq 0 ] && ! grep -q '^FAIL' "$T/out" && ok "$m sieve live: exit 0" ||
		bad "$m sieve live: exit $rc: $(why)"
	machine_ok "$m sieve live"
	kept_ok "$m sieve live"

	# What runimg must refuse, by name.
	refused "$m" "ifunc image" 126 'relocation R_X86_64_IRELATIVE .*only R_X86_64_RELATIVE' \
		"$IMG/ifunc"
	refused "$m" "a dynamically linked program" 126 'dynamically linked' "$TOP/guests/hello"
	refused "$m" "not an ELF" 126 'not an ELF file' "$IMG/hello.c"
	refused "$m" "no such image" 127 'No such file' "$T/none"
done

# A RAM file on a noexec mount: its frames cannot be mapped executable,
# so the kernel refuses the image's text (and logs why) and runimg says
# what to do. Needs root and mount namespaces: a noexec tmpfs over
# /dev/shm that only this machine (kept, for its log) and vmdump see, gone
# with the namespace when they are done.
if [ "$(id -u)" -eq 0 ] && command -v unshare >/dev/null &&
   unshare -m --propagation private true 2>/dev/null; then
	name=$NAME-noexec
	timeout -k 5 60 unshare -m --propagation private /bin/sh -c '
		mount -t tmpfs -o noexec,size=128m tmpfs /dev/shm || exit 99
		"$1" --name "$2" --keep -- "$3" "$4"
		rc=$?
		"$5" "$2" dmesg >"$6"
		exit $rc' sh "$VMRUN" "$name" "$RUNIMG" "$IMG/hello" "$VMDUMP" "$T/dmesg" \
		>"$T/out" 2>"$T/err"
	rc=$?
	if [ "$rc" -eq 126 ] && grep -q '^runimg: .*noexec mount.*Run vmrun with its RAM file on a mount that allows exec' "$T/err" &&
	   ! [ -s "$T/out" ]; then
		ok "noexec RAM file: exit 126: $(grep '^runimg: ' "$T/err" | cut -c1-160)..."
	else
		bad "noexec RAM file: exit $rc, want 126 and runimg's noexec message: $(why)"
	fi
	line=$(grep -E 'PROT_EXEC refused' "$T/dmesg")
	[ -n "$line" ] && ok "noexec RAM file: log: ${line#\[*\] }" ||
		bad "noexec RAM file: no kernel log line for the refused PROT_EXEC: $(tail -2 "$T/dmesg" | tr '\n' ' ')"
	machine_ok "noexec RAM file"
	gone "noexec RAM file"
else
	echo "skip noexec RAM file: needs root and a mount namespace (unshare -m) to mount a noexec tmpfs"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
