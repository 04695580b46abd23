#!/bin/sh
# Installs the Debian packages Toro needs to build, run and test, when missing.
# As root it runs apt-get; otherwise it prints the exact command to run.
set -eu

# command -> package that provides it
need="gcc:gcc make:make ld:binutils clang:clang qemu-system-x86_64:qemu-system-x86
gdb:gdb socat:socat curl:curl cppcheck:cppcheck clang-format:clang-format
pgrep:procps"

missing=""
for pair in $need; do
	cmd=${pair%%:*}
	pkg=${pair#*:}
	command -v "$cmd" >/dev/null 2>&1 || missing="$missing $pkg"
done
# libFuzzer comes with clang's runtime libraries.
if command -v clang >/dev/null 2>&1; then
	fuzzer=$(clang -print-file-name=libclang_rt.fuzzer-x86_64.a 2>/dev/null || true)
	if [ ! -f "$fuzzer" ]; then
		ver=$(clang -dumpversion | cut -d. -f1)
		missing="$missing libclang-rt-$ver-dev"
	fi
fi
[ -n "$missing" ] || exit 0

if [ "$(id -u)" -eq 0 ]; then
	echo "deps: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $missing
else
	echo "deps: missing packages:$missing" >&2
	echo "deps: run: sudo apt-get update && sudo apt-get install -y$missing" >&2
	exit 1
fi
