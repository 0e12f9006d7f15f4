#!/usr/bin/env bash
# demo.sh - the quick start's main job: boot a small machine, run a program
# on it, and look inside with vmdump. Leaves nothing behind but
# demo-map.svg, the picture of physical memory it draws.
set -u
cd "$(dirname "$0")/.."
name=demo-$$
ram=/dev/shm/vm-$name.ram
gone=("$ram")			# what the demo removes when it ends
trap 'rm -f "${gone[@]}"' EXIT

say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

# wait_ready FD WHAT [SECS]: echo a started guest's lines until its
# "ready" line (left in $line), SECS (60) at most; stop the demo if it
# never comes.
wait_ready() {
	while read -r -t "${3:-60}" -u "$1" line; do
		[[ $line == ready* ]] && return 0
		echo "$line"
	done
	echo "$2 did not start"
	exit 1
}

say "vmrun --ram 64M --name $name --keep -- guests/hello 20"
./vmrun/vmrun --ram 64M --name "$name" --keep -- guests/hello 20 || exit 1

for view in meminfo buddyinfo zoneinfo; do
	say "vmdump $name $view"
	if [ "$view" = zoneinfo ]; then
		./tools/vmdump "$name" zoneinfo | head -60
		echo "..."
	else
		./tools/vmdump "$name" "$view"
	fi
done
say "vmdump $name slabinfo"
./tools/vmdump "$name" slabinfo
say "vmdump $name dmesg"
./tools/vmdump "$name" dmesg
say "vmdump $name page 0"
./tools/vmdump "$name" page 0
say "vmdump $name check"
./tools/vmdump "$name" check

# A guest that stays alive while we look: it touches its pages, says
# "ready" and waits for a line on its stdin.
say "vmrun --name $name-live -- guests/hello 40 --wait &   (stays up while we look)"
gone+=("/dev/shm/vm-$name-live.ram")
coproc GUEST { ./vmrun/vmrun --ram 64M --name "$name-live" -- guests/hello 40 --wait 2>&1; }
gpid=$GUEST_PID
wait_ready "${GUEST[0]}" "the guest"
say "vmdump $name-live ps"
./tools/vmdump "$name-live" ps
say "vmdump $name-live maps 1"
./tools/vmdump "$name-live" maps 1
say "vmdump $name-live smaps 1 (first mapping)"
./tools/vmdump "$name-live" smaps 1 | sed -n '1,/^VmFlags/p'
say "vmdump $name-live walk 1 0x080495b0   (the seed's example address)"
./tools/vmdump "$name-live" walk 1 0x080495b0
addr=$(./tools/vmdump "$name-live" maps 1 | awk 'NR==2 {split($1, a, "-"); print "0x" a[1]}')
say "vmdump $name-live pagemap 1 $addr 4"
./tools/vmdump "$name-live" pagemap 1 "$addr" 4
say "vmdump $name-live map --svg demo-map.svg   (a picture of physical memory: open it in a browser)"
./tools/vmdump "$name-live" map --svg demo-map.svg | head -20
echo go >&"${GUEST[1]}"	# let it finish
cat <&"${GUEST[0]}"
wait "$gpid"

# fork: parent and child share every frame copy-on-write until one writes.
say "vmrun --name $name-fork -- guests/hello 8 --fork --wait &   (a guest that forks)"
gone+=("/dev/shm/vm-$name-fork.ram")
coproc FGUEST { ./vmrun/vmrun --ram 64M --name "$name-fork" -- guests/hello 8 --fork --wait 2>&1; }
fpid=$FGUEST_PID
wait_ready "${FGUEST[0]}" "the forking guest"
say "vmdump $name-fork ps   (the child, its parent, and the pages they share)"
./tools/vmdump "$name-fork" ps
addr=$(./tools/vmdump "$name-fork" maps 1 | awk 'NR==2 {split($1, a, "-"); print "0x" a[1]}')
shared=$(./tools/vmdump "$name-fork" pagemap 1 "$addr" 1 | grep -o 'pfn=0x[0-9a-f]*' | cut -d= -f2)
say "vmdump $name-fork page $shared   (the first page: one frame, two mappers)"
./tools/vmdump "$name-fork" page "$shared" | grep -E '^(page|state|mapped|anon_vma)'
echo go >&"${FGUEST[1]}"
cat <&"${FGUEST[0]}"
wait "$fpid"

