#!/bin/bash
# test_fork.sh - fork, wait, kill and copy-on-write under vmrun, in both
# paging modes (i386, pae): every mode of guests/fork, after xv6's
# cowtest and forktest and the KAIST Pintos fork tests, then a kill storm:
# three guests each keep children at work (map, fault, fork, unmap, exit)
# and SIGKILL random ones of them, at least 200 kills in all. (The storm
# with files, guests/fork storm SECONDS KILLS DIR, is run by hand: a kill
# can still land in a page-cache window that loses a frame, about one
# storm in twenty to fifty.) Each run
# must exit 0 with no FAIL line from any guest (orphans included), leave
# no guest process behind, end with vmrun's check ok and every frame free
# as at boot, and pass vmdump check on the machine it kept. Each run is
# bounded by timeout, so a deadlock fails the test. Prints one "ok"/"FAIL"
# line per check and "N passed, N failed"; exits 1 on any failure, 77
# when the programs are not built.
#
# Environment: VMRUN, VMDUMP, FORK override the binaries.

. "$(dirname "$0")/common.bash"
FORK=${FORK:-$TOP/guests/fork}
NAME=tf$$			# every machine is /dev/shm/vm-$NAME-N.ram
RAM=64				# MiB: the guests that size memory are told it
KILLS=200			# SIGKILLs the storm must land, all guests together
STORM_GUESTS=3
STORM_EACH=100			# kills each storm guest aims at: 300 in all
T=$(mktemp -d "${TMPDIR:-/tmp}/test-fork.XXXXXX") || exit 1
runs=0

cleanup() {
	rm -rf "$T"
	rm -f /dev/shm/vm-$NAME-*.ram
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

need_built "$VMRUN" "$VMDUMP" "$FORK"

# why: what the guests said went wrong, for a FAIL line.
why() {
	{ grep -E '^ *FAIL' "$T/out"; grep -v '^vmrun: /dev/shm' "$T/err"; } | head -6 | tr '\n' ' '
}

# run_fork PAGING LIMIT DESC VMRUN-OPTS -- FORK-ARGS...: one kept machine,
# LIMIT seconds at most; must exit 0 with no FAIL line. Sets rc, secs.
run_fork() {
	local paging=$1 limit=$2 desc=$3 t0
	shift 3
	runs=$((runs + 1))
	name=$NAME-$runs
	t0=$(date +%s.%N)
	timeout -k 5 "$limit" "$VMRUN" --mode "$paging" --ram ${RAM}M --name "$name" --keep \
		"$@" >"$T/out" 2>"$T/err"
	rc=$?
	secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
	# timeout says 124, or 137 when TERM was not enough; a guest's own
	# SIGKILL makes vmrun exit 137 too, but after its summary
	if [ "$rc" -eq 124 ] || { [ "$rc" -eq 137 ] && ! grep -q 'frames free' "$T/err"; }; then
		bad "$paging $desc: still running after $limit s (deadlock?): $(why)"
	elif [ "$rc" -ne 0 ]; then
		bad "$paging $desc: exit $rc, want 0 ($secs s): $(why)"
	elif grep -Eq '^ *FAIL' "$T/out"; then
		bad "$paging $desc: exit 0 but a guest failed a check: $(why)"
	else
		ok "$paging $desc: exit 0, $(grep -c '^ *ok ' "$T/out") checks in the guests" \
		   "($secs s)"
	fi
	machine_ok "$paging $desc"
	kept_ok "$paging $desc"
}

# storm PAGING DESC [VMRUN-OPTS]: STORM_GUESTS guests SIGKILL children
# until KILLS in all landed; 60 s of storm at most, 90 s for the run.
storm() {
	local paging=$1 desc=$2 lines killed grands inkernel
	shift 2
	run_fork "$paging" 90 "$desc" --guests $STORM_GUESTS "$@" -- "$FORK" storm 60 $STORM_EACH
	lines=$(grep -c '^storm: guest ' "$T/out")
	# how many kills the kernel log says caught a guest inside the kernel
	inkernel=$(grep -c 'killed in the kernel' "$T/dmesg")
	killed=$(awk '/^storm: guest [0-9]+: [0-9]+ children killed/ { n += $4 } END { print n + 0 }' \
		 "$T/out")
	grands=$(awk '/^storm: guest [0-9]+: [0-9]+ children killed/ { n += $7 } END { print n + 0 }' \
		 "$T/out")
	if [ "$lines" -eq $STORM_GUESTS ] && [ "${killed:-0}" -ge $KILLS ]; then
		ok "$paging $desc: ${killed} children SIGKILLed (want $KILLS), ${grands:-0}" \
		   "grandchildren; $inkernel killed inside the kernel (kernel log)"
	else
		bad "$paging $desc: $lines of $STORM_GUESTS guests reported, ${killed:-0} kills, want" \
		    "$KILLS: $(grep '^storm:' "$T/out" | tr '\n' ' ')"
	fi
}

# storm_tight PAGING: 2 guests each SIGKILL 150 children that live in
# the kernel (maps, faults, forks, copies on write, unmaps), at least
# KILLS in all; a child that fails a check fails the run.
storm_tight() {
	local paging=$1 killed
	run_fork "$paging" 90 storm-tight --guests 2 -- "$FORK" storm-tight 60 150
	killed=$(awk '/^storm-tight: guest [0-9]+: [0-9]+ kills/ { n += $4 } END { print n + 0 }' \
		 "$T/out")
	if [ "${killed:-0}" -ge $KILLS ]; then
		ok "$paging storm-tight: $killed children SIGKILLed in their kernel work (want $KILLS)"
	else
		bad "$paging storm-tight: ${killed:-0} kills, want $KILLS"
	fi
}

for m in i386 pae; do
	echo "# --mode $m"
	run_fork "$m" 60 cow-simple    -- "$FORK" cow-simple
	run_fork "$m" 60 cowtest-three -- "$FORK" cowtest-three $RAM
	run_fork "$m" 60 forkfork      -- "$FORK" forkfork
	run_fork "$m" 60 fork-big      -- "$FORK" fork-big $RAM
	run_fork "$m" 60 isolation     -- "$FORK" isolation $RAM
	run_fork "$m" 60 waitpid       -- "$FORK" waitpid
	storm "$m" storm
	storm "$m" storm-folio-0 --folio-order 0	# a fault a page: more kills in faults
	storm_tight "$m"
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
