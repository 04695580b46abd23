#!/bin/sh
# vsock end to end: `toro run --vsock/--publish` with the real QEMU, toro-vsockd and
# the guest services of tests/integration/vsock/main.c, driven by socat and curl.
# Prints `ok N name` / `not ok N name` and ends with `N passed, N failed`.
set -u
O=${O:-build}
toro="$O/toro"
img="$O/tests/integration/vsock.elf"
echo_img="$O/examples/echo.elf"
dir=$(mktemp -d)
sock="$dir/v.sock"
logs="$dir/console"
. tests/integration/lib.sh

cleanup() {
	[ -n "$vm" ] && kill "$vm" 2>/dev/null && wait "$vm" 2>/dev/null
	[ -n "${listener:-}" ] && kill "$listener" 2>/dev/null
	rm -rf "$dir"
}

# start_vm IMAGE ARGS...: boots in the background, waits for the guest's "ready".
start_vm() {
	image=$1
	shift
	"$toro" run "$image" --timeout 600 "$@" >"$dir/console" 2>&1 </dev/null &
	vm=$!
	wait_for 600 'grep -q "listening on\|ready$" "$dir/console" || ! kill -0 $vm 2>/dev/null'
}

# stop_vm: ends the VM through the control port; $rc is toro's exit status.
stop_vm() {
	printf 'exit 0\n' | talk 1 >/dev/null 2>&1
	wait "$vm"
	rc=$?
	vm=""
}

# talk PORT: stdin to the guest's PORT through the hybrid socket; prints what the
# guest sends back (after the OK line). Fails if the guest refused.
talk() {
	{
		printf 'CONNECT %s\n' "$1"
		cat
	} | socat -t 60 -T 120 - UNIX-CONNECT:"$sock" 2>/dev/null | {
		IFS= read -r first || exit 1
		case $first in
		"OK "*) cat ;;
		*) exit 1 ;;
		esac
	}
}

sum() { cksum | cut -d' ' -f1,2; }

# The guest's heap and page counters (through the control port).
stats() { printf 'stats\n' | talk 1; }

# The counters once closed connections have finished (their threads end and the
# host's RSTs arrive shortly after the client is gone): two readings that agree.
settled_stats() {
	prev=$(stats)
	for i in $(seq 50); do
		cur=$(stats)
		[ "$cur" = "$prev" ] && break
		prev=$cur
	done
	echo "$cur"
}

# The daemon's open descriptors.
vsockd_fds() { ls "/proc/$(pgrep -f "toro-vsockd.*$dir" | head -n 1)/fd" | wc -l; }

head -c 65536 /dev/urandom >"$dir/r64k"
head -c 16777216 /dev/urandom >"$dir/r16m"

# --- a guest on 2 CPUs (connection threads on both) ---------------------------
start_vm "$img" --cpus 2 --vsock "$sock"
if grep -q '^vsock: CID 3$' "$dir/console" && [ -S "$sock" ]; then
	ok "the guest finds the vsock device and the hybrid socket exists"
else
	not_ok "the guest finds the vsock device and the hybrid socket exists"
fi

check "echo of 1 byte" "x" "$(printf x | talk 7)"
check "echo of 64 KiB (checksummed)" "$(sum <"$dir/r64k")" "$(talk 7 <"$dir/r64k" | sum)"
check "echo of 16 MiB (checksummed)" "$(sum <"$dir/r16m")" "$(talk 7 <"$dir/r16m" | sum)"
check "16 MiB to the guest arrive whole" "16777216" "$(talk 9 <"$dir/r16m")"

# Guest -> host over a host-initiated connection (the source pattern), then the
# same bytes over a guest-initiated one, received by a host program.
printf '1048576\n' | talk 19 >"$dir/pattern"
check "1 MiB from the guest arrive whole" "1048576" "$(wc -c <"$dir/pattern")"
socat -u UNIX-LISTEN:"${sock}_5000" CREATE:"$dir/got" &
listener=$!
wait_for 100 '[ -S "${sock}_5000" ]'
reply=$(printf 'dial 5000 1048576\n' | talk 1)
wait "$listener"
listener=""
check "the guest connects to a host program (PATH_5000)" "ok 0 0" "$reply"
check "the host program receives the guest's 1 MiB (checksummed)" \
	"$(sum <"$dir/pattern")" "$(sum <"$dir/got")"
