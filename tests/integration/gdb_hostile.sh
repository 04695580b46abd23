#!/bin/sh
# The GDB stub against hostile input, over the real socket of a running guest
# (`toro run gdb.elf --gdb unix:... -- ticker`, which prints "tick N" every
# 100 ms): bad checksums, missing '#', non-hex checksums, unknown commands, bad
# hex in every command that takes some, huge lengths, unmapped and non-canonical
# addresses, packets longer than PacketSize and than 64 KiB, 64 KiB of random
# bytes, Ctrl-C followed by garbage, connections cut mid-packet (stopped and
# running) or before their reply is read. After each, the stub must still
# answer a proper packet with the proper reply. Then a clean detach: the guest
# ticks on, a real gdb attaches and lists the threads, and its `kill` ends the
# VM with nothing left behind.
#
# The packets go through a small python client (below) that frames them byte
# for byte, reads the stub's output on a thread of its own (so the stub is never
# blocked on a full socket) and splits it into acks and packets, checking the
# checksum of each. In ack mode, as a fresh gdb would be; every reply is acked.
# Prints `ok N name` / `not ok N name` and ends with `N passed, N failed`.
set -u
O=${O:-build}
toro="$O/toro"
img="$O/tests/integration/gdb.elf"
: "${TORO_ACCEL:=tcg}"
export TORO_ACCEL
dir=$(mktemp -d /tmp/gdb_hostile.XXXXXX)
sock="$dir/gdb.sock"
console="$dir/console"
. tests/integration/lib.sh
tab=$(printf '\t')

ticks() { grep -c '^tick ' "$console" 2>/dev/null || :; }
vm_alive() { kill -0 "$vm" 2>/dev/null; }

cat >"$dir/client.py" <<'EOF'
import random, re, socket, sys, threading, time

SOCK, PATTERN, CONSOLE = sys.argv[1], int(sys.argv[2], 16), sys.argv[3]
WAIT = 15.0  # seconds for any one answer (TCG, and a stub that may be slow)


class Fail(Exception):
    pass


def frame(payload):
    if isinstance(payload, str):
        payload = payload.encode("latin-1")
    return b"$" + payload + b"#%02x" % (sum(payload) & 0xFF)


class Conn:
    """One connection; the stub's bytes, split into '+', '-', packets and noise."""

    def __init__(self):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.connect(SOCK)
        self.buf, self.pos, self.eof = bytearray(), 0, False
        self.cv = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        while True:
            try:
                d = self.s.recv(65536)
            except OSError:
                d = b""
            with self.cv:
                if d:
                    self.buf += d
                else:
                    self.eof = True
                self.cv.notify_all()
            if not d:
                return

    def send(self, data):
        self.s.sendall(data)

    def close(self):
        # shutdown first: a bare close() leaves the socket open while the
        # reader thread is blocked in recv(), and QEMU would not see us go.
        try:
            self.s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.s.close()

    def _token(self):
        """The next whole token at self.pos, or None if more bytes are needed."""
        b, p = self.buf, self.pos
        if p >= len(b):
            return None
        c = b[p]
        if c != ord("$"):
            self.pos += 1
            return chr(c) if c in b"+-" else ("noise", c)
        h = b.find(b"#", p + 1)
        if h < 0 or h + 3 > len(b):
            return None
        raw, sum_hex = bytes(b[p + 1 : h]), bytes(b[h + 1 : h + 3])
        self.pos = h + 3
        good = re.fullmatch(rb"[0-9a-fA-F]{2}", sum_hex) and int(sum_hex, 16) == sum(raw) & 0xFF
        if not good:
            raise Fail("reply %r with a bad checksum %r" % (raw[:80], sum_hex))
        out, esc = bytearray(), False
        for x in raw:
            if esc:
                out.append(x ^ 0x20)
                esc = False
            elif x == ord("}"):
                esc = True
            else:
                out.append(x)
        return ("pkt", out.decode("latin-1"))

    def token(self, wait=WAIT):
        end = time.monotonic() + wait
        with self.cv:
            while True:
                t = self._token()
                if t is not None:
                    return t
                left = end - time.monotonic()
                if self.eof:
                    raise Fail("the stub closed the connection")
                if left <= 0:
                    raise Fail("no answer within %.0f s (pending: %r)" % (wait, bytes(self.buf[self.pos :])[:80]))
                self.cv.wait(left)

    def packet(self, wait=WAIT):
        """The next packet, acked; acks and noise before it are skipped."""
        while True:
            t = self.token(wait)
            if isinstance(t, tuple) and t[0] == "pkt":
                self.send(b"+")
                return t[1]

    def expect(self, want):
        t = self.token()
        if t != want:
            raise Fail("expected %r, got %r" % (want, t))

    def cmd(self, payload):
        """Sends a packet; the stub must ack it, then reply (acked by us)."""
        self.send(frame(payload))
        self.expect("+")
        t = self.token()
        if not (isinstance(t, tuple) and t[0] == "pkt"):
            raise Fail("expected a reply to %r, got %r" % (payload[:40], t))
        self.send(b"+")
        return t[1]

    def sync(self):
        """After noise: a read whose reply nothing else can produce, then waits
        for it; every byte sent before has been handled by then."""
        want = ("%02x" % 23) * 8  # pattern[23]
        self.send(frame("m%x,8" % (PATTERN + 23 * 8)))
        while self.packet() != want:
            pass


