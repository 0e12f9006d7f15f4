#!/usr/bin/env bash
# demo.sh - the quick start's main job: boot a small machine, run a program
# on it, and look inside with vmdump. Leaves nothing behind.
set -u
cd "$(dirname "$0")/.."
name=demo-$$
ram=/dev/shm/vm-$name.ram
trap 'rm -f "$ram"' EXIT

say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

say "vmrun --ram 64M --name $name --keep -- echo 'hello from a guest'"
./vmrun/vmrun --ram 64M --name "$name" --keep -- echo 'hello from a guest' || exit 1

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

say "vmrun --ram 1G --mode pae -- true   (HighMem above 896 MiB)"
./vmrun/vmrun --ram 1G --mode pae --name "$name-pae" --keep -- true || exit 1
./tools/vmdump "$name-pae" buddyinfo
./tools/vmdump "$name-pae" meminfo | grep -E '^(MemTotal|MemFree|HighTotal|HighFree|LowTotal|LowFree)'
rm -f "/dev/shm/vm-$name-pae.ram"
