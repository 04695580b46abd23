#!/bin/sh
# Where a vsock stream's guest instructions go, deterministically: the vsock
# test image on 2 CPUs under `-icount shift=0,sleep=off` (the guest's TSC then
# counts instructions), with the kernel's trace points on (trace=virtq,irq,
# sched,mbox,ipi,sock; toro run --trace). One boot per direction: a first
# connection (port 7) takes CPU 0, so the measured one, 1 MiB to port 9
# (host->guest) or from port 19 (guest->host), mostly runs on CPU 1 while the
# device is CPU 0's: every packet then crosses CPUs through a mailbox (the
# output says which CPU it was).
# From the dump, over the measured connection's calls: the guest's kicks,
# device interrupts, IPIs and mailbox messages per MiB, and instructions per
# MiB in the interrupt handler, the vsock service thread (used-ring walk,
# copies, credit updates, replies: one slice from its wake to its sleep) and
# the application's thread (its socket calls, the copy to or from its buffer);
# and toro-vsockd's own count (--stats) of the kicks it saw, its wake-ups and
# the interrupts it sent, over the whole boot.
#   bench/vsockprof.sh BUILD_DIR      (VSOCKPROF_BYTES, default 1048576)
set -u
O=${1:?usage: bench/vsockprof.sh BUILD_DIR}
bytes=${VSOCKPROF_BYTES:-1048576}
dir=$(mktemp -d)
vm=""
trap '[ -n "$vm" ] && kill "$vm" 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"' EXIT
trap 'exit 130' INT TERM
. "$(dirname "$0")/icount.sh"
icount_qemu "$dir"
# The daemon counts its rings' kicks and interrupts, and says so at exit.
printf '#!/bin/sh\nexec %s "$@" --stats\n' "${TORO_VSOCKD:-$(cd "$O" && pwd)/toro-vsockd}" \
	>"$dir/vsockd"
chmod +x "$dir/vsockd"
export TORO_VSOCKD="$dir/vsockd"