def ticks():
    with open(CONSOLE, "rb") as f:
        return sum(1 for line in f if line.startswith(b"tick "))


def ticking(more=2, wait=WAIT):
    """Whether `more` new tick lines show on the console within `wait` s."""
    t0, end = ticks(), time.monotonic() + wait
    while time.monotonic() < end:
        if ticks() >= t0 + more:
            return True
        time.sleep(0.05)
    return False


dead = False


def case(name, fn):
    """Runs one check. After a timeout the stub is probed (sync): if it answers,
    the next checks go on; if not, they are reported as not tried."""
    global dead
    if dead:
        print("not ok\t%s\tnot tried: the stub stopped answering" % name, flush=True)
        return
    try:
        why = fn()
    except (Fail, OSError) as e:
        why = str(e)
        try:
            c.sync()
        except (Fail, OSError) as e2:
            why += "; then no answer to a proper packet either (%s)" % e2
            dead = True
    if why in (None, True):
        print("ok\t%s" % name, flush=True)
    else:
        print("not ok\t%s\t%s" % (name, why), flush=True)


def reply_is(c, payload, pattern):
    got = c.cmd(payload)
    if not re.fullmatch(pattern, got):
        return "%r: expected /%s/, got %r" % (payload[:60], pattern, got[:100])


def replies(c, table):
    """Every (payload, pattern) of table answered as it should; all are tried."""
    bad = [w for w in (reply_is(c, p, r) for p, r in table) if w]
    return "; ".join(bad) if bad else None


STOP = r"[TS][0-9a-f]{2}.*"
psize = [4096]
p1 = PATTERN + 8  # pattern[1], 01 01 01 ...
c = Conn()


def first_packet():
    return reply_is(c, "?", STOP)


def supported():
    got = c.cmd("qSupported:multiprocess+;swbreak+;hwbreak+;xmlRegisters=i386")
    m = re.search(r"(?:^|;)PacketSize=([0-9a-fA-F]+)(?:;|$)", got)
    if not m:
        return "no PacketSize in %r" % got
    psize[0] = int(m.group(1), 16)
    if psize[0] < 256:
        return "PacketSize %d is too small for gdb" % psize[0]


case("a first packet stops the running guest and '?' gets a stop reply", first_packet)
case("qSupported announces PacketSize", supported)
stopped_at = ticks()


