#!/bin/sh
# Integration tests of toro-vsockd with vsock-peer playing QEMU and the guest.
#   tests/integration/vsockd.sh BUILD_DIR
# Real sockets, socat as the host client. Prints `ok - NAME` / `not ok - NAME` per
# check and ends with `N passed, N failed`; exits non-zero on any failure. Waits
# are bounded poll loops on a condition, never fixed sleeps.
set -u
O=${1:-build}
daemon=$O/toro-vsockd
peer=$O/bench/vsock-peer
bench=$O/bench/vsockbench
passed=0 failed=0
dir=$(mktemp -d)
pids=""

cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	for p in $pids; do wait "$p" 2>/dev/null; done
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ok() { passed=$((passed + 1)); echo "ok - $1"; }
not_ok() {
	failed=$((failed + 1))
	echo "not ok - $1"
	[ $# -gt 1 ] && echo "# $2"
	[ -f "$dir/d.log" ] && sed 's/^/#   /' "$dir/d.log" | tail -n 10
}
check() { name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name"; fi; }

# wait_for CMD...: up to 10 s, polling every 20 ms.
wait_for() {
	i=0
	while [ $i -lt 500 ]; do
		"$@" && return 0
		sleep 0.02
		i=$((i + 1))
	done
	return 1
}
alive() { kill -0 "$1" 2>/dev/null; }
dead() { ! kill -0 "$1" 2>/dev/null; }
gone() { [ ! -e "$1" ]; }
quiet() { "$@" >/dev/null; }

# A TCP port nobody listens on: a random high one, checked with socat.
free_port() {
	while :; do
		p=$(( $(od -An -N2 -tu2 /dev/urandom) % 20000 + 30000 ))
		socat -u OPEN:/dev/null TCP:127.0.0.1:$p 2>/dev/null || { echo $p; return; }
	done
}

# start_daemon ARGS...: starts toro-vsockd and waits for its ready line. With
# NOFILE set, under that fd limit.
start_daemon() {
	rm -f "$dir/ready"
	mkfifo "$dir/ready"
	sh -c 'ulimit -n ${NOFILE:-$(ulimit -n)} && exec "$0" "$@"' "$daemon" "$@" \
		--ready-fd 3 3>"$dir/ready" 2>"$dir/d.log" &
	dpid=$!
	pids="$pids $dpid"
	read -r line <"$dir/ready"
	[ "$line" = ready ]
}

start_peer() {
	"$peer" --socket "$dir/s.sock" 2>"$dir/p.log" &
	ppid=$!
	pids="$pids $ppid"
}

# hybrid PORT [DATA-FILE]: CONNECT through the hybrid socket, send the file, print
# everything the daemon sent back (the OK line included).
hybrid() {
	{ printf 'CONNECT %s\n' "$1"; [ -n "${2:-}" ] && cat "$2"; } |
		timeout 20 socat -t 20 - UNIX-CONNECT:"$dir/v.sock"
}

fdcount() { ls /proc/"$1"/fd | wc -l; }

# echoes: a 1-byte echo through $uds works within 15 s in all (each try is
# bounded too, so a daemon that never answers cannot stretch the wait).
echoes() {
	timeout 15 sh -c "until printf 'CONNECT 7\nx' | timeout 3 socat -t 3 - \
		UNIX-CONNECT:$uds 2>/dev/null | grep -q '^x\$'; do sleep 0.1; done"
}

port=$(free_port)
uds=$dir/v.sock
start_daemon --socket "$dir/s.sock" --uds "$uds" --publish 127.0.0.1:$port:7
check "daemon starts and reports ready" alive "$dpid"
start_peer
# The peer is up once an echo works; poll for it.
check "peer connects and echoes 1 byte" wait_for sh -c \
	"printf 'CONNECT 7\nx' | timeout 5 socat -t 5 - UNIX-CONNECT:$uds 2>/dev/null | grep -q '^x$'"

out=$(printf 'CONNECT 7\nz' | timeout 5 socat -t 5 - UNIX-CONNECT:"$uds" 2>/dev/null | head -n 1)
check "OK line names a host port >= 2^30" sh -c "echo '$out' | grep -Eq '^OK (10[7-9][0-9]|1[1-9][0-9][0-9]|[2-4][0-9]{3})[0-9]{6}\$'"

head -c 1048576 /dev/urandom >"$dir/1m"
hybrid 7 "$dir/1m" >"$dir/1m.out"
tail -n +2 "$dir/1m.out" >"$dir/1m.back"
check "1 MiB echo through the hybrid socket (cksum)" \
	[ "$(cksum <"$dir/1m")" = "$(cksum <"$dir/1m.back")" ]

printf 'x' >"$dir/x"
check "CONNECT to a port nobody serves: closed without OK" \
	[ -z "$(hybrid 1234 "$dir/x")" ]
check "bad CONNECT line: closed" \
	[ -z "$(printf 'CONNECT abc\nx' | timeout 5 socat -t 5 - UNIX-CONNECT:"$uds")" ]
check "over-long CONNECT line: closed" \
	[ -z "$(printf 'CONNECT 00000000000000000000000000000007\n' |
		timeout 5 socat -t 5 - UNIX-CONNECT:"$uds")" ]
check "--publish: TCP echo via socat" \
	[ "$(printf hello | timeout 5 socat -t 5 - TCP:127.0.0.1:$port)" = hello ]

check "discard service counts bytes (port 9)" \
	[ "$(hybrid 9 "$dir/1m" | tail -n 1)" = 1048576 ]

before=$(fdcount "$dpid")
check "1000 sequential connect/echo/close cycles" \
	quiet "$bench" --uds "$uds" --cycles 1000
check "daemon fd count back to $before after the cycles" \
	wait_for sh -c "[ \$(ls /proc/$dpid/fd | wc -l) -eq $before ]"
check "1200 concurrent connections echo their own data" \
	quiet "$bench" --uds "$uds" --concurrent 1200
check "daemon fd count back to $before after 1200 concurrent" \
	wait_for sh -c "[ \$(ls /proc/$dpid/fd | wc -l) -eq $before ]"
check "short benchmark passes its own checks" \
	quiet "$bench" --uds "$uds" --rounds 50 --bytes 4000000 --runs 1

# Host clients the daemon must survive.
check "20 clients write 100 KB to echo and close without reading" \
	quiet "$bench" --uds "$uds" --misbehave close-unread
check "daemon still echoes after the unread closes" sh -c \
	"kill -0 $dpid && printf 'CONNECT 7\nx' |
	timeout 5 socat -t 5 - UNIX-CONNECT:$uds 2>/dev/null | grep -q '^x\$'"
check "daemon fd count back to $before after the unread closes" \
	wait_for sh -c "[ \$(ls /proc/$dpid/fd | wc -l) -eq $before ]"

# Guest-initiated connections go to PATH_P; nothing to test without a guest that
# connects out, but a second daemon on the live socket must be refused.
timeout 10 "$daemon" --socket "$dir/s.sock" --uds "$dir/other.sock" 2>"$dir/d2.log"
rc=$?
check "second daemon on a live SOCK exits 1" [ $rc -eq 1 ]
check "second daemon names the socket in its error" \
	grep -q "s.sock: Address already in use" "$dir/d2.log"
check "second daemon left no socket behind" gone "$dir/other.sock"
timeout 10 "$daemon" --socket "$dir/s3.sock" --uds "$dir/o3.sock" \
	--publish 127.0.0.1:$port:7 \
	2>"$dir/d3.log"
rc=$?
check "daemon on a TCP port in use exits 1 and cleans up" \
	sh -c "[ $rc -eq 1 ] && grep -q '127.0.0.1:$port: Address already in use' \
		'$dir/d3.log' && [ ! -e '$dir/s3.sock' ] && [ ! -e '$dir/o3.sock' ]"

kill -TERM "$dpid"
wait "$dpid"
rc=$?
check "SIGTERM: daemon exits 0" [ $rc -eq 0 ]
check "SIGTERM: both socket files removed" sh -c "[ ! -e '$dir/s.sock' ] && [ ! -e '$uds' ]"
check "peer exits when the daemon goes" wait_for dead "$ppid"

# A stale socket file (nobody listening) is reused; peer disconnect ends the daemon.
socat -u OPEN:/dev/null UNIX-LISTEN:"$dir/s.sock",unlink-close=0 2>/dev/null &
spid=$!
wait_for test -S "$dir/s.sock"
kill "$spid" 2>/dev/null
wait "$spid" 2>/dev/null
check "a stale socket file exists before the next start" test -S "$dir/s.sock"
start_daemon --socket "$dir/s.sock" --uds "$uds" --stats
check "stale socket file is replaced" alive "$dpid"
start_peer
echoes
kill -TERM "$ppid"
wait "$dpid"
rc=$?
check "peer disconnect: daemon exits 0" [ $rc -eq 0 ]
check "peer disconnect: both socket files removed" \
	sh -c "[ ! -e '$dir/s.sock' ] && [ ! -e '$uds' ]"
# --stats: a line per ring at exit; the echoes made the peer kick tx (ring 1)
# and the daemon interrupt rx (ring 0).
check "--stats: each ring's kicks and interrupts at exit, tx kicked, rx interrupted" \
	sh -c "[ \$(grep -c '^toro-vsockd: stats: ring [0-2]: [0-9]* guest kicks in [0-9]* wake-ups, [0-9]* interrupts\$' '$dir/d.log') -eq 3 ] &&
		grep -q '^toro-vsockd: stats: ring 1: [1-9][0-9]* guest kicks' '$dir/d.log' &&
		grep -q '^toro-vsockd: stats: ring 0: .*, [1-9][0-9]* interrupts\$' '$dir/d.log'"

# A host program that never reads what the guest sent before closing: the
# connection is dropped after --drain-timeout.
start_daemon --socket "$dir/s.sock" --uds "$uds" --drain-timeout 1 -v
start_peer
echoes
before=$(fdcount "$dpid")
# The reader holds its socket until we kill it, however slow the machine.
"$bench" --uds "$uds" --misbehave stall-drain --hold-ms 600000 >/dev/null &
bpid=$!
pids="$pids $bpid"
check "a reader that never reads is dropped after --drain-timeout" \
	wait_for grep -q "host did not read" "$dir/d.log"
check "its fd is closed while the reader still holds the socket" \
	wait_for sh -c "kill -0 $bpid && [ \$(ls /proc/$dpid/fd | wc -l) -eq $before ]"
kill "$bpid" 2>/dev/null
kill -TERM "$ppid"
wait "$dpid"
rc=$?
check "drain timeout: daemon exits 0 with the peer" [ $rc -eq 0 ]

# Out of fds: the listener pauses (one warning, no busy loop) and recovers.
NOFILE=40 start_daemon --socket "$dir/s.sock" --uds "$uds"
start_peer
echoes
quiet "$bench" --uds "$uds" --misbehave hold --count 80 --hold-ms 1500
check "fd limit: one warning, no accept loop" \
	[ "$(grep -c 'Too many open files' "$dir/d.log")" -eq 1 ]
check "fd limit: daemon echoes again once the clients left" wait_for sh -c \
	"printf 'CONNECT 7\nx' | timeout 5 socat -t 5 - UNIX-CONNECT:$uds 2>/dev/null | grep -q '^x$'"
kill -TERM "$ppid"
wait "$dpid"
rc=$?
check "fd limit: daemon exits 0 with the peer" [ $rc -eq 0 ]

# hostile MODE: a fresh daemon and a peer that misbehaves in MODE once (and checks
# the daemon's answer), then serves; the daemon must still echo 1 MiB and exit 0
# when the peer leaves (never die of a signal).
hostile() {
	start_daemon --socket "$dir/s.sock" --uds "$uds" -v
	"$peer" --socket "$dir/s.sock" --uds "$uds" --misbehave "$1" 2>"$dir/p.log" &
	ppid=$!
	pids="$pids $ppid"
	if echoes &&
		hybrid 7 "$dir/1m" | tail -n +2 | cmp -s - "$dir/1m"; then
		ok "$1: daemon echoes 1 MiB afterwards"
	else
		not_ok "$1: daemon echoes 1 MiB afterwards" "$(cat "$dir/p.log")"
	fi
	kill -TERM "$ppid" 2>/dev/null
	wait "$ppid"
	prc=$?
	wait "$dpid"
	rc=$?
	if [ $prc -eq 0 ] && [ $rc -eq 0 ]; then
		ok "$1: peer's checks pass, daemon exits 0"
	else
		not_ok "$1: peer's checks pass, daemon exits 0" \
			"peer $prc, daemon $rc: $(cat "$dir/p.log")"
	fi
	cp "$dir/d.log" "$dir/d-$1.log"
}
for m in reset-owner-under-load zero-region-table short-region late-mem-table \
	header-only-rx nonstream-flood refill-tx nofd-kick; do
	hostile $m
done
check "nonstream-flood: no control queue overflow" \
	sh -c "! grep -q 'control queue full' '$dir/d-nonstream-flood.log'"

# A GET request the daemon cannot answer ends the session, with a reason.
start_daemon --socket "$dir/s.sock" --uds "$uds"
"$peer" --socket "$dir/s.sock" --misbehave bad-vring-index 2>"$dir/p.log"
prc=$?
wait "$dpid"
rc=$?
check "GET_VRING_BASE for ring 5: the session ends instead of hanging" \
	[ $prc -eq 0 ]
check "... and the daemon exits 1 with a message" \
	sh -c "[ $rc -eq 1 ] && grep -q 'cannot answer' '$dir/d.log'"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
