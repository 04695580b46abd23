#!/bin/sh
# File throughput: 64 MiB read and written by the guest (bench/fs image, through
# `toro run --fs`, virtiofsd and QEMU) next to `dd` on the host over the same
# directory in the same run, with the ratio guest / host. Medians of 5 passes;
# the host's page cache holds the file for both (neither side syncs).
#   bench/fs.sh BUILD_DIR
set -u
O=${1:?usage: bench/fs.sh BUILD_DIR}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
trap 'exit 130' INT TERM
mkdir "$dir/share"
head -c 67108864 /dev/urandom >"$dir/share/big.bin"

# Microseconds of one dd run (its own figure, from its last line).
dd_us() {
	dd "$@" bs=1M 2>&1 >/dev/null | tail -n 1 |
		awk '{ for (i = 1; i <= NF; i++) if ($i == "s,") print int($(i - 1) * 1000000 + 0.5) }'
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

for i in 1 2 3 4 5; do dd_us if="$dir/share/big.bin" of=/dev/null; done | median >"$dir/hr"
for i in 1 2 3 4 5; do dd_us if=/dev/zero of="$dir/share/out.bin" count=64; done |
	median >"$dir/hw"
"$O/toro" run "$O/bench/fs.elf" --fs "$dir/share" --mem 256M --timeout 600 >"$dir/guest" 2>&1 || {
	echo "fs: the guest benchmark failed" >&2
	cat "$dir/guest" >&2
	exit 1
}
gr=$(sed -n 's/^bench: fs_read_us //p' "$dir/guest" | median)
gw=$(sed -n 's/^bench: fs_write_us //p' "$dir/guest" | median)
hr=$(cat "$dir/hr") hw=$(cat "$dir/hw")
echo "files, 64 MiB in 1 MiB pieces (medians of 5; MiB/s):"
awk -v gr="$gr" -v gw="$gw" -v hr="$hr" -v hw="$hw" 'BEGIN {
	m = 64 * 1000000
	printf "  read   toro %7.1f   host dd %7.1f   ratio %.3f\n", m / gr, m / (hr ? hr : 1), (hr ? hr : 1) / gr
	printf "  write  toro %7.1f   host dd %7.1f   ratio %.3f\n", m / gw, m / (hw ? hw : 1), (hw ? hw : 1) / gw
}'