# Framing: each bad packet is refused ('-') or dropped, never answered, and the
# next proper packet gets its own reply (cmd fails on any stray reply first).
def framing(data, acks):
    def run():
        c.send(data)
        for a in acks:
            c.expect(a)
        return reply_is(c, "?", STOP)

    return run


case("a bad checksum is answered '-' and nothing else", framing(b"$?#00", "-"))
case("a non-hex checksum is answered '-'", framing(b"$?#zz", "-"))
case("a half-hex checksum is answered '-'", framing(b"$?#3z", "-"))
case("a packet without '#' is dropped by the next '$'", framing(b"$m0,8$qSupported$$", ""))
case("a packet ending inside an escape is answered '-'", framing(b"$}#7d", "-"))
case("'+' and noise between packets are ignored", framing(b"+++\x00\xffxyz\r\n", ""))


def upper_sum():
    c.send(b"$qC#B4")
    c.expect("+")
    got = c.packet()
    if not got.startswith("QC"):
        return "qC with checksum B4: got %r" % got


case("an upper-case checksum is accepted (qC#B4)", upper_sum)


def nak_resend():
    last = c.cmd("qC")
    c.send(b"-")
    again = c.packet()
    if again != last:
        return "'-' after %r brought %r" % (last, again)
    return reply_is(c, "?", STOP)


case("a '-' from gdb gets the last reply again", nak_resend)

case("unknown commands get the empty reply", lambda: replies(c, [
    ("", ""), ("vNoSuchThing", ""), ("qToroNoSuchQuery", ""), ("QToroNoSuch", ""),
    ("jThreadsInfo", ""), ("!", ""), ("\x7f\x01\x02", ""), ("vMustReplyEmpty", ""),
    ("Z9,1000,1", ""), ("qXfer:auxv:read::0,100", ""),
]))

E01 = "E01"
case("bad hex and missing fields in m get E01", lambda: replies(c, [
    ("mzz,8", E01), ("m0,zz", E01), ("m0", E01), ("m,8", E01), ("m", E01),
    ("m0,8,9", E01), ("m0,8:", E01), ("m10000000000000000,1", E01),
    ("m2,ffffffffffffffff", E01), ("m%x,ffffffffffffffff" % PATTERN, E01),
    ("mffffffffffffffff,2", E01),
]))


def pattern_hex(i, n=1):
    return "".join(("%02x" % k) * 8 for k in range(i, i + n))


def writes_refused():
    before = c.cmd("m%x,8" % p1)
    why = replies(c, [
        ("M%x,8:zzzzzzzzzzzzzzzz" % p1, E01), ("M%x,8:00" % p1, E01),
        ("M%x,4:0000000000" % p1, E01), ("M%x,ffffffffffffffff:00" % p1, E01),
        ("M%x,8" % p1, E01), ("Mzz,1:00", E01), ("M%x,1:0" % p1, E01),
        ("X%x,8:ab" % p1, E01), ("X%x,1:" % p1, E01), ("X%x" % p1, E01),
        ("Xzz,1:a", E01), ("X%x,1:ab" % p1, E01),
    ])
    after = c.cmd("m%x,8" % p1)
    if why:
        return why
    if before != pattern_hex(1) or after != before:
        return "pattern[1] was %r, is %r after refused writes" % (before, after)


case("bad hex and bad lengths in M and X get E01 and write nothing", writes_refused)


def regs_refused():
    before = c.cmd("g")
    if not re.fullmatch(r"[0-9a-fx]+", before) or len(before) < 16 * 17 * 2:
        return "g gave %r" % before[:80]
    why = replies(c, [
        ("Gzz", E01), ("G000", E01), ("G", E01), ("G" + "0" * 16 + "zz", E01),
        ("Pzz=00", E01), ("P10=zz", E01), ("P3b=00", E01), ("P10", E01),
        ("P10=" + "0" * 15, E01), ("Pffffffffffffffffff=0", E01), ("P=00", E01),
        ("p3b", E01), ("pzz", E01), ("p", E01), ("p10,", E01),
    ])
    after = c.cmd("g")
    if why:
        return why
    if after != before:
        return "the registers changed after refused G/P packets"


