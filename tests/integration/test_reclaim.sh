#!/bin/bash
# test_reclaim.sh - reclaim, swap-out and swap-in under vmrun, in both
# paging modes (i386, pae): every mode of guests/swap on a 32 MiB machine
# given more to hold than its RAM (the Pintos/KAIST vm tests page-linear,
# page-parallel, page-shuffle, page-merge-par, swap-anon, swap-fork), a
# child's swap entries against its parent's changes, the OOM killer's
# choice, swap write and read errors, direct reclaim without kswapd, and
# a short soak of four guests. Each run must exit 0 (the
# guests check every page they wrote and name the first bad one), end
# with vmrun's check ok, every frame free as at boot and every swap slot
# free ("0 KiB used"), have swapped out and back in where its memory
# exceeds RAM (vmrun's summary and vmdump vmstat), and pass vmdump check
# on the machine it kept. Each run is bounded by timeout, so a deadlock
# fails the test; a run needing an option this vmrun lacks (--no-kswapd,
# --fail-swap-io, --io) is skipped with a "skip:" line. Prints one
# "ok"/"FAIL" line per check and "N passed, N failed"; exits 1 on any
# failure, 77 when the programs are not built.
#
# Environment: VMRUN, VMDUMP, SWAPG override the binaries; MODES the
# paging modes (default "i386 pae").

. "$(dirname "$0")/common.bash"
SWAPG=${SWAPG:-$TOP/guests/swap}
MODES=${MODES:-i386 pae}
NAME=trc$$			# every machine is /dev/shm/vm-$NAME-N.{ram,swap}
RAM=32				# MiB of every machine
T=$(mktemp -d "${TMPDIR:-/tmp}/test-reclaim.XXXXXX") || exit 1
runs=0
running=			# the vmrun of the run under way, if any

cleanup() {
	[ -z "$running" ] || kill -TERM "$running" 2>/dev/null
	rm -rf "$T"
	rm -f /dev/shm/vm-$NAME-*.ram /dev/shm/vm-$NAME-*.swap
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

need_built "$VMRUN" "$VMDUMP" "$SWAPG"

# why: what went wrong, for a FAIL line: the guests' messages, vmrun's.
why() {
	grep -v '^vmrun: /dev/shm' "$T/err" | head -6 | tr '\n' ' '
}

# log_note: the kept machine's log lines that may say why a run failed
# (the OOM killer, swap I/O errors, bugs), if any.
log_note() {
	local l
	l=$(timeout 30 "$VMDUMP" "$name" dmesg 2>/dev/null |
	    grep -E 'Out of memory|allocation failure|-error on swap|Bad swap|BUG|[Oo]ops|segfault' |
	    sed -E 's/^\[[^]]*\] //' | head -4 | tr '\n' ' ')
	[ -z "$l" ] || echo "; kernel log: $l"
}

# stat NAME: a counter of vmdump vmstat on the kept machine ($T/vmstat).
stat() { awk -v k="$1" '$1 == k { print $2 }' "$T/vmstat"; }

# swap_ok DESC MUST: vmrun's swap line says every slot is free again; when
# MUST is "swaps", pages went out and came back in, when "out", pages went
# out (vmrun's counters if its summary has them, vmdump vmstat's in any
# case).
swap_ok() {
	local line used out in min_in=1
	line=$(grep -E '^vmrun: swap [0-9]+ MiB, ' "$T/err" | tail -1)
	used=$(sed -nE 's/^vmrun: swap [0-9]+ MiB, ([0-9]+) KiB used.*/\1/p' <<<"$line")
	if [ "$used" = 0 ]; then
		ok "$1: every swap slot free again ($line)"
	else
		bad "$1: swap not all free: ${line:-no swap line}"
	fi
	case $2 in
	swaps)	;;
	out)	min_in=0 ;;
	*)	return 0 ;;
	esac
	out=$(sed -nE 's/.*pswpout ([0-9]+).*/\1/p' <<<"$line")
	in=$(sed -nE 's/.*pswpin ([0-9]+).*/\1/p' <<<"$line")
	if [ -n "$out" ] && { [ "$out" -eq 0 ] || [ "${in:-0}" -lt $min_in ]; }; then
		bad "$1: vmrun's summary: pswpout $out, pswpin ${in:-?}; want more"
	fi
	out=$(stat pswpout)
	in=$(stat pswpin)
	if [ "${out:-0}" -gt 0 ] && [ "${in:-0}" -ge $min_in ]; then
		ok "$1: swapped: vmstat pswpout $out, pswpin $in"
	else
		bad "$1: vmstat pswpout ${out:-none}, pswpin ${in:-none}; want pswpout > 0" \
		    "$([ $min_in = 1 ] && echo "and pswpin > 0")"
	fi
}