# swap: a guest touches half again as much memory as the machine has, and
# stays up while we look at where its pages went.
say "vmrun --ram 32M --swap 64M --name $name-swap -- guests/hello 12288 --wait &   (48 MiB on 32 MiB)"
gone+=("/dev/shm/vm-$name-swap.ram")
coproc SGUEST { ./vmrun/vmrun --ram 32M --swap 64M --name "$name-swap" -- guests/hello 12288 --wait 2>&1; }
spid=$SGUEST_PID
wait_ready "${SGUEST[0]}" "the swapping guest" 120
say "vmdump $name-swap swaps   (/proc/swaps)"
./tools/vmdump "$name-swap" swaps
say "vmdump $name-swap meminfo | grep -E 'Swap|Active|Inactive'"
./tools/vmdump "$name-swap" meminfo | grep -E '^(MemFree|Swap|Active|Inactive)'
say "vmdump $name-swap vmstat | grep -E 'pswp|pgscan|pgsteal|majfault'   (kswapd and direct reclaim at work)"
./tools/vmdump "$name-swap" vmstat | grep -E '^(pswp|pgscan|pgsteal|pgmajfault|allocstall)'
say "vmdump $name-swap ps   (the guest and kswapd)"
./tools/vmdump "$name-swap" ps
addr=$(./tools/vmdump "$name-swap" maps 1 | awk '$2 ~ /^rw/ && NR > 1 {split($1, a, "-"); print "0x" a[1]; exit}')
say "vmdump $name-swap pagemap 1 $addr 4   (its first pages are in swap now)"
./tools/vmdump "$name-swap" pagemap 1 "$addr" 4
echo go >&"${SGUEST[1]}"
cat <&"${SGUEST[0]}"
wait "$spid"

# A file mapped MAP_SHARED: the guest writes a line into each page
# through its mapping; the machine's page cache holds the file's pages,
# dirty and mapped, while the host file is still zeroes; msync writes
# them back.
say "vmrun --name $name-file -- guests/mmapf demo FILE 4 &   (writes a file through MAP_SHARED)"
file=$(mktemp "${TMPDIR:-/tmp}/demo-file.XXXXXX") || exit 1
gone+=("/dev/shm/vm-$name-file.ram" "$file")
coproc MGUEST { ./vmrun/vmrun --ram 64M --name "$name-file" -- guests/mmapf demo "$file" 4 2>&1; }
mpid=$MGUEST_PID
wait_ready "${MGUEST[0]}" "the file guest"
addr=${line#ready }
say "vmdump $name-file maps 1   (the file mapping, with its path and offset)"
./tools/vmdump "$name-file" maps 1
say "vmdump $name-file files   (the page cache: one file, 4 pages, 4 dirty)"
./tools/vmdump "$name-file" files
say "vmdump $name-file files FILE   (its pages)"
./tools/vmdump "$name-file" files "$file"
say "vmdump $name-file pagemap 1 $addr 2   (file pages: present, bit 61 \"file\")"
./tools/vmdump "$name-file" pagemap 1 "$addr" 2
pfn=$(./tools/vmdump "$name-file" pagemap 1 "$addr" 1 | grep -o 'pfn=0x[0-9a-f]*' | cut -d= -f2)
say "vmdump $name-file page $pfn   (mapping, index, dirty)"
./tools/vmdump "$name-file" page "$pfn"
say "vmdump $name-file hexdump $(printf '%#x' $((pfn * 4096))) 64   (the frame holds the text)"
./tools/vmdump "$name-file" hexdump $((pfn * 4096)) 64
say "vmdump $name-file meminfo | grep -E 'Cached|Dirty|Mapped'"
./tools/vmdump "$name-file" meminfo | grep -E '^(Cached|Dirty|Mapped)'
say "tr -d '\\0' < FILE   (the host file: still zeroes, the cache is ahead of it)"
echo "($(tr -d '\0' < "$file" | wc -c) bytes of text)"
say "echo sync   (the guest calls vm_msync(MS_SYNC))"
echo sync >&"${MGUEST[1]}"
read -r -t 60 -u "${MGUEST[0]}" line && echo "$line"
say "vmdump $name-file meminfo | grep -E 'Cached|Dirty|Mapped'"
./tools/vmdump "$name-file" meminfo | grep -E '^(Cached|Dirty|Mapped)'
say "tr -d '\\0' < FILE"
tr -d '\0' < "$file"
echo go >&"${MGUEST[1]}"
cat <&"${MGUEST[0]}"
wait "$mpid"

# A program's own code from emulated RAM: runimg maps an ELF image's
# segments from its file and jumps to it; its text is demand-paged.
say "vmrun -- guests/runimg guests/image/hello   (code run from emulated RAM)"
./vmrun/vmrun --ram 64M --name "$name-img" -- guests/runimg guests/image/hello

say "vmrun -- guests/pt bad-addr   (a bad pointer: SIGSEGV, as Linux would)"
./vmrun/vmrun --ram 64M --name "$name-segv" --keep -- guests/pt bad-addr
echo "exit status $?"
./tools/vmdump "$name-segv" dmesg | grep segfault
rm -f "/dev/shm/vm-$name-segv.ram"

say "vmrun --ram 1G --mode pae -- true   (HighMem above 896 MiB)"
./vmrun/vmrun --ram 1G --mode pae --name "$name-pae" --keep -- true || exit 1
./tools/vmdump "$name-pae" buddyinfo
./tools/vmdump "$name-pae" meminfo | grep -E '^(MemTotal|MemFree|HighTotal|HighFree|LowTotal|LowFree)'
rm -f "/dev/shm/vm-$name-pae.ram"