socat -t 30 UNIX-LISTEN:"${sock}_5001",fork EXEC:cat &
listener=$!
wait_for 100 '[ -S "${sock}_5001" ]'
reply=$(printf 'dial 5001 300000\n' | talk 1)
kill "$listener"
wait "$listener" 2>/dev/null
listener=""
check "a host echo returns the guest's 300000 bytes" "ok 300000" "${reply% *}"
check "no host listener: the guest's connect is refused" "err 111" \
	"$(printf 'dial 5002 10\n' | talk 1)"

if printf 'hello' | talk 4444 >/dev/null; then
	not_ok "connecting to a closed guest port is refused"
else
	ok "connecting to a closed guest port is refused"
fi

if "$O/bench/vsockbench" --uds "$sock" --concurrent 256 >"$dir/conc" 2>&1; then
	ok "256 concurrent connections, each echoed its own data"
else
	not_ok "256 concurrent connections, each echoed its own data" "$(cat "$dir/conc")"
fi

base=$(settled_stats)
fds=$(vsockd_fds)
# The host reads 1 MiB of an endless stream, then hangs up.
printf '1073741824\n' | talk 19 | head -c 1048576 >"$dir/part"
check "the host closes mid-stream after 1 MiB" "1048576" "$(wc -c <"$dir/part")"
check "the guest still answers after that" "y" "$(printf y | talk 7)"

i=0
while [ $i -lt 1000 ]; do
	printf 'z' | talk 7 >/dev/null || break
	i=$((i + 1))
done
check "1000 connect/echo/close cycles" 1000 "$i"
# Wait for the counters to come back, within 10 s.
if wait_for 100 '[ "$(stats)" = "$base" ]'; then
	ok "no guest memory leaked (heap bytes, blocks and pages as before)"
else
	not_ok "no guest memory leaked (heap bytes, blocks and pages as before)" \
		"before: $base" "after: $(stats)"
fi
check "no descriptor leaked in toro-vsockd" "$fds" "$(vsockd_fds)"

stop_vm
check "the guest ends the VM: toro exits 0" 0 "$rc"
if pgrep -f "toro-vsockd.*$dir" >/dev/null || [ -e "$sock" ]; then
	not_ok "toro-vsockd and its socket are gone after the run"
else
	ok "toro-vsockd and its socket are gone after the run"
fi

# --- published TCP ports ------------------------------------------------------
port=$((20000 + $$ % 20000))
start_vm "$img" --publish "127.0.0.1:$port:80" --publish "$((port + 1)):7"
check "curl reaches a guest HTTP service through --publish" "hello from toro" \
	"$(curl -s --max-time 30 "http://127.0.0.1:$port/")"
check "socat reaches the guest echo through --publish" "$(sum <"$dir/r64k")" \
	"$(socat -t 60 - TCP:127.0.0.1:$((port + 1)) <"$dir/r64k" | sum)"
daemon=$(pgrep -f "toro-vsockd.*$port:80")
backend=$(ps -o args= -p "$daemon" | sed -n 's/.*--socket \([^ ]*\).*/\1/p')
kill -INT "$vm"
wait "$vm"
check "Ctrl-C stops the VM: toro exits 130" 130 $?
vm=""
if kill -0 "$daemon" 2>/dev/null || [ -z "$backend" ] || [ -e "$(dirname "$backend")" ]; then
	not_ok "toro-vsockd and its directory are gone after Ctrl-C" "daemon $daemon, $backend"
else
	ok "toro-vsockd and its directory are gone after Ctrl-C"
fi

# --- a guest crash --------------------------------------------------------------
start_vm "$img" --vsock "$sock"
printf 'crash\n' | talk 1 >/dev/null
wait "$vm"
check "a guest crash ends the run with 70" 70 $?
vm=""
if pgrep -f "toro-vsockd.*$dir" >/dev/null || [ -e "$sock" ]; then
	not_ok "toro-vsockd and its socket are gone after a guest crash"
else
	ok "toro-vsockd and its socket are gone after a guest crash"
fi

# --- examples/echo, connection threads on CPU 1 ---------------------------------
start_vm "$echo_img" --cpus 2 --vsock "$sock" -- -- 1
check "examples/echo echoes (threads on CPU 1)" "$(sum <"$dir/r64k")" \
	"$(talk 7 <"$dir/r64k" | sum)"
kill "$vm"
wait "$vm"
vm=""

results