case("bad hex and bad numbers in g/G/p/P get E01 and change no register", regs_refused)

case("bad hex and missing fields in Z/z get E01", lambda: replies(c, [
    ("Z0,zz,1", E01), ("Z0,,1", E01), ("Z0,1000", E01), ("Z0,1000,1,2", E01),
    ("Zzz,1000,1", E01), ("Z0,1000,100000000", E01), ("Z", E01), ("z0,zz,1", E01),
    ("z", E01), ("Z0,10000000000000000,1", E01),
]))

case("bad thread ids, qXfer requests and resume arguments get E01/E00, never a resume",
     lambda: replies(c, [
    ("Hg7fffffff", E01), ("Hx1", E01), ("Hgzz", E01), ("T7fffffff", E01),
    ("Tzz", E01), ("qThreadExtraInfo,0", E01), ("qThreadExtraInfo,zz", E01),
    ("qXfer:features:read:target.xml:zz,10", "E00"),
    ("qXfer:features:read:nosuch.xml:0,10", "E00"),
    ("qXfer:features:read:target.xml:ffffffff,10", E01),
    ("qXfer:threads:read::0,0", "E00"), ("czz", E01), ("Czz", E01), ("C05;", E01),
    ("szz", E01), ("S05;zz", E01), ("vCont;x", E01), ("vCont;s:7fffffff", E01),
    ("vCont;c:zz", E01), ("D;zz", E01), ("D;1;2", E01),
]))

E14 = "E14"
case("reads of the NULL page, huge lengths and non-canonical addresses get E14",
     lambda: replies(c, [
    ("m0,8", E14), ("m0,1", E14), ("m0,ffffffffffffffff", E14),
    ("m8000000000000000,8", E14), ("m8000000000000000,7fffffffffffffff", E14),
    ("m7ffffffffff8,8", E14), ("mfffffffffffffff8,8", E14),
    ("m1000000000000000,1000", E14),
]))

case("writes to the NULL page and non-canonical addresses get E14", lambda: replies(c, [
    ("M0,8:0000000000000000", E14), ("M0,1:cc", E14), ("M8000000000000000,1:00", E14),
    ("X0,1:\x00", E14), ("X8000000000000000,1:a", E14), ("X0,0:", "OK"),
]))

case("breakpoints and watchpoints on the NULL page and non-canonical addresses get E02",
     lambda: replies(c, [
    ("Z0,0,1", "E02"), ("Z0,8000000000000000,1", "E02"), ("Z1,8000000000000000,1", "E02"),
    ("Z2,8000000000000000,8", "E02"), ("Z3,8000000000000000,8", "E02"),
    ("Z4,8000000000000000,8", "E02"),
]))


def big_reads():
    want = pattern_hex(0, 32)
    for length in ("800", "100000", "ffffffff"):
        got = c.cmd("m%x,%s" % (PATTERN, length))
        if len(got) > psize[0] or len(got) % 2 or not got.startswith(want):
            return "m%x,%s: %d bytes, starting %r" % (PATTERN, length, len(got), got[:40])


case("reads of 2 KiB and more come back whole or short, never past PacketSize", big_reads)


def target_xml():
    doc, off = "", 0
    while off < 1 << 20:
        got = c.cmd("qXfer:features:read:target.xml:%x,ffff" % off)
        if got[:1] not in ("m", "l") or len(got) > psize[0]:
            return "at offset %d: %d bytes, starting %r" % (off, len(got), got[:40])
        doc += got[1:]
        off += len(got) - 1
        if got[0] == "l":
            break
    if not doc.rstrip().endswith("</target>") or "x86-64" not in doc:
        return "target.xml read in pieces ends %r" % doc[-40:]


case("qXfer of target.xml with a huge length comes in pieces within PacketSize", target_xml)


