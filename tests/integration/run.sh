#!/bin/sh
# Integration tests: real QEMU through `toro run`, checked from the outside the way
# a user sees them (console output, exit status, processes left behind).
# Prints `ok N name` / `not ok N name` and ends with `N passed, N failed`.
set -u
O=${O:-build}
toro="$O/toro"
hello="$O/examples/hello.elf"
probe="$O/tests/integration/probe.elf"
faults="$O/tests/guest/exceptions.elf"
out=$(mktemp)
n=0 passed=0 failed=0
trap 'rm -f "$out"' EXIT

ok() {
	n=$((n + 1))
	passed=$((passed + 1))
	echo "ok $n $1"
}

not_ok() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n $1"
	shift
	for why in "$@"; do echo "# $why"; done
	echo "# output:"
	sed 's/^/#   /' "$out" | tail -n 40
}

# expect NAME STATUS PATTERN... -- toro run arguments
# Runs `toro run`, then checks its exit status and that every pattern (grep -E)
# appears in what it printed (stdout and stderr together).
expect() {
	name=$1 want=$2
	shift 2
	pats=""
	while [ "$1" != "--" ]; do
		pats="$pats
$1"
		shift
	done
	shift
	"$toro" run "$@" </dev/null >"$out" 2>&1
	rc=$?
	if [ "$rc" -ne "$want" ]; then
		not_ok "$name" "exit status $rc, expected $want"
		return
	fi
	missing=$(echo "$pats" | while IFS= read -r p; do
		[ -z "$p" ] || grep -Eq -- "$p" "$out" || echo "$p"
	done)
	if [ -n "$missing" ]; then
		not_ok "$name" "missing from the output: $missing"
		return
	fi
	ok "$name"
}

# Waits until process $1 has created the socket $2 (or died).
wait_socket() {
	i=0
	while [ ! -S "$2" ] && [ $i -lt 600 ] && kill -0 "$1" 2>/dev/null; do
		i=$((i + 1))
		sleep 0.05
	done
}

# QEMU processes started for one of our images (none must survive a test).
qemu_of() {
	pgrep -f "qemu-system-x86_64.*$1" || true
}

greeting='^Hello from Toro on CPU 0$'
banner='^Toro [0-9.]+: 1 CPU, '

# --- booting hello ------------------------------------------------------------
expect "hello: defaults" 0 "$greeting" "${banner}128 MiB" -- "$hello"
expect "hello: acpi=off" 0 "$greeting" -- "$hello" --machine acpi=off
expect "hello: --mem 128M" 0 "$greeting" "${banner}128 MiB" -- "$hello" --mem 128M
expect "hello: --mem 1G" 0 "$greeting" "${banner}1024 MiB" -- "$hello" --mem 1G

# The smallest RAM: toro says how far the image reaches, the kernel how much it
# needs beyond; that much must boot, and 8 KiB less must not (QEMU rounds guest
# RAM up to a multiple of 8 KiB).
"$toro" run "$hello" --mem 1M </dev/null >"$out" 2>&1
end=$(sed -nE 's/.*loads up to ([0-9]+) KiB.*/\1/p' "$out")
"$toro" run "$hello" --mem "$(((${end:-1024} + 15) / 8 * 8))K" </dev/null >"$out" 2>&1
need=$(sed -nE 's/^not enough memory: need ([0-9]+) KiB.*/\1/p' "$out")
if [ -n "$need" ]; then
	ok "the kernel states the memory it needs (${need} KiB)"
	need=$(((need + 7) / 8 * 8))
	expect "hello boots with exactly that (--mem ${need}K)" 0 "$greeting" -- "$hello" \
		--mem "${need}K"
	expect "hello refuses 8 KiB less" 70 '^not enough memory' -- "$hello" \
		--mem "$((need - 8))K"
else
	not_ok "the kernel states the memory it needs"
fi
expect "hello: bootstats prints the phase timestamps" 0 \
	'^boot-tsc: entry=[0-9]+ longmode=[0-9]+ console=[0-9]+ memory=[0-9]+ main=[0-9]+$' \
	-- "$hello" -- bootstats


