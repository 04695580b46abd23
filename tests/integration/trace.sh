#!/bin/sh
# toro run --trace and toro trace on real runs: examples/echo on 2 CPUs with
# vsock (toro-vsockd, socat), stopped with Ctrl-C (SIGINT), and examples/hello,
# which exits by itself. Checks the kernel's dump, the summary, and that the
# Chrome trace JSON holds guest and QEMU events on one time line: each of
# QEMU's virtio_queue_notify events (devices QEMU itself runs, such as the
# virtio-console) must lie within 200 us of a guest kick, at the median.
# Prints `ok N name` / `not ok N name` and ends with `N passed, N failed`.
set -u
O=${O:-build}
toro="$O/toro"
dir=$(mktemp -d /tmp/trace.XXXXXX)
console="$dir/console"
logs="$console"
TMPDIR="$dir/t"
export TMPDIR
. tests/integration/lib.sh
mkdir -p "$TMPDIR"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
trace="$dir/echo.trace"

"$toro" run "$O/examples/echo.elf" --cpus 2 --vsock "$dir/v.sock" \
	--publish "127.0.0.1:$port:7" --trace 'virtio_*' --trace-file "$trace" \
	--timeout 600 -- -- 1 >"$console" 2>&1 </dev/null &
vm=$!
wait_for 1200 'grep -q "listening on vsock port 7" "$console" || ! kill -0 $vm 2>/dev/null'
check "echo starts with --trace" "echo: listening on vsock port 7" "$(grep '^echo:' "$console")"
for i in 1 2 3; do
	got=$(echo "round $i" | socat -t 30 -T 60 - "TCP:127.0.0.1:$port")
	check "round trip $i through the traced guest" "round $i" "$got"
done

# Ctrl-C: toro asks the guest for its dump before it stops QEMU.
kill -INT "$vm"
wait_for 300 '! kill -0 $vm 2>/dev/null'
wait "$vm"
rc=$?
vm=""
check "toro run exits 130 after Ctrl-C" 130 "$rc"
if [ -s "$trace" ] && tail -n 1 "$trace.guest" 2>/dev/null | grep -q '^end [0-9]* [0-9]*$'; then
	ok "QEMU's log and the guest's dump are written, the dump to its end line"
else
	not_ok "QEMU's log and the guest's dump are written, the dump to its end line" \
		"$(ls -l "$dir")" "$(tail -n 3 "$trace.guest" 2>&1)"
fi

"$toro" trace "$trace" >"$dir/summary" 2>&1
rc=$?
check "toro trace succeeds" 0 "$rc"
sed 's/^/# /' "$dir/summary"
grep -q '^ *[0-9][0-9]*  virtio_queue_notify$' "$dir/summary" &&
	grep -q '^guest: [0-9]* records from 2 CPUs' "$dir/summary" &&
	grep -q '^time base: [0-9]* syncs with QEMU' "$dir/summary" &&
	ok "the summary counts QEMU's events, the guest's records on both CPUs, and has a time base" ||
	not_ok "the summary counts QEMU's events, the guest's records on both CPUs, and has a time base"
# Three connections: the server accepted, received and sent at least three times.
calls=$(awk '$1 ~ /^toro_(accept|recv|send):$/ && $2 >= 3 { n++ } END { print n + 0 }' "$dir/summary")
check "the summary has the echo's accept, recv and send calls, three or more each" 3 "$calls"
grep -q 'kick to interrupt: median' "$dir/summary" &&
	ok "the summary gives a device's kick-to-interrupt round trip" ||
	not_ok "the summary gives a device's kick-to-interrupt round trip"

if python3 -m json.tool "$trace.json" >/dev/null 2>"$dir/json.err"; then
	ok "python3 -m json.tool accepts the JSON"
else
	not_ok "python3 -m json.tool accepts the JSON" "$(cat "$dir/json.err")"