def escaped_write():
    data = b"$#}*"
    esc = b"".join(b"}" + bytes([x ^ 0x20]) for x in data)
    addr = PATTERN + 2 * 8
    c.send(frame(b"X%x,4:" % addr + esc))
    c.expect("+")
    ok = c.packet()
    got = c.cmd("m%x,8" % addr)
    back = c.cmd("M%x,8:%s" % (addr, pattern_hex(2)))
    if ok != "OK" or got != data.hex() + "02" * 4 or back != "OK":
        return "X with escapes: %r, memory then %r, restoring %r" % (ok, got, back)


case("X with escaped binary data writes exactly those bytes", escaped_write)


def limit(n, want):
    def run():
        body = b"v" + b"x" * (n - 1)
        c.send(frame(body))
        if want == "-":
            c.expect("-")
            return reply_is(c, "?", STOP)
        c.expect("+")
        got = c.packet()
        if got != "":
            return "a %d-byte unknown packet got %r" % (n, got[:40])

    return run


case("a packet of exactly PacketSize bytes is taken (empty reply)", lambda: limit(psize[0], "")())
case("a packet of PacketSize + 1 bytes is refused with '-'", lambda: limit(psize[0] + 1, "-")())
case("a packet of 70,000 bytes is refused with '-'", limit(70000, "-"))


def no_hash():
    c.send(b"$" + b"m0,8" * (1 << 18))  # 1 MiB, never closed by a '#'
    return reply_is(c, "?", STOP)


case("1 MiB without a '#', then a proper packet: the packet is answered", no_hash)


def still_stopped():
    now = ticks()
    if now != stopped_at:
        return "%d tick lines while stopped (from %d to %d)" % (now - stopped_at, stopped_at, now)


case("the guest stays stopped while the stub answers", still_stopped)


def cont():
    c.send(frame("c"))
    c.expect("+")
    if not ticking():
        return "no new tick lines after 'c'"


def interrupt_garbage():
    c.send(b"\x03" + b"\x00\xff}}##$$+-garbage\x03\x03$qC#zz" + bytes(range(256)))
    first = c.packet()
    if not re.fullmatch(r"[TS]02.*", first):
        return "the reply to 0x03 was %r, not a SIGINT stop" % first
    c.sync()
    return reply_is(c, "?", r"[TS]02.*")


case("'c' resumes the guest (new tick lines)", cont)
case("0x03 then garbage: a SIGINT stop reply, and '?' still answered", interrupt_garbage)


def random_bytes():
    # This seed's bytes hold no packet with a good checksum (checked once with
    # a copy of the receiver's state machine): nothing in them is a command.
    data = random.Random(20261207).randbytes(65536)
    c.send(data)
    c.sync()
    return reply_is(c, "?", STOP)


case("'c' resumes the guest again", cont)
case("64 KiB of random bytes (seed 20261207) at a running guest, then '?' answered", random_bytes)


# Connections cut in the middle: the stub must not wait for the rest of a
# packet that will never come. What it had not answered yet is dropped, and it
# looks for the hang-up before each reply; but a reply QEMU took while the old
# socket was closing stays in QEMU (its chardev keeps a write that failed) and
# goes to the next client. gdb skips such a packet: one that comes while it
# waits for the '+' of its own is acked and dropped ("an old response sent
# because an ACK was lost", gdb's remote.c). So the new connection may see at
# most the replies to what the old one sent (stale), then its own '+' and reply.
def cut(data, running=False, stale_max=0):
    def run():
        global c
        if running:
            why = cont()
            if why:
                return why
        c.send(data)
        c.close()
        c = Conn()
        # As gdb does in ack mode: a packet that gets no '+' is sent again (the
        # stub drops what was pending when it saw the old connection go, and
        # this one may have been quick enough to be part of that).
        stale = 0
        for _ in range(3):
            c.send(frame("?"))
            try:
                t = c.token(wait=3.0)
                while isinstance(t, tuple) and t[0] == "pkt" and stale < stale_max:
                    stale += 1
                    c.send(b"+")
                    t = c.token(wait=3.0)
                break
            except Fail as e:
                if "no answer" not in str(e):
                    raise
        else:
            return "'?' got no '+' in 3 tries"
        if t != "+":
            return "the new connection got %r first (after %d stale replies), not the '+' for its '?'" % (
                (t[0], t[1][:60]) if isinstance(t, tuple) else t, stale)
        got = c.packet()
        if not re.fullmatch(STOP, got):
            return "'?' on the new connection got %r" % got[:100]
    return run


