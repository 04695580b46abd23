#!/bin/sh
# virtio benchmarks, run by `make bench`; prints medians of interleaved runs.
#   - console throughput: 8 MiB written by the guest through a virtio console into
#     a file, minus the same boot writing nothing (the baseline), as MiB/s;
#   - boot with three virtio devices attached versus none (hello, whole process).
# Usage: bench/virtio.sh BUILD_DIR [RUNS]
set -eu
O=$1
runs=${2:-7}
toro="$O/toro"
probe="$O/tests/integration/probe.elf"
hello="$O/examples/hello.elf"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

now() { date +%s%N; }

# Runs a command, prints its wall time in microseconds; fails the bench on error.
timed() {
	t0=$(now)
	"$@" </dev/null >"$tmp/out" 2>&1 || { cat "$tmp/out" >&2; exit 1; }
	echo $((($(now) - t0) / 1000))
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# Two more transports for the boot comparison: the console driver takes the first
# virtio-serial device and reports the others.
printf '#!/bin/sh\nexec qemu-system-x86_64 "$@" -device virtio-serial-device -device virtio-serial-device\n' \
	>"$tmp/qemu3"
chmod +x "$tmp/qemu3"

: >"$tmp/base"; : >"$tmp/flood"; : >"$tmp/none"; : >"$tmp/three"
for i in $(seq "$runs"); do
	timed "$toro" run "$probe" --console "$tmp/c" -- flood=0 >>"$tmp/base"
	timed "$toro" run "$probe" --console "$tmp/c" -- flood=131072 >>"$tmp/flood"
	timed "$toro" run "$hello" >>"$tmp/none"
	TORO_QEMU="$tmp/qemu3" timed "$toro" run "$hello" --console "$tmp/c" >>"$tmp/three"
done
base=$(median <"$tmp/base")
flood=$(median <"$tmp/flood")
none=$(median <"$tmp/none")
three=$(median <"$tmp/three")
echo "virtio ($runs runs each, interleaved, medians):"
awk -v b="$base" -v f="$flood" 'BEGIN {
	printf "  console throughput    %.1f MiB/s (8 MiB in %.0f ms over a %.0f ms boot)\n",
		8 / ((f - b) / 1e6), (f - b) / 1000, b / 1000 }'
awk -v n="$none" -v t="$three" 'BEGIN {
	printf "  boot, no devices      %.1f ms\n  boot, 3 devices       %.1f ms\n  ratio 3 devices/none  %.2f\n",
		n / 1000, t / 1000, t / n }'
