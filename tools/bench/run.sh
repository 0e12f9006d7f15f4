#!/usr/bin/env bash
# run.sh - every benchmark, one BENCH line per figure (PERFORMANCE.md).
cd "$(dirname "$0")"
uptime | sed 's/^/# load:/'
for b in bench_*; do
	case "$b" in *.c) continue ;; esac
	[ -x "$b" ] && "./$b"
done