# --- several CPUs --------------------------------------------------------------
expect "hello: 8 CPUs" 0 "$greeting" '^Toro [0-9.]+: 8 CPUs, 128 MiB$' -- "$hello" --cpus 8
expect "hello: 8 CPUs with acpi=off (MP table)" 0 "$greeting" \
	'^Toro [0-9.]+: 8 CPUs, 128 MiB$' -- "$hello" --cpus 8 --machine acpi=off
expect "pingpong: CPU 0 gets a pong from every other CPU" 0 \
	'^CPU 0 <-> CPU 1: 100 round trips, median [0-9]+ ns' \
	'^CPU 0 <-> CPU 3: 100 round trips, median [0-9]+ ns' \
	-- "$O/examples/pingpong.elf" --cpus 4 -- rounds=100

# --- virtio console ---------------------------------------------------------------
# 1 MiB through the virtio console into a file, checked with the host's cksum.
vcon="$out.console"
flood_check() {
	name=$1
	shift
	rm -f "$vcon"
	"$toro" run "$probe" --console "$vcon" "$@" flood=16384 </dev/null >"$out" 2>&1
	rc=$?
	want=$(sed -n 's/^flood: cksum \([0-9]*\) size \([0-9]*\)$/\1 \2/p' "$vcon" 2>/dev/null)
	got=$(sed -n '/^flood-begin$/,/^flood-end$/p' "$vcon" 2>/dev/null | sed '1d;$d' | cksum)
	if [ $rc -eq 0 ] && [ -n "$want" ] && [ "$want" = "$got" ] &&
		[ "${want#* }" = 1048576 ]; then
		ok "$name"
	else
		not_ok "$name" "exit $rc" "guest says: $want" "host computes: $got"
	fi
}
flood_check "virtio console: 1 MiB intact (legacy, ACPI)" --
flood_check "virtio console: 1 MiB intact (modern, ACPI)" --virtio modern --
flood_check "virtio console: 1 MiB intact (legacy, acpi=off)" --machine acpi=off --
flood_check "virtio console: 1 MiB intact (modern, acpi=off, 4 CPUs, owned by CPU 3)" \
	--virtio modern --machine acpi=off --cpus 4 -- dedicate=3
flood_check "virtio console: 1 MiB intact (legacy, ACPI, 4 CPUs, owned by CPU 2)" \
	--cpus 4 -- dedicate=2
rm -f "$vcon"

# Console input: a client on the console's Unix socket sends a line, the guest
# echoes it back on the same socket, exits, and QEMU closing the socket ends socat.
sock="$out.sock"
"$toro" run "$probe" --console "unix:$sock" --timeout 60 -- echo </dev/null >"$out" 2>&1 &
pid=$!
wait_socket $pid "$sock"
reply=$(printf 'over virtio\n' | socat STDIO,ignoreeof "UNIX-CONNECT:$sock" 2>&1)
wait $pid
rc=$?
if [ $rc -eq 0 ] && echo "$reply" | grep -q '^echo: over virtio$' && [ ! -e "$sock" ]; then
	ok "virtio console: input from the host reaches the guest; socket removed"
else
	not_ok "virtio console: input from the host reaches the guest; socket removed" \
		"exit $rc" "reply: $reply"
fi
# The same with the device owned by CPU 1 (the reader, main, is on CPU 0).
"$toro" run "$probe" --cpus 2 --console "unix:$sock" --timeout 60 -- dedicate=1 echo \
	</dev/null >"$out" 2>&1 &
pid=$!
wait_socket $pid "$sock"
reply=$(printf 'to cpu 1\n' | socat STDIO,ignoreeof "UNIX-CONNECT:$sock" 2>&1)
wait $pid
rc=$?
if [ $rc -eq 0 ] && echo "$reply" | grep -q '^echo: to cpu 1$'; then
	ok "virtio console: input with the device owned by CPU 1"
else
	not_ok "virtio console: input with the device owned by CPU 1" "exit $rc" "reply: $reply"