# vmrun_bounded LIMIT VMRUN-ARGS...: vmrun, output in $T/out and $T/err;
# sets rc to its exit status, or to "hung" when it is still running after
# LIMIT seconds: then what the machine's tasks are doing is saved in
# $T/hang (vmdump ps, the host state of each guest process, the kernel
# log's last lines) and vmrun is stopped (TERM, which it passes to the
# guests; KILL after 5 s).
vmrun_bounded() {
	local limit=$1 v s k done st i
	shift
	"$VMRUN" "$@" >"$T/out" 2>"$T/err" &
	v=$!
	running=$v
	sleep "$limit" &
	s=$!
	wait -n -p done "$v" "$s"
	st=$?
	if [ "$done" = "$v" ]; then
		rc=$st
		running=
		kill "$s" 2>/dev/null
		wait "$s" 2>/dev/null
		return
	fi
	rc=hung
	{
		timeout 10 "$VMDUMP" "$name" ps
		for i in $(timeout 10 "$VMDUMP" "$name" ps | awk 'NR > 1 { print $8 }'); do
			echo "host $i: $(cut -d' ' -f3 "/proc/$i/stat" 2>/dev/null)" \
			     "$(cat "/proc/$i/wchan" 2>/dev/null)"
		done
		timeout 10 "$VMDUMP" "$name" dmesg | tail -5
	} >"$T/hang" 2>&1
	kill -TERM "$v" 2>/dev/null
	sleep 5 &
	k=$!
	wait -n -p done "$v" "$k"
	if [ "$done" = "$v" ]; then
		kill "$k" 2>/dev/null
	else
		kill -KILL "$v" 2>/dev/null
	fi
	wait "$v" "$k" 2>/dev/null
	running=
}

