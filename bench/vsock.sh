#!/bin/sh
# vsock benchmark: the same client (vsockbench, through toro-vsockd's hybrid
# socket) against two guests serving ports 7 (echo), 9 (discard) and 19 (source):
#   toro     tests/integration/vsock.elf under QEMU (`toro run --vsock`)
#   ceiling  bench/vsock-peer: a host program in place of QEMU and the guest,
#            so the figure is what the daemon and the client alone allow
# and prints each figure with the ratio toro / ceiling.
# Then the boot cost of vsock: `toro run hello` with and without --vsock (the
# daemon's start and stop, the shared memory, the device), interleaved.
#   bench/vsock.sh BUILD_DIR
# Environment: VSOCK_BYTES (default 64 MiB), VSOCK_ROUNDS (default 1000).
set -u
O=${1:?usage: bench/vsock.sh BUILD_DIR}
dir=$(mktemp -d)
pids=""
trap 'for p in $pids; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$dir"' EXIT
trap 'exit 130' INT TERM

# Waits (at most 60 s) until port 7 behind the hybrid socket $1 echoes.
wait_echo() {
	i=0
	until printf 'CONNECT 7\nx' | timeout 5 socat -t 5 - UNIX-CONNECT:"$1" 2>/dev/null |
		grep -q '^x$'; do
		i=$((i + 1))
		if [ $i -ge 3000 ]; then
			echo "vsock: the guest never served port 7" >&2
			cat "$dir"/*.log >&2
			exit 1
		fi
		sleep 0.02
	done
}

bench() {
	"$O/bench/vsockbench" --uds "$1" --rounds "${VSOCK_ROUNDS:-1000}" \
		--bytes "${VSOCK_BYTES:-67108864}" >"$2" || {
		echo "vsock: vsockbench failed against $1" >&2
		exit 1
	}
}

# The ceiling: the daemon with vsock-peer.
mkfifo "$dir/ready"
"$O/toro-vsockd" --socket "$dir/s.sock" --uds "$dir/p.sock" --ready-fd 3 \
	3>"$dir/ready" 2>"$dir/daemon.log" &
pids="$!"
read -r line <"$dir/ready" || { cat "$dir/daemon.log" >&2; exit 1; }
"$O/bench/vsock-peer" --socket "$dir/s.sock" >"$dir/peer.log" 2>&1 &
pids="$pids $!"
wait_echo "$dir/p.sock"
bench "$dir/p.sock" "$dir/ceiling"
for p in $pids; do kill "$p" 2>/dev/null; done
wait 2>/dev/null
pids=""

# Toro: the test image on 2 CPUs, the daemon started by toro.
"$O/toro" run "$O/tests/integration/vsock.elf" --cpus 2 --vsock "$dir/t.sock" \
	--timeout 600 >"$dir/toro.log" 2>&1 </dev/null &
pids="$!"
wait_echo "$dir/t.sock"
bench "$dir/t.sock" "$dir/toro"
printf 'CONNECT 1\nexit 0\n' | socat -t 5 - UNIX-CONNECT:"$dir/t.sock" >/dev/null 2>&1
wait
pids=""

# "pingpong: N round trips, median X us per round trip" / "NAME: X MiB/s"
figure() { sed -n "s/^$1: .* \([0-9.]*\) us per round trip$/\1/p; s/^$1: \([0-9.]*\) MiB\/s$/\1/p" "$2"; }
echo "vsock through toro-vsockd (guest on 2 CPUs; ceiling: a host program as the guest):"
for m in pingpong host-\>guest guest-\>host; do
	t=$(figure "$m" "$dir/toro") c=$(figure "$m" "$dir/ceiling")
	if [ "$m" = pingpong ]; then unit="us per 1-byte round trip"; else unit="MiB/s"; fi
	awk -v m="$m" -v t="$t" -v c="$c" -v u="$unit" 'BEGIN {
		printf "  %-12s toro %9.1f  ceiling %9.1f  ratio %.2f  (%s)\n", m, t, c, t / c, u }'
done

# Boot with and without a vsock device: 7 runs each, interleaved, medians.
now() { date +%s%N; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
for i in 1 2 3 4 5 6 7; do
	t0=$(now)
	"$O/toro" run "$O/examples/hello.elf" >/dev/null 2>&1 || exit 1
	t1=$(now)
	"$O/toro" run "$O/examples/hello.elf" --vsock "$dir/b.sock" >/dev/null 2>&1 || exit 1
	t2=$(now)
	echo $(((t1 - t0) / 1000)) >>"$dir/plain"
	echo $(((t2 - t1) / 1000)) >>"$dir/with"
done
awk -v p="$(median <"$dir/plain")" -v w="$(median <"$dir/with")" 'BEGIN {
	printf "  boot, hello           %.1f ms\n  boot, hello + vsock   %.1f ms\n", p / 1000, w / 1000
	printf "  ratio vsock/none      %.2f\n", w / p }'