fi
# Port 1 of a multiport console: the guest waits for the host to connect, sends a
# word, and prints the line the host answers.
wrapper="$out.qemu"
printf '#!/bin/sh\nexec qemu-system-x86_64 "$@" -chardev socket,id=p1,server=on,wait=off,path=%s -device virtserialport,chardev=p1,name=toro.port1\n' \
	"$sock" >"$wrapper"
chmod +x "$wrapper"
TORO_QEMU=$wrapper "$toro" run "$probe" --console "$vcon" --timeout 60 -- port1=hello \
	</dev/null >"$out" 2>&1 &
pid=$!
wait_socket $pid "$sock"
socat "UNIX-CONNECT:$sock" SYSTEM:'read w; echo "got $w"' 2>&1
wait $pid
rc=$?
if [ $rc -eq 0 ] && grep -q '^port1: got hello$' "$vcon"; then
	ok "virtio console: port 1 carries data both ways"
else
	not_ok "virtio console: port 1 carries data both ways" "exit $rc" \
		"console: $(cat "$vcon" 2>/dev/null)"
fi
rm -f "$wrapper" "$vcon" "$sock"

# A device Toro has no driver for (virtio-rng, ID 4), added through a QEMU wrapper.
wrapper="$out.qemu"
printf '#!/bin/sh\nexec qemu-system-x86_64 "$@" -device virtio-rng-device\n' >"$wrapper"
chmod +x "$wrapper"
TORO_QEMU=$wrapper expect "an unknown virtio device is reported and boot goes on" 0 \
	'^virtio: unknown device ID 4 at 0x[0-9a-f]+ \(ACPI\), ignored$' "$greeting" -- "$hello"
rm -f "$wrapper"
expect "a malformed virtio_mmio.device= is reported and boot goes on" 0 \
	'^virtio: malformed virtio_mmio.device=12@nowhere' "$greeting" -- "$hello" \
	-- virtio_mmio.device=12@nowhere
expect "a virtio_mmio.device= without a device is reported and ignored" 0 "$greeting" \
	'^virtio: no virtio-mmio device at 0xd0000000' -- "$hello" \
	-- virtio_mmio.device=4K@0xd0000000:5

# --- exit codes ---------------------------------------------------------------
expect "main's return value is the exit status" 5 -- "$probe" -- exit=5
expect "exit code 126 is the largest" 126 -- "$probe" -- exit=126
expect "out-of-range exit codes become 126 with a warning" 126 \
	'exit code 300 is outside 0..126' -- "$probe" -- exit=300
expect "negative exit codes become 126" 126 -- "$probe" -- exit=-1
expect "application arguments after a second --" 0 '^argv\[1\]=one$' \
	'^argv\[2\]=two words$' -- "$probe" -- args -- one "two words"

# --- timeouts and signals -----------------------------------------------------
start=$(date +%s%N)
expect "--timeout 2 stops a VM that never exits with 124" 124 'spinning' \
	'timeout' -- "$probe" --timeout 2 -- spin
took=$((($(date +%s%N) - start) / 1000000))
if [ "$took" -le 3000 ]; then
	ok "the timeout took ${took} ms (at most 3000)"
else
	not_ok "the timeout took ${took} ms (at most 3000)"
fi
if [ -z "$(qemu_of "$probe")" ]; then ok "no QEMU left after the timeout"; else
	not_ok "no QEMU left after the timeout" "still running: $(qemu_of "$probe")"
fi

# Ctrl-C: SIGINT to toro stops QEMU and exits 130. Wait for the guest to be up.
"$toro" run "$probe" -- spin </dev/null >"$out" 2>&1 &
pid=$!
i=0
while ! grep -q spinning "$out" && [ $i -lt 600 ]; do
	i=$((i + 1))
	sleep 0.05
done
kill -INT $pid
wait $pid
rc=$?
if [ $rc -eq 130 ] && [ -z "$(qemu_of "$probe")" ]; then
	ok "Ctrl-C stops the VM, exits 130, leaves no QEMU"
