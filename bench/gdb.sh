#!/bin/sh
# GDB stub benchmark, run by `make bench`: how fast a real gdb steps and reads
# memory through the kernel's stub over virtio-console (`--gdb`), over the
# second UART (`--gdb-uart`), and through QEMU's own stub (the QEMU command
# `toro run --dry-run` prints, plus `-gdb unix:SOCK,server=on,wait=off -S`), all
# on the same image (tests/integration/gdb.elf with `spin`, 1 CPU) in one run.
# Each boot: gdb stops in the spin loop, then times a batch of `stepi 100`, of
# 2 `x/4096xb &pattern` and of 4 64 KiB reads (python's read_memory), gdb's
# caches off. ROUNDS (5) boots of each side, interleaved; printed: the medians
# and the ratios of ours to QEMU's.
# What each costs in packets: a step is a round trip (vCont;s and its stop
# reply); x/4096xb reads byte by byte, 4096 `m ADDR,1` round trips (gdb does,
# against any stub); a 64 KiB read is 32 `m` packets of 2 KiB (PacketSize 4096,
# the reply in hex), so it shows the transport's throughput.
# Usage: bench/gdb.sh BUILD_DIR [ROUNDS]
set -eu
O=$1
rounds=${2:-5}
toro="$O/toro"
img="$O/tests/integration/gdb.elf"
opts="--cpus 1 --mem 128M"
tmp=$(mktemp -d)
vm=""

# stop PID: SIGTERM (toro stops its VM first), SIGKILL if it is still there 5 s
# later.
stop() {
	kill "$1" 2>/dev/null || return 0
	n=0
	while kill -0 "$1" 2>/dev/null && [ $n -lt 50 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	kill -KILL "$1" 2>/dev/null || :
	wait "$1" 2>/dev/null || :
}
trap '[ -n "$vm" ] && stop "$vm"; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

line=$(grep -n 'spins = spins + 1' tests/integration/gdb/main.c | cut -d: -f1)
cat >"$tmp/bench.gdb" <<EOF
set pagination off
set confirm off
set code-cache off
set stack-cache off
break main.c:$line
continue
delete
python
import time
def batch(what, n, per, cmd):
    t0 = time.monotonic()
    for _ in range(per):
        gdb.execute(cmd, to_string=True)
        gdb.execute("maint flush dcache", to_string=True)
    print("bench %s %.1f" % (what, n * per / (time.monotonic() - t0)))
batch("steps", 100, 1, "stepi 100")
batch("reads", 1, 2, "x/4096xb &pattern")
base = int(gdb.parse_and_eval("(unsigned long)&pattern"))
inf = gdb.selected_inferior()
t0 = time.monotonic()
for _ in range(4):
    inf.read_memory(base, 65536)
print("bench bulk %.1f" % (4 * 64 / (time.monotonic() - t0)))
end
kill
EOF

# side NAME OPTION...: boots the image (QEMU's stub if NAME is qemu, else ours
# with OPTION...), runs the script (one batch of each), adds its "bench" lines
# to $tmp/NAME.
side() {
	name=$1
	shift
	sock="$tmp/$name.sock"
	if [ "$name" = qemu ]; then
		# shellcheck disable=SC2086
		cmd=$("$toro" run --dry-run "$img" $opts --gdb "unix:$tmp/unused.sock" -- spin)
		eval "exec $cmd -gdb unix:$sock,server=on,wait=off -S" >"$tmp/$name.con" 2>&1 &
	else
		# shellcheck disable=SC2086
		"$toro" run "$img" $opts --gdb "unix:$sock" --gdb-wait "$@" --timeout 600 -- spin \
			>"$tmp/$name.con" 2>&1 &
	fi
	vm=$!
	n=0
	while [ ! -S "$sock" ] && kill -0 "$vm" 2>/dev/null && [ $n -lt 600 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	timeout 900 gdb -batch -nx -ex 'set remotetimeout 30' -ex "target remote $sock" \
		-x "$tmp/bench.gdb" "$img" >"$tmp/$name.out" 2>&1 || :
	stop "$vm"
	vm=""
	rm -f "$sock" # QEMU leaves its socket behind
	if [ "$(grep -c '^bench ' "$tmp/$name.out")" -ne 3 ]; then
		echo "bench/gdb.sh: $name: gdb did not finish its batches:" >&2
		tail -n 20 "$tmp/$name.out" >&2
		exit 1
	fi
	grep '^bench ' "$tmp/$name.out" >>"$tmp/$name"
}

# median NAME WHAT: the median rate of NAME's WHAT batches.
median() {
	awk -v w="$2" '$2 == w { print $3 }' "$tmp/$1" |
		sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

# Interleaved: one batch of each side per round, so that a slow spell of the
# machine falls on all three.
for i in $(seq "$rounds"); do
	side virtio
	side uart --gdb-uart
	side qemu
done
echo "gdb stub (1 CPU, spin loop, medians of $rounds boots each; ratios ours/QEMU's, virtio and uart):"
for what in steps reads bulk; do
	v=$(median virtio $what) u=$(median uart $what) q=$(median qemu $what)
	case $what in
	steps) label="stepi" unit="steps/s" ;;
	reads) label="x/4096xb" unit="reads/s" ;;
	bulk) label="64 KiB" unit="KiB/s" ;;
	esac
	awk -v l="$label" -v v="$v" -v u="$u" -v q="$q" -v w="$unit" 'BEGIN {
		printf "  %-9s virtio %8.1f  uart %8.1f  qemu %8.1f %-8s ratios %.2f %.2f\n",
			l, v, u, q, w, v / q, u / q }'
done
