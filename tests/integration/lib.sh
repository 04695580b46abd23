# Helpers shared by the integration scripts (sourced, not run). The script sets
# $dir (its temporary directory) and may set $logs (files whose tails explain a
# failure); $vm is the pid of the VM it runs in the background, if any. On exit
# the VM (and gdb) are stopped and $dir removed (a script may define its own cleanup after
# sourcing this). Results are `ok N name` / `not ok N name`; `results` prints the
# closing `N passed, N failed` line and gives the exit status.
n=0 passed=0 failed=0
vm=""

gdb="" # the pid of a gdb the script runs in the background, if any

# stop PID: SIGTERM (gdb quits, toro stops its VM first), SIGKILL after 5 s.
stop() {
	pid=$1
	kill "$pid" 2>/dev/null || return 0
	wait_for 50 '! kill -0 $pid 2>/dev/null' || kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}

# KEEP=1 keeps $dir (outputs, logs) for a look after the run.
cleanup() {
	[ -n "${KEEP:-}" ] && echo "# kept $dir" && return
	[ -n "$gdb" ] && stop "$gdb"
	[ -n "$vm" ] && stop "$vm"
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
trap 'exit 129' HUP
trap 'exit 141' PIPE

ok() {
	n=$((n + 1)) passed=$((passed + 1))
	echo "ok $n $1"
}

not_ok() {
	n=$((n + 1)) failed=$((failed + 1))
	echo "not ok $n $1"
	shift
	for why in "$@"; do printf '%s\n' "$why" | sed 's/^/# /'; done
	for f in ${logs:-}; do
		[ -s "$f" ] || continue
		echo "# $(basename "$f"):"
		tail -n 20 "$f" | sed 's/^/#   /'
	done
}

# check NAME WANT GOT
check() {
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1" "expected '$2'" "got '$3'"; fi
}

# Polls (every 50 ms, at most $1 tenths of a second) until "$2" succeeds.
wait_for() {
	limit=$1 i=0
	shift
	until eval "$1"; do
		i=$((i + 1))
		[ $i -gt $((limit * 2)) ] && return 1
		sleep 0.05
	done
}

results() {
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}