fi
# Guest kicks against QEMU's notifies: each notify of a device QEMU runs comes
# from a guest kick just before it (the MMIO write, handled at once).
python3 - "$trace.json" >"$dir/align" 2>&1 <<'EOF'
import json, sys
ev = json.load(open(sys.argv[1]))["traceEvents"]
pids = {e["pid"] for e in ev if e.get("ph") != "M"}
kicks = sorted(e["ts"] for e in ev if e.get("pid") == 1 and e["name"] == "kick")
notes = sorted(e["ts"] for e in ev if e.get("pid") == 2 and e["name"] == "virtio_queue_notify")
d = sorted(min(abs(t - k) for k in kicks) for t in notes) if kicks else []
print("pids", sorted(pids), "kicks", len(kicks), "notifies", len(notes))
print("median_us", d[len(d) // 2] if d else "none")
ok = pids >= {1, 2} and len(notes) >= 3 and d and d[len(d) // 2] <= 200
print("ALIGNED" if ok else "NOT ALIGNED", [round(x, 1) for x in d[:10]])
EOF
if grep -q '^ALIGNED' "$dir/align"; then
	ok "guest and QEMU events share one time line (a notify is $(awk '/median_us/ { print $2 }' "$dir/align") us from its kick)"
else
	not_ok "guest and QEMU events share one time line" "$(cat "$dir/align")"
fi

# An application that exits by itself dumps at its exit.
trace2="$dir/hello.trace"
"$toro" run "$O/examples/hello.elf" --trace 'virtio_console_*' --trace-file "$trace2" \
	--timeout 300 >"$dir/hello.out" 2>&1 </dev/null
check "hello with --trace exits 0" 0 "$?"
"$toro" trace "$trace2" --json "$dir/hello.json" >"$dir/hello.summary" 2>&1
if grep -q '^guest: [1-9][0-9]* records from 1 CPU$' "$dir/hello.summary" &&
	grep -q '^wrote .*hello.json' "$dir/hello.summary" && python3 -m json.tool "$dir/hello.json" >/dev/null; then
	ok "an exit writes the dump; toro trace --json OUT writes OUT"
else
	not_ok "an exit writes the dump; toro trace --json OUT writes OUT" "$(cat "$dir/hello.summary")"
fi

# Bad input: options refused, damaged files reported, never trusted.
"$toro" run "$O/examples/hello.elf" --trace 'virtio_*;rm' >"$dir/bad.out" 2>&1
rc=$?
if [ "$rc" -eq 2 ] && grep -q -- '--trace: expected QEMU trace event patterns' "$dir/bad.out"; then
	ok "--trace with a bad pattern is refused (exit 2)"
else
	not_ok "--trace with a bad pattern is refused (exit 2)" "exit $rc" "$(cat "$dir/bad.out")"
fi
"$toro" run "$O/examples/hello.elf" --trace 'virtio_*' --trace-file "$dir/off.trace" \
	-- trace=bogus >"$dir/off.out" 2>&1 </dev/null
if grep -q 'trace: unknown group in trace=bogus' "$dir/off.out" && grep -q 'Hello from Toro' "$dir/off.out"; then
	ok "an unknown trace= group is named and the guest runs on untraced"
else
	not_ok "an unknown trace= group is named and the guest runs on untraced" "$(cat "$dir/off.out")"
fi
cp "$trace" "$dir/bad.trace"
{
	head -n 5 "$trace.guest"
	printf 'ev 0 1 bogus 1 2 3\nthread 1 0 \001\002\nev 0 99999999999999999999999 kick 0 0 0\n'
	head -c 3000 /dev/urandom | tr -d '\n'
	printf '\n'
	tail -n +6 "$trace.guest"
} >"$dir/bad.trace.guest"
"$toro" trace "$dir/bad.trace" >"$dir/bad.summary" 2>&1
rc=$?
if [ "$rc" -eq 0 ] && grep -q '^skipped: 0 bad lines in .*, [4-9] in ' "$dir/bad.summary" &&
	grep -q 'bad.trace.guest:6: an ev line of an unknown type, skipped' "$dir/bad.summary" &&
	python3 -m json.tool "$dir/bad.trace.json" >/dev/null; then
	ok "a damaged dump: each bad line is named and skipped, the rest is used"
else
	not_ok "a damaged dump: each bad line is named and skipped, the rest is used" "exit $rc" \
		"$(head -n 12 "$dir/bad.summary")"
fi
"$toro" trace "$dir/missing" >"$dir/missing.out" 2>&1
rc=$?
if [ "$rc" -ne 0 ] && grep -q 'missing: No such file or directory' "$dir/missing.out"; then
	ok "toro trace on a missing file says so and fails"
else
	not_ok "toro trace on a missing file says so and fails" "exit $rc" "$(cat "$dir/missing.out")"
fi

left=$(pgrep -f "qemu-system-x86_64.*$dir" | wc -l)
check "nothing left behind (no QEMU, no toro-vsockd socket)" "0 0" \
	"$left $(find "$dir" -name 'v.sock*' | wc -l)"
results