# run_swap PAGING LIMIT DESC SWAP MUST VMRUN-OPTS -- SWAP-ARGS...: one kept
# machine of RAM MiB and SWAP, LIMIT seconds at most; must exit 0. MUST
# "swaps": it must have swapped out and in; "out": out at least (see
# swap_ok). Sets rc, secs.
run_swap() {
	local paging=$1 limit=$2 desc=$3 swap=$4 must=$5 t0
	shift 5
	runs=$((runs + 1))
	name=$NAME-$runs
	desc="$paging $desc"
	t0=$(date +%s.%N)
	vmrun_bounded "$limit" --mode "$paging" --ram ${RAM}M --swap "$swap" --name "$name" \
		--keep "$@"
	secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
	if [ "$rc" = hung ]; then
		bad "$desc: still running after $limit s (deadlock?): $(why)"
		sed 's/^/#   /' "$T/hang"
	elif [ "$rc" -ne 0 ]; then
		bad "$desc: exit $rc, want 0 ($secs s): $(why)$(log_note)"
	else
		ok "$desc: exit 0 ($secs s): $(grep -E '^[a-z-]+: guest ' "$T/out" | tail -1)"
	fi
	machine_ok "$desc"
	kept_ok "$desc"
	swap_ok "$desc" "$must"
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

# in_out DESC REGEX: a guest said so on stdout.
in_out() {
	if grep -Eq "$2" "$T/out"; then
		ok "$1: $(grep -E "$2" "$T/out" | head -1)"
	else
		bad "$1: no guest line like '$2': $(why)"
	fi
}

oom() {
	local paging=$1 hog
	# 8 + 8 MiB of small hogs fit in 32 MiB of RAM and 16 MiB of swap;
	# the big hog's 64 MiB does not
	run_swap "$paging" 60 "oom 8 8 64" 16M out -- "$SWAPG" oom 8 64
	in_out "$paging oom" 'the big hog [0-9]+ was killed by SIGKILL'
	hog=$(sed -nE 's/.*the big hog ([0-9]+) was killed.*/\1/p' "$T/out")
	in_log "$paging oom" "Out of memory: Killed process ${hog:-[0-9]+} "
	[ "$(grep -c 'intact after the OOM kill' "$T/out")" -eq 2 ] &&
		ok "$paging oom: both small hogs read their data back" ||
		bad "$paging oom: small hogs: $(grep 'small hog' "$T/out" | tr '\n' ' ')"
	[ "$(stat oom_kill)" = 1 ] && ok "$paging oom: vmstat oom_kill 1" ||
		bad "$paging oom: vmstat oom_kill $(stat oom_kill), want 1"
}

io_errors() {
	local paging=$1
	# failed writes keep their pages in RAM: every page is still read back
	run_swap "$paging" 60 "io-write 48, 64 writes fail" 64M swaps --fail-swap-io write=64 \
		-- "$SWAPG" io-write 48
	in_log "$paging io-write" 'Write-error on swap-device'
	# the first read fails: child A, the only guest with pages in swap,
	# dies by SIGBUS; child B afterwards swaps out and in without error
	run_swap "$paging" 60 "io-read 48, the first read fails" 64M swaps --fail-swap-io read=1 \
		-- "$SWAPG" io-read 48
	in_out "$paging io-read" 'child A [0-9]+ was killed by SIGBUS'
	in_out "$paging io-read" 'child B [0-9]+: [0-9]+ pages written and read back twice'
	in_log "$paging io-read" 'Read-error on swap-device'
}

for m in $MODES; do
	echo "# --mode $m, $RAM MiB RAM"
	run_swap "$m" 60 "page-linear 64 (2x RAM)" 64M swaps -- "$SWAPG" page-linear 64
	# each guest holds more than RAM, so each swaps however the four overlap
	run_swap "$m" 60 "page-parallel 4 x 40" 192M swaps --guests 4 -- "$SWAPG" page-parallel 40
	[ "$(grep -c '^page-parallel: guest [0-9]*: .* ok' "$T/out")" -eq 4 ] &&
		ok "$m page-parallel: all 4 guests read their pages back" ||
		bad "$m page-parallel: want 4 guests' ok lines: $(grep '^page-parallel: guest [0-9]*:' \
		    "$T/out" | tr '\n' ' ')"
	run_swap "$m" 60 "page-shuffle 40" 64M swaps -- "$SWAPG" page-shuffle 40
	run_swap "$m" 60 "swap-anon 48" 64M swaps -- "$SWAPG" swap-anon 48
	run_swap "$m" 60 "swap-fork 10 x 5" 128M swaps -- "$SWAPG" swap-fork 10 5 64
	# 64 MiB (2x RAM) written after the parent's 5 push its older pages
	# out: the children inherit swap entries, not only frames
	in_out "$m swap-fork" ': [1-9][0-9]* of its [0-9]+ pages in swap at the fork'
	# the parent rewrites, drops and unmaps swapped pages a child shares:
	# after it is done, then while the child reads
	run_swap "$m" 60 "swap-fork-zap 48" 64M swaps -- "$SWAPG" swap-fork-zap 48 2
	run_swap "$m" 60 "swap-fork-zap 48, racing" 64M swaps -- "$SWAPG" swap-fork-zap 48 2 1
	run_swap "$m" 60 "page-merge-par 8 x 16" 64M swaps -- "$SWAPG" page-merge-par 8 16
	oom "$m"
	run_swap "$m" 60 "page-linear 48, no kswapd" 64M swaps --no-kswapd \
		-- "$SWAPG" page-linear 48
	if [ "$(stat pgscan_kswapd)" = 0 ] && [ "$(stat allocstall)" -gt 0 ]; then
		ok "$m no kswapd: direct reclaim only (allocstall $(stat allocstall)," \
		   "pgscan_kswapd 0)"
	else
		bad "$m no kswapd: allocstall $(stat allocstall), pgscan_kswapd" \
		    "$(stat pgscan_kswapd)"
	fi
	io_errors "$m"
done

# io_uring, where libvm has it and the host allows it
if grep -q -- '-luring' "$TOP/libvm-uninstalled.pc" 2>/dev/null; then
	run_swap i386 60 "page-linear 48, --io uring" 64M swaps --io uring \
		-- "$SWAPG" page-linear 48
fi

# four guests at random for 10 s; the full minute is make soak
for m in $MODES; do
	run_swap "$m" 90 "soak 4 guests x 10 s" 256M swaps --guests 4 -- "$SWAPG" soak 10
	lines=$(grep -c '^soak: guest [0-9]*: .*, 0 bad' "$T/out")
	sum=$(awk '/^soak: guest [0-9]+: / { s += $4; v += $6 } END { print s " steps, " v }' \
		  "$T/out")
	[ "$lines" -eq 4 ] && ok "$m soak: 4 guests report 0 bad ($sum pages verified)" ||
		bad "$m soak: $lines of 4 guests report 0 bad: $(grep '^soak: guest' "$T/out" |
		    tr '\n' ' ')"
done

ls /dev/shm | grep -q "^vm-$NAME" && bad "files left in /dev/shm" || ok "no files left in /dev/shm"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
