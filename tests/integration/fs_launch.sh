#!/bin/sh
# `toro run --fs` / `toro test --fs` from the outside: virtiofsd is started, the
# guest sees a virtio-fs device, failures say what went wrong, and every way a
# run can end leaves nothing behind: no virtiofsd, no socket, no temporary
# directory, no pid file of virtiofsd's. What the guest does with the files is
# tests/integration/fs.sh's business.
# Prints `ok N name` / `not ok N name` and ends with `N passed, N failed`.
set -u
O=${O:-build}
toro="$O/toro"
hello="$O/examples/hello.elf"
probe="$O/tests/integration/probe.elf"
suite="$O/tests/guest/format.elf"
# Short, so that toro keeps its directories in it (it wants TMPDIR < 40 bytes).
dir=$(mktemp -d /tmp/fs_launch.XXXXXX)
share="$dir/share"
out="$dir/out"
err="$dir/err"
# toro's own temporary directories go here, apart from other runs on the host.
TMPDIR="$dir/t"
export TMPDIR
# virtiofsd's pid files are named after the socket path, '/' turned into '.'.
piddir=/var/run/virtiofsd
pidtag=$(printf '%s' "$TMPDIR" | tr / .)
logs="$out $err"
. tests/integration/lib.sh

# What a run left behind: virtiofsd processes serving our directories, files in
# TMPDIR, pid files for our sockets. Empty when all is clean.
leftovers() {
	pgrep -af "virtiofsd.*$TMPDIR" | sed 's/^/process: /'
	ls -A "$TMPDIR" | sed 's/^/in TMPDIR: /'
	ls -A "$piddir" 2>/dev/null | grep -F -- "$pidtag" | sed 's/^/pid file: /'
}