case("a connection cut mid-packet while stopped: a new one is answered",
     cut(b"$m%x,8" % p1))
case("a connection cut inside the checksum: a new one is answered", cut(b"$?#3"))
case("a connection cut before its replies are read: a new one gets its own, after at most those two",
     cut(frame("g") + frame("m%x,800" % p1), stale_max=2))
case("a connection cut mid-packet while running: a new one stops the guest",
     cut(b"$qSupported:swbreak+;hw", running=True))


def detach():
    c.send(b"$D#44")
    c.expect("+")
    got = c.packet()
    if got != "OK":
        return "D answered %r" % got
    if not ticking():
        return "no new tick lines after the detach"


case("D gets OK and the guest runs on", detach)
c.close()
print("done", flush=True)
EOF

"$toro" run "$img" --gdb "unix:$sock" --timeout 900 -- ticker >"$console" 2>&1 </dev/null &
vm=$!
if wait_for 600 '[ -S "$sock" ] && [ "$(ticks)" -ge 2 ] || ! vm_alive' && vm_alive; then
	ok "the guest boots and ticks with the stub's socket open"
else
	not_ok "the guest boots and ticks with the stub's socket open" "ticks: $(ticks)"
	results
	exit
fi

pattern=$(awk '$3 == "pattern" { print $1 }' "${img%.elf}.sym")
timeout 600 python3 "$dir/client.py" "$sock" "$pattern" "$console" >"$dir/client.out" 2>&1
while IFS="$tab" read -r st name why; do
	case "$st" in
	ok) ok "$name" ;;
	"not ok") not_ok "$name" "$why" ;;
	esac
done <"$dir/client.out"
grep -qx done "$dir/client.out" ||
	not_ok "the client ran to its end" "$(grep -v "^ok$tab\|^not ok$tab" "$dir/client.out")"

# A real gdb still attaches, lists Toro's threads, and its kill ends the VM.
timeout 120 gdb -nx -batch -ex 'set remotetimeout 30' -ex "target remote $sock" \
	-ex 'info threads' -ex 'kill' "$img" >"$dir/gdb.out" 2>&1
gdb_rc=$?
if grep -q 'main' "$dir/gdb.out" && grep -q 'worker_loop' "$dir/gdb.out"; then
	ok "gdb attaches after all that and info threads lists main and the worker"
else
	not_ok "gdb attaches after all that and info threads lists main and the worker" \
		"gdb exit $gdb_rc" "$(cat "$dir/gdb.out")"
fi
if wait_for 300 '! vm_alive'; then
	wait "$vm"
	rc=$?
	vm=""
	case $rc in
	70) ok "gdb's kill ends the VM (exit code 70, as documented)" ;;
	*) not_ok "gdb's kill ends the VM (exit code 70, as documented)" "toro exited with $rc" ;;
	esac
else
	not_ok "gdb's kill ends the VM" "still running 30 s later"
fi
left=$(pgrep -f "$dir" || :)
if [ -z "$left" ] && [ ! -e "$sock" ]; then
	ok "nothing left behind (no process, no socket)"
else
	not_ok "nothing left behind (no process, no socket)" "processes: $left" \
		"$(ls -l "$sock" 2>&1)"
fi
if [ "$failed" -gt 0 ]; then
	echo "# console, without its tick lines ($(ticks) of those):"
	grep -v '^tick ' "$console" | tail -n 20 | sed 's/^/#   /'
fi
results
