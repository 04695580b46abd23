#!/bin/sh
# Runs Toro's test stages and ends with one line: `N passed, N failed[, N skipped]`.
#   test.sh all | host | fuzz | guest | integration | bench
# Each stage's programs print their own closing line; this script adds them up.
# A program that dies without its closing line counts as one failure.
set -u
O=${O:-build}
# The suites expect software emulation: same timing model on every machine,
# whether or not it has a (working) KVM.
export TORO_ACCEL=tcg
FUZZ_SECONDS=${FUZZ_SECONDS:-3}
stage=${1:-all}
passed=0 failed=0 skipped=0
log=$(mktemp)
trap 'rm -f "$log" "$log.rc"' EXIT
trap 'exit 130' INT TERM

# Runs a command that ends with a closing line, shows its output, adds its counts.
count() {
	name=$1
	shift
	echo "# $name"
	# Stream the output as it comes and keep a copy to read the counts from.
	{
		"$@" 2>&1
		echo $? >"$log.rc"
	} | tee "$log"
	rc=$(cat "$log.rc")
	rm -f "$log.rc"
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	if [ -z "$line" ]; then
		echo "not ok: $name ended (exit $rc) without a result line"
		failed=$((failed + 1))
		return
	fi
	p=$(echo "$line" | sed -E 's/^([0-9]+) passed.*/\1/')
	f=$(echo "$line" | sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/')
	s=$(echo "$line" | sed -nE 's/.*, ([0-9]+) skipped.*/\1/p')
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + ${s:-0}))
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok: $name exited with $rc although it reported no failure"
		failed=$((failed + 1))
	fi
}

host() {
	for t in "$O"/tests/host/test_*; do
		[ -x "$t" ] && count "host: $(basename "$t")" "$t"
	done
}

fuzz() {
	for f in "$O"/tests/fuzz/fuzz_*; do
		[ -x "$f" ] || continue
		name=$(basename "$f")
		corpus=$(mktemp -d)
		seeds="tests/fuzz/corpus/${name#fuzz_}"
		[ -d "$seeds" ] && cp -r "$seeds"/. "$corpus"/
		echo "# fuzz: $name for ${FUZZ_SECONDS}s"
		if "$f" -max_total_time="$FUZZ_SECONDS" -print_final_stats=0 "$corpus" \
			>"$log" 2>&1; then
			tail -n 1 "$log"
			echo "ok $name"
			passed=$((passed + 1))
		else
			cat "$log"
			echo "not ok $name"
			failed=$((failed + 1))
		fi
		rm -rf "$corpus"
	done
}

# Runs one guest image with one line of its args file (`toro test` options, then
# `--` and kernel parameters, shell-quoted).
guest_run() {
	img=$1 suite=$2 args=$3
	eval "set -- $args"
	opts=""
	while [ $# -gt 0 ] && [ "$1" != "--" ]; do
		opts="$opts $1"
		shift
	done
	# shellcheck disable=SC2086
	count "guest: $suite $args" "$O/toro" test $opts "$img" "$@"
}

guest() {
	for img in "$O"/tests/guest/*.elf; do
		suite=$(basename "$img" .elf)
		file="tests/guest/$suite/args"
		if [ -f "$file" ]; then
			# One boot per line: the same suite under several configurations.
			while IFS= read -r line <&3; do
				guest_run "$img" "$suite" "$line"
			done 3<"$file"
		else
			guest_run "$img" "$suite" ""
		fi
	done
}

integration() {
	count "integration" env O="$O" sh tests/integration/run.sh
	count "vsockd" sh tests/integration/vsockd.sh "$O"
	count "vsock" env O="$O" sh tests/integration/vsock.sh
	count "fs_launch" env O="$O" sh tests/integration/fs_launch.sh
	count "fs" env O="$O" sh tests/integration/fs.sh
	count "webserver" env O="$O" sh tests/integration/webserver.sh
	count "gdb" env O="$O" sh tests/integration/gdb.sh
	count "gdb_diff" env O="$O" sh tests/integration/gdb_diff.sh
	count "gdb_hostile" env O="$O" sh tests/integration/gdb_hostile.sh
	count "trace" env O="$O" sh tests/integration/trace.sh
}

# Boot steps, sizes and memory against bench/budget (bench/check.sh).
bench() {
	count "bench-check" sh bench/check.sh "$O"
}

case "$stage" in
all) host; fuzz; guest; integration; bench ;;
host) host ;;
fuzz) fuzz ;;
guest) guest ;;
integration) integration ;;
bench) bench ;;
*) echo "usage: $0 all|host|fuzz|guest|integration|bench" >&2; exit 2 ;;
esac

if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