fail() {
	echo "vsockprof: $*" >&2
	for f in "$dir"/*.log; do [ -f "$f" ] && tail -n 5 "$f" >&2; done
	exit 1
}

# run NAME CONNECT-LINES: boots, warms up, runs the transfer, exits the guest.
run() {
	name=$1 sock="$dir/$1.sock"
	TORO_QEMU="$icount" "$O/toro" run "$O/tests/integration/vsock.elf" --cpus 2 \
		--vsock "$sock" --trace virtio_queue_notify --trace-file "$dir/$name" \
		--timeout 600 -- trace=virtq,irq,sched,mbox,ipi,sock >"$dir/$name.log" 2>&1 </dev/null &
	vm=$!
	i=0
	until printf 'CONNECT 7\nx' | timeout 5 socat -t 5 - UNIX-CONNECT:"$sock" 2>/dev/null |
		grep -q '^x$'; do
		i=$((i + 1))
		[ $i -ge 3000 ] && fail "$name: the guest never served port 7"
		kill -0 "$vm" 2>/dev/null || fail "$name: the guest stopped"
		sleep 0.02
	done
	if [ "$name" = h2g ]; then
		got=$({ printf 'CONNECT 9\n'; head -c "$bytes" /dev/zero; } |
			timeout 300 socat -t 60 - UNIX-CONNECT:"$sock" | tail -n 1)
	else
		got=$(printf 'CONNECT 19\n%s\n' "$bytes" |
			timeout 300 socat -t 60 - UNIX-CONNECT:"$sock" | tail -n +2 | wc -c)
	fi
	printf 'CONNECT 1\nexit 0\n' | socat -t 5 - UNIX-CONNECT:"$sock" >/dev/null 2>&1
	wait "$vm" || fail "$name: toro run failed"
	vm=""
	[ -s "$dir/$name.guest" ] || fail "$name: no trace dump"
	echo "$got" >"$dir/$name.got"
}

run h2g
run g2h
python3 - "$dir" "$bytes" <<'EOF'
import sys
d, nbytes = sys.argv[1], int(sys.argv[2])
mib = nbytes / 1048576
print("vsock, where the guest's instructions go (-icount, 2 CPUs, the device on CPU 0):")
print("  %-34s %14s %14s" % ("per MiB", "host->guest", "guest->host"))
rows, cpus = {}, {}
for name in ("h2g", "g2h"):
    recs, names = [], {}
    for line in open("%s/%s.guest" % (d, name)):
        w = line.split()
        if w and w[0] == "ev":
            recs.append((int(w[2]), int(w[1]), w[3], int(w[4]), int(w[5]), int(w[6])))
        elif w and w[0] == "thread":
            names[int(w[1])] = " ".join(w[3:])
    recs.sort()
    # The measured connection's calls: the recv (h2g) or send (g2h) calls of
    # the CPU that moved the most bytes with them.
    want = 4 if name == "h2g" else 3  # TRACE_CALL_RECV, TRACE_CALL_SEND
    moved = {}
    for r in recs:
        if r[2] == "call" and r[3] == want and r[5] < 1 << 63:
            moved[r[1]] = moved.get(r[1], 0) + r[5]
    if not moved:
        sys.exit("vsockprof: %s: no calls of the stream in the dump" % name)
    app_cpu = max(moved, key=moved.get)
    cpus[name] = app_cpu
    calls = [r for r in recs if r[2] == "call" and r[1] == app_cpu and r[3] == want]
    if not calls:
        sys.exit("vsockprof: %s: no calls of the stream in the dump" % name)
    t0, t1 = min(r[4] for r in calls), max(r[0] for r in calls)
    win = [r for r in recs if t0 <= r[0] <= t1]
    def count(kind, cpu=None):
        return sum(1 for r in win if r[2] == kind and (cpu is None or r[1] == cpu))
    svc = [t for t, n in names.items() if n == "vs_service"]
    # Thread slices: from a switch to a thread to the next switch on its CPU,
    # cut to the window. (Idle time is not instructions: with sleep=off the
    # clock skips to the next timer while every CPU halts.)
    slices, last = [], {}
    for r in recs:
        if r[2] != "switch":
            continue
        if r[1] in last:
            ts, tid = last[r[1]]
            a, b = max(ts, t0), min(r[0], t1)
            if b > a:
                slices.append((r[1], tid, a, b))
        last[r[1]] = (r[0], r[4])
    def ran(pred):
        return sum(b - a for c, t, a, b in slices if pred(c, t))
    app = [t for t, n in names.items() if n == "run_job"]
    in_calls = 0
    for r in calls:
        for c, t, a, b in slices:
            if c == app_cpu and t in app:
                in_calls += max(0, min(b, r[0]) - max(a, r[4]))
    irq = sum(r[0] - r[4] for r in win if r[2] == "irq")
    busy = ran(lambda c, t: names.get(t) != "idle")
    svc_ins = ran(lambda c, t: t in svc)
    app_ins = ran(lambda c, t: t in app)
    rows[name] = [
        ("instructions, not idle (both CPUs)", busy / mib),
        ("  vsock service thread", svc_ins / mib),
        ("  the application, in socket calls", in_calls / mib),
        ("  the application, its own work", (app_ins - in_calls) / mib),
        ("  other threads", (busy - svc_ins - app_ins) / mib),
        ("  (of all these: interrupt handlers)", irq / mib),
        ("instructions per socket call", in_calls / len(calls)),
        ("socket calls", len(calls) / mib),
        ("guest kicks", count("kick") / mib),
        ("device interrupts", count("vq_irq") / mib),
        ("IPIs", count("ipi") / mib),
        ("mailbox messages", count("mbox_send") / mib),
        ("thread switches", count("switch") / mib),
    ]
    # toro-vsockd --stats, over the whole boot: ring 0 is rx, 1 tx.
    st = {}
    for line in open("%s/%s.log" % (d, name)):
        w = line.split()
        if line.startswith("toro-vsockd: stats: ring ") and len(w) >= 12:
            st[int(w[3].rstrip(":"))] = (int(w[4]), int(w[8]), int(w[10]))
    if 0 not in st or 1 not in st:
        sys.exit("vsockprof: %s: toro-vsockd printed no stats" % name)
    rows[name] += [
        ("daemon (whole boot): rx kicks seen", st[0][0] / mib),
        ("  tx kicks seen", st[1][0] / mib),
        ("  its wake-ups for them", (st[0][1] + st[1][1]) / mib),
        ("  interrupts sent (rx + tx)", (st[0][2] + st[1][2]) / mib),
    ]
for i, (label, _) in enumerate(rows["h2g"]):
    print("  %-34s %14.0f %14.0f" % (label, rows["h2g"][i][1], rows["g2h"][i][1]))
print("  (bytes moved: %s host->guest, %s guest->host; the application's thread on CPU %d and %d)" % (
    open(d + "/h2g.got").read().strip(), open(d + "/g2h.got").read().strip(), cpus["h2g"], cpus["g2h"]))
EOF