else
	not_ok "Ctrl-C stops the VM, exits 130, leaves no QEMU" "exit $rc" \
		"left: $(qemu_of "$probe")"
fi

# --- console input ------------------------------------------------------------
printf 'hello toro\n' | "$toro" run "$probe" --timeout 60 -- echo >"$out" 2>&1
rc=$?
if [ $rc -eq 0 ] && grep -q '^echo: hello toro$' "$out"; then
	ok "console input reaches the guest"
else
	not_ok "console input reaches the guest" "exit $rc"
fi

# --- exception reports --------------------------------------------------------
report='^exception: '
expect "NULL dereference: report names the function" 70 \
	"${report}page fault \(#PF\) at 0x[0-9a-f]+ in fault_null_deref\+" \
	'NULL pointer dereference' '^  rax [0-9a-f]{16} rbx' '^  in the main thread on CPU 0$' \
	'#1 +0x[0-9a-f]+ main\+' -- "$faults" -- fault=null
expect "stack overflow hits the guard page" 70 "${report}page fault" \
	'stack overflow: hit the guard page below the boot stack' \
	'#0 +0x[0-9a-f]+ fault_recurse\+' -- "$faults" -- fault=stack
expect "write to read-only data faults" 70 'protection violation on write' \
	'fault_write_rodata\+' -- "$faults" -- fault=write_rodata
expect "executing data faults (NX)" 70 'protection violation on instruction fetch' \
	'#1 +0x[0-9a-f]+ fault_exec_data\+' -- "$faults" -- fault=exec_data
expect "invalid opcode" 70 "${report}invalid opcode \(#UD\).* in fault_invalid_opcode\+" \
	-- "$faults" -- fault=ud
expect "divide error" 70 "${report}divide error \(#DE\).* in fault_divide" \
	-- "$faults" -- fault=div
expect "general protection fault" 70 \
	"${report}general protection fault \(#GP\).* in fault_general_protection\+" \
	-- "$faults" -- fault=gp
expect "panic prints file:line and a backtrace" 70 \
	'^panic: tests/guest/exceptions/main.c:[0-9]+: deliberate panic with value 42$' \
	'#0 +0x[0-9a-f]+ fault_panic\+' -- "$faults" -- fault=panic
expect "a fault in a thread names the thread and its CPU" 70 \
	'^created thread [0-9]+$' '^  in thread [0-9]+ on CPU 0$' 'NULL pointer dereference' \
	'#0 +0x[0-9a-f]+ faulting_thread\+' -- "$probe" -- thread_fault=null
expect "a fault in a thread on CPU 2 names CPU 2" 70 '^  in thread [0-9]+ on CPU 2$' \
	'#0 +0x[0-9a-f]+ faulting_thread\+' -- "$probe" --cpus 4 -- thread_fault=null thread_cpu=2
expect "a thread's stack overflow hits its guard page" 70 \
	'stack overflow: hit the guard page below the thread stack' \
	'thread_recurse\+' -- "$probe" -- thread_fault=stack
expect "KASSERT failure panics" 70 'assertion failed: x == 1' -- "$faults" -- fault=assert

# --- the runner itself ----------------------------------------------------------
expect "a missing image is a clear error" 2 'cannot open .*nonexistent.elf' \
	-- "$O/nonexistent.elf"
expect "an image larger than --mem is refused before boot" 2 \
	'loads up to [0-9]+ KiB of guest memory; --mem must be larger' -- "$hello" --mem 1M
TORO_QEMU=/nonexistent/qemu expect "a missing QEMU is a clear error" 127 \
	'/nonexistent/qemu' -- "$hello"
expect "a bad --mem is a usage error" 2 'mem' -- "$hello" --mem lots

# --- build outputs --------------------------------------------------------------
if grep -q ' T main$' "$O/examples/hello.sym" && grep -q '<main>:' "$O/examples/hello.asm"
then ok "hello.sym and hello.asm are written next to the image"
else not_ok "hello.sym and hello.asm are written next to the image"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