# check NAME WANT_STATUS RC PATTERN...: the status, each pattern (grep -E) in
# stderr, and nothing left behind.
check() {
	name=$1 want=$2 rc=$3
	shift 3
	left=$(leftovers)
	for p in "$@"; do
		grep -Eq -- "$p" "$err" || missing="${missing:-}'$p' "
	done
	if [ "$rc" -ne "$want" ]; then
		not_ok "$name" "exit status $rc, expected $want"
	elif [ -n "${missing:-}" ]; then
		not_ok "$name" "not on stderr: $missing"
	elif [ -n "$left" ]; then
		not_ok "$name" "left behind:" "$left"
		# Judge the next case on its own.
		for pid in $(pgrep -f "virtiofsd.*$TMPDIR"); do kill -KILL "$pid"; done
		rm -rf "${TMPDIR:?}"/* "$piddir"/"$pidtag".*
	else
		ok "$name"
	fi
	missing=""
}

# run ARGS...: `toro` in the foreground; $rc is its status.
run() {
	"$@" </dev/null >"$out" 2>"$err"
	rc=$?
}

# start ARGS...: `toro run` in the background until the guest says "spinning";
# $vm is toro, $fsd its virtiofsd.
start() {
	"$toro" run "$@" </dev/null >"$out" 2>"$err" &
	vm=$!
	wait_for 600 'grep -q "^spinning$" "$out" || ! kill -0 $vm 2>/dev/null'
	fsd=$(pgrep -P "$vm" -x virtiofsd)
}

# finish: waits for the background toro; $rc is its status.
finish() {
	wait "$vm"
	rc=$?
	vm=""
}

mkdir -p "$share" "$TMPDIR"
echo "from the host" >"$share/hello.txt"
device='device ID 26|virtio-fs'

# --- usage errors, before anything starts -----------------------------------------
run "$toro" run "$hello" --fs "$dir/missing"
check "--fs with a missing directory: exit 2" 2 "$rc" "--fs: .*missing: No such file"
run "$toro" run "$hello" --fs "$share/hello.txt"
check "--fs with a file: exit 2" 2 "$rc" "--fs: .*hello.txt: not a directory"
run "$toro" run "$hello" --fs "$share:bad/tag"
check "--fs with a bad tag: exit 2" 2 "$rc" "TAG must be 1 to 36 of"
run "$toro" run "$hello" --fs "$share:abcdefghijklmnopqrstuvwxyz0123456789X"
check "--fs with a 37-byte tag: exit 2" 2 "$rc" "TAG must be 1 to 36"
run "$toro" run "$hello" --fs "$share" --fs "$share:two"
check "a second --fs: exit 2" 2 "$rc" "only one directory"
run "$toro" test "$suite" --fs "$share" --virtio legacy
check "--fs with --virtio legacy: exit 2" 2 "$rc" "--fs needs --virtio modern"

# --- the command line ---------------------------------------------------------------
run "$toro" run "$hello" --fs "$share:data" --dry-run
cmd=$(cat "$out")
case $cmd in
*" -M microvm,memory-backend=toro-mem "*"-object memory-backend-memfd,id=toro-mem,share=on,size=128M -chardev socket,id=toro-fs,path=TORO_VIRTIOFSD_SOCKET -device vhost-user-fs-device,chardev=toro-fs,tag=data -global virtio-mmio.force-legacy=false"*)
	check "--dry-run --fs prints the shared memory and the vhost-user-fs device" 0 "$rc" ;;
*) not_ok "--dry-run --fs prints the shared memory and the vhost-user-fs device" ;;
esac
run "$toro" run "$hello" --fs "$share" --vsock "$dir/v.sock" --dry-run
memfds=$(grep -o 'memory-backend-memfd' "$out" | wc -l)
if [ "$rc" -eq 0 ] && [ "$memfds" -eq 1 ] && grep -q 'tag=toro ' "$out" &&
	grep -q 'vhost-user-vsock-device' "$out"; then
	ok "--dry-run --fs --vsock: both devices, one memory backend, default tag"
else
	not_ok "--dry-run --fs --vsock: both devices, one memory backend, default tag" \
		"$memfds memory backends"
fi

if [ "$(id -u)" -ne 0 ]; then
	# virtiofsd runs as root only: what a user sees is the reason.
	run "$toro" run "$hello" --fs "$share"
	check "not root: virtiofsd fails, toro says it needs root" 125 "$rc" \
		"virtiofsd did not start: it exited with status" "needs root"
	results
	exit
fi

# --- runs that end normally ---------------------------------------------------------
run "$toro" run "$hello" --fs "$share"
if grep -Eq "$device" "$out"; then
	ok "the guest finds a virtio-fs device (ID 26)"
else
	not_ok "the guest finds a virtio-fs device (ID 26)"
fi
if grep -q 'Unexpected poll revents\|virtiofsd' "$err"; then
	not_ok "a clean run prints nothing of virtiofsd's" "$(cat "$err")"
else
	check "a clean run exits 0, prints nothing of virtiofsd's" 0 "$rc"
fi
run "$toro" run "$hello"
if grep -Eq "$device" "$out"; then
	not_ok "without --fs the guest has no virtio-fs device"
else
	ok "without --fs the guest has no virtio-fs device"
fi
run "$toro" test "$suite" --fs "$share:suite"
check "toro test --fs: the suite passes, exit 0" 0 "$rc"
run "$toro" run "$probe" --fs "$share" -- thread_fault=null
check "guest crash: exit 70" 70 "$rc"
run "$toro" run "$probe" --fs "$share" --timeout 2 -- spin
check "timeout: exit 124" 124 "$rc" "timeout after 2 s"

# --- signals --------------------------------------------------------------------------
start "$probe" --fs "$share" -- spin
if [ -n "$fsd" ] && [ -S "$(ls -d "$TMPDIR"/toro-*)/fs.sock" ]; then
	ok "virtiofsd runs as toro's child and its socket exists"
else
	not_ok "virtiofsd runs as toro's child and its socket exists" "virtiofsd: '$fsd'"
fi
kill -INT "$vm"
finish
check "Ctrl-C: exit 130" 130 "$rc" "got Interrupt"
start "$probe" --fs "$share" -- spin
kill -TERM "$vm"
finish
check "SIGTERM: exit 143" 143 "$rc" "got Terminated"

# --- virtiofsd dies while the VM runs ---------------------------------------------------
start "$probe" --fs "$share" -- spin
kill -KILL "$fsd"
msg="virtiofsd was killed by signal 9 .* while the VM runs"
if wait_for 100 'grep -Eq "$msg" "$err"' && kill -0 "$vm" 2>/dev/null &&
	[ -n "$(pgrep -P "$vm" -f qemu-system)" ]; then
	ok "virtiofsd killed mid-run: toro says so at once and the VM goes on"
else
	not_ok "virtiofsd killed mid-run: toro says so at once and the VM goes on"
fi
kill -INT "$vm"
finish
check "... then Ctrl-C: exit 130, all cleaned up" 130 "$rc" "$msg"

# --- things that fail to start -----------------------------------------------------------
TORO_VIRTIOFSD=/nonexistent run "$toro" run "$hello" --fs "$share"
check "virtiofsd missing: exit 125, clear message" 125 "$rc" \
	"virtiofsd did not start: cannot run /nonexistent: No such file" "TORO_VIRTIOFSD"
if grep -Eq "$device|Toro" "$out"; then
	not_ok "virtiofsd missing: no VM was started"
else
	ok "virtiofsd missing: no VM was started"
fi
# Stand-ins for virtiofsd: one that fails at once, one that never makes its socket.
printf '#!/bin/sh\necho "fake: giving up" >&2\nexit 3\n' >"$dir/fails"
printf '#!/bin/sh\nexec sleep 600\n' >"$dir/hangs"
chmod +x "$dir/fails" "$dir/hangs"
TORO_VIRTIOFSD="$dir/fails" run "$toro" run "$hello" --fs "$share"
check "virtiofsd exits at once: exit 125, its message and status shown" 125 "$rc" \
	"^virtiofsd: fake: giving up$" "virtiofsd did not start: it exited with status 3"
TORO_VIRTIOFSD="$dir/hangs" "$toro" run "$hello" --fs "$share" </dev/null >"$out" 2>"$err" &
vm=$!
wait_for 100 '[ -n "$(pgrep -P $vm)" ]'
hung=$(pgrep -P "$vm")
kill -INT "$vm"
finish
if [ -n "$hung" ] && kill -0 "$hung" 2>/dev/null; then
	not_ok "Ctrl-C while virtiofsd starts: exit 130, all cleaned up" "$hung still runs"
else
	check "Ctrl-C while virtiofsd starts: exit 130, all cleaned up" 130 "$rc" \
		"got Interrupt"
fi
TORO_QEMU=/nonexistent/qemu run "$toro" run "$hello" --fs "$share"
check "QEMU missing: exit 127" 127 "$rc" "/nonexistent/qemu"
run "$toro" run "$hello" --fs "$share" --machine no-such-option=on
check "QEMU refuses its options: exit 125" 125 "$rc" "qemu failed"
if grep -q 'vhost socket accept' "$err"; then
	not_ok "a virtiofsd QEMU never reached says nothing"
else
	ok "a virtiofsd QEMU never reached says nothing"
fi

# A user without root: virtiofsd cannot start, and toro says why.
if command -v setpriv >/dev/null 2>&1; then
	chmod 755 "$dir"
	chmod 1777 "$TMPDIR"
	run setpriv --reuid=65534 --regid=65534 --clear-groups "$toro" run "$hello" \
		--fs "$share"
	check "not root: virtiofsd fails, toro says it needs root" 125 "$rc" \
		"virtiofsd did not start: it exited with status" "needs root"
fi

results
