#!/bin/bash
# test_guests.sh - the guest programs under vmrun, in both paging modes
# (i386, pae): every mode of guests/pt, the Pintos pt-* and xv6 usertests
# of this MMU. A mode that should pass must exit 0; a mode that should die
# must exit 139 (SIGSEGV) and leave the kernel log line Linux would, with
# the address the guest said it would touch and the x86 error code
# (4 read not-present, 6 write not-present, 7 write to a present read-only
# page, 5 read of the kernel half); its kept machine must pass vmdump
# check. After every run vmrun's own check must say ok and every frame
# must be free again. Prints one "ok"/"FAIL" line per check and "N passed,
# N failed"; exits 1 on any failure, 77 when the programs are not built.
#
# Environment: VMRUN, VMDUMP, PT override the binaries.

. "$(dirname "$0")/common.bash"
PT=${PT:-$TOP/guests/pt}
TOUCH=${TOUCH:-$TOP/guests/touch}
NAME=tg$$			# every machine is /dev/shm/vm-$NAME-N.ram
T=$(mktemp -d "${TMPDIR:-/tmp}/test-guests.XXXXXX") || exit 1
runs=0

cleanup() {
	rm -rf "$T"
	rm -f /dev/shm/vm-$NAME-*.ram
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

need_built "$VMRUN" "$VMDUMP" "$PT" "$TOUCH"

# vmrun_guest PAGING KEEP VMRUN-OPTS... -- GUEST ARGS...: one machine, one
# minute at most; sets name, rc; output in $T/out, $T/err.
vmrun_guest() {
	local paging=$1 keep=$2
	shift 2
	runs=$((runs + 1))
	name=$NAME-$runs
	timeout -k 5 60 "$VMRUN" --mode "$paging" --name "$name" $keep "$@" >"$T/out" 2>"$T/err"
	rc=$?
}

# why: what the guest said went wrong, for a FAIL line.
why() {
	{ grep -E '^ *FAIL' "$T/out"; grep -v '^vmrun: /dev/shm' "$T/err"; } | head -5 | tr '\n' ' '
}

# passes PAGING MODE VMRUN-OPTS -- PT-ARGS...: pt must exit 0.
passes() {
	local paging=$1 desc=$2
	shift 2
	vmrun_guest "$paging" "" "$@"
	if [ "$rc" -eq 0 ]; then
		ok "$paging $desc: exit 0 ($(grep -c '^ *ok ' "$T/out") checks in the guest)"
	else
		bad "$paging $desc: exit $rc, want 0: $(why)"
	fi
	machine_ok "$paging $desc"
}

# dies PAGING MODE ERROR VMRUN-OPTS -- PT-ARGS...: pt must die of SIGSEGV at
# the address it names, with this error code in the log line.
dies() {
	local paging=$1 desc=$2 err=$3 addr line f=
	shift 3
	vmrun_guest "$paging" --keep "$@"
	f=/dev/shm/vm-$name.ram
	if [ "$rc" -eq 139 ]; then
		ok "$paging $desc: killed by SIGSEGV (exit 139)"
	else
		bad "$paging $desc: exit $rc, want 139: $(why)"
	fi
	if grep -Eq '^ *FAIL' "$T/out"; then
		bad "$paging $desc: a check before the fatal access failed: $(why)"
	fi
	machine_ok "$paging $desc"
	addr=$(sed -nE 's/^fatal (read|write) at ([0-9a-f]+)$/\2/p' "$T/out")
	timeout 30 "$VMDUMP" "$name" dmesg >"$T/dmesg" 2>&1
	line=$(grep -E 'segfault at' "$T/dmesg" | tail -1)
	line=${line#\[*\] }
	if [ -z "$addr" ]; then
		bad "$paging $desc: the guest never reached its fatal access: $(why)"
	elif grep -Eq "^pt\\[1\\]: segfault at $addr ip [0-9a-f]+ sp [0-9a-f]+ error $err\$" <<<"$line"; then
		ok "$paging $desc: log: $line"
	else
		bad "$paging $desc: log: ${line:-no segfault line}; want pt[1]: segfault at $addr ... error $err"
	fi
	if timeout 30 "$VMDUMP" "$name" check >"$T/check" 2>&1; then
		ok "$paging $desc: vmdump check: $(tail -1 "$T/check")"
	else
		bad "$paging $desc: vmdump check: exit $?: $(head -3 "$T/check" | tr '\n' ' ')"
	fi
	rm -f "$f"
	[ ! -e "$f" ] || bad "$paging $desc: $f could not be removed"
}

# distinct PAGING: 4 guests at once; none may see another's frame.
distinct() {
	local paging=$1 d=$T/distinct-$1 files lines dups
	mkdir -p "$d"
	passes "$paging" distinct --guests 4 -- "$PT" distinct "$d" 4
	files=$(ls "$d" | grep -c '^pfns\.')
	lines=$(cat "$d"/pfns.* 2>/dev/null | wc -l)
	dups=$(cat "$d"/pfns.* 2>/dev/null | sort | uniq -d | wc -l)
	if [ "$files" -eq 4 ] && [ "$lines" -eq 1024 ] && [ "$dups" -eq 0 ]; then
		ok "$paging distinct: 4 guests x 256 pages, 1024 different frames"
	else
		bad "$paging distinct: $files pfn files, $lines pfns, $dups in two guests"
	fi
}

# touch PAGING N STRIDE WANT-MINFLT WANT-RSS VMRUN-OPTS...: the demo's
# program counts right.
touch_counts() {
	local paging=$1 n=$2 stride=$3 minflt=$4 rss=$5 got
	shift 5
	vmrun_guest "$paging" "" "$@" -- "$TOUCH" "$n" "$stride"
	got=$(grep -E '^touch: ' "$T/out")
	if [ "$rc" -eq 0 ] && [[ "$got" == *"minflt $minflt majflt 0 "*"rss $rss pages"* ]]; then
		ok "$paging touch $n $stride: ${got%,*}"
	else
		bad "$paging touch $n $stride: exit $rc: ${got:-no output}; want minflt $minflt, rss $rss"
	fi
	machine_ok "$paging touch $n $stride"
}

for m in i386 pae; do
	echo "# --mode $m"
	passes "$m" lazy-anon             --folio-order 0 -- "$PT" -f 1 lazy-anon
	passes "$m" lazy-anon-folio       -- "$PT" -f 16 lazy-anon
	passes "$m" zero                  -- "$PT" zero
	passes "$m" mprotect              -- "$PT" mprotect
	passes "$m" grow-stack            -- "$PT" grow-stack
	passes "$m" big-stk-obj           -- "$PT" big-stk-obj
	passes "$m" sbrk                  -- "$PT" sbrk
	passes "$m" mmap-errors           -- "$PT" mmap-errors
	passes "$m" tlb                   --tlb 64 --folio-order 0 -- "$PT" -f 1 tlb 2000 64
	passes "$m" madvise               -- "$PT" madvise
	distinct "$m"
	dies "$m" bad-addr 4              -- "$PT" bad-addr
	dies "$m" null 4                  -- "$PT" null
	dies "$m" write-ro 7              -- "$PT" write-ro
	dies "$m" write-ro-fresh 6        -- "$PT" write-ro-fresh
	dies "$m" after-munmap 4          -- "$PT" after-munmap
	dies "$m" mprotect-ro-write 7     -- "$PT" mprotect-ro-write
	dies "$m" mprotect-ro-write-cold 7 -- "$PT" mprotect-ro-write-cold
	dies "$m" mprotect-none 4         -- "$PT" mprotect-none
	dies "$m" kernel 5                -- "$PT" kernel
	dies "$m" grow-bad 4              -- "$PT" grow-bad
	dies "$m" sbrk-freed 4            -- "$PT" sbrk-freed
	touch_counts "$m" 100 1 100 100 --folio-order 0	# a fault a page
	touch_counts "$m" 64 16 64 1024			# a touch a 16-page folio
done

# A bad mode is a usage error, not a crash.
vmrun_guest i386 "" -- "$PT" no-such-mode
[ "$rc" -eq 2 ] && grep -q '^usage: pt' "$T/err" && ok "pt no-such-mode: usage, exit 2" ||
	bad "pt no-such-mode: exit $rc, want 2 and a usage line"

# A guest killed by SIGKILL from outside, in the middle of its work: vmrun
# reaps it, frees what it held and reports the signal (137).
for m in i386 pae; do
	for k in 1 2 3; do
		name=$NAME-kill-$m-$k
		coproc BUSY { exec timeout -k 5 60 "$VMRUN" --mode "$m" --name "$name" --keep \
			-- "$PT" busy 2>"$T/err"; }
		bpid=$BUSY_PID
		line=""
		read -r -t 30 -u "${BUSY[0]}" line
		hp=${line##* }
		if [[ "$line" == "busy host pid "* ]] && kill -KILL "$hp" 2>/dev/null; then
			wait "$bpid"
			rc=$?
			[ "$rc" -eq 137 ] && ok "$m kill $k: vmrun exits 137" ||
				bad "$m kill $k: vmrun exit $rc, want 137"
			machine_ok "$m kill $k"
			timeout 30 "$VMDUMP" "$name" check >"$T/check" 2>&1 &&
				ok "$m kill $k: vmdump check clean" ||
				bad "$m kill $k: vmdump check: $(tail -3 "$T/check")"
		else
			bad "$m kill $k: the guest never said it was busy: $line $(tail -2 "$T/err")"
			kill "$bpid" 2>/dev/null
			wait "$bpid"
		fi
		rm -f "/dev/shm/vm-$name.ram"
	done
done

# vmrun's own bad command lines: usage and exit 2, and no machine made.
for args in "--ram 8M" "--ram lots" "--tlb 5" "--tlb x" "--folio-order 10" "--guests 0" \
	    "--guests 65" "--mode vax" "--bogus"; do
	timeout 30 "$VMRUN" $args -- "$PT" zero >"$T/out" 2>"$T/err"
	rc=$?
	[ "$rc" -eq 2 ] && grep -q '^usage: vmrun' "$T/err" && ok "vmrun $args: usage, exit 2" ||
		bad "vmrun $args: exit $rc, want 2 and a usage line"
done
timeout 30 "$VMRUN" >"$T/out" 2>"$T/err"
rc=$?
[ "$rc" -eq 2 ] && ok "vmrun with no program: exit 2" || bad "vmrun with no program: exit $rc, want 2"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
