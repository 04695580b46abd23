#!/bin/sh
# Installs the Debian packages Toro needs to build, run, test and benchmark, when
# missing. As root it runs apt-get; otherwise it prints the exact command to run.
set -eu

# what -> package that provides it. A path is checked as a file (virtiofsd is not
# on PATH; nginx is in /usr/sbin, which a user's PATH may lack), a name on PATH.
need="gcc:gcc make:make ld:binutils clang:clang qemu-system-x86_64:qemu-system-x86
/usr/lib/qemu/virtiofsd:qemu-system-common gdb:gdb socat:socat curl:curl wget:wget
python3:python3 cppcheck:cppcheck clang-format:clang-format pgrep:procps
/usr/sbin/nginx:nginx wrk:wrk ab:apache2-utils"

missing=""
for pair in $need; do
	what=${pair%%:*}
	pkg=${pair#*:}
	case $what in
	/*) [ -x "$what" ] ;;
	*) command -v "$what" >/dev/null 2>&1 ;;
	esac || missing="$missing $pkg"
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
	# Debian starts a daemon when its package is installed (nginx on port 80);
	# the benchmarks start their own. invoke-rc.d and deb-systemd-invoke ask
	# policy-rc.d first, and 101 means "not allowed". One already there (as in
	# container images) stays; ours goes when we do.
	policy=/usr/sbin/policy-rc.d
	if [ ! -e "$policy" ]; then
		trap 'rm -f "$policy"' EXIT
		trap 'exit 130' INT TERM
		printf '#!/bin/sh\n# scripts/deps.sh: no daemon starts while it installs.\nexit 101\n' \
			>"$policy"
		chmod 755 "$policy"
	fi
	apt-get update -q
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $missing
else
	echo "deps: missing packages:$missing" >&2
	echo "deps: run: sudo apt-get update && sudo apt-get install -y$missing" >&2
	case " $missing " in
	*" nginx "*)
		echo "deps: nginx starts its service on port 80 when installed;" \
			"no test needs it: sudo service nginx stop" >&2
		;;
	esac
	exit 1
fi
