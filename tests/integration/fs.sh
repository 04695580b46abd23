#!/bin/sh
# The file API end to end: the guest suite tests/guest/fs against a directory
# prepared here, shared by the real virtiofsd through `toro test --fs`, on 2
# CPUs. This script plays the host's part of the suite's handshakes (changes
# made on the host while the guest runs; virtiofsd's descriptor count before
# and after 10,000 opens) and checks from the host what the guest wrote.
# Prints `ok N name` / `not ok N name` and ends with `N passed, N failed`.
set -u
O=${O:-build}
toro="$O/toro"
img="$O/tests/guest/fs.elf"
dir=$(mktemp -d /tmp/fs.XXXXXX)
share="$dir/share"
out="$dir/out"
logs="$out"
. tests/integration/lib.sh

mkdir -p "$share/sub" "$share/many" "$dir/outside"
printf 'hello from the host\n' >"$share/hello.txt"
printf 'inner\n' >"$share/sub/inner.txt"
i=0
while [ $i -lt 1000 ]; do
	: >"$share/many/$(printf 'f%03d' $i)"
	i=$((i + 1))
done
head -c 67108864 /dev/urandom >"$share/big.bin"
printf 'secret\n' >"$dir/outside/secret"
ln -s "$dir/outside/secret" "$share/outside"
big=$(cksum <"$share/big.bin" | cut -d' ' -f1)

# virtiofsd's open descriptors are one per inode the guest holds, plus its own.
vfsd_pid() { pgrep -f "virtiofsd.*source=$share" | head -n 1; }
# The guest polls for our answer meanwhile, holding a lookup or two for a moment:
# the fewest descriptors seen in 25 readings 20 ms apart is the settled count.
vfsd_fds() {
	i=0 min=""
	while [ $i -lt 25 ]; do
		c=$(ls "/proc/$1/fd" 2>/dev/null | wc -l)
		[ -z "$min" ] || [ "$c" -lt "$min" ] && min=$c
		i=$((i + 1))
		sleep 0.02
	done
	echo "$min"
}

"$toro" test "$img" --fs "$share" --cpus 2 --mem 256M --timeout 900 -- \
	big_cksum="$big" >"$out" 2>&1 &
vm=$!

# Handshake 1: the guest wrote scratch/from_guest; the host answers.
if wait_for 6000 '[ -f "$share/scratch/from_guest" ] || ! kill -0 $vm 2>/dev/null'; then
	check "the guest's file shows on the host" "ping" "$(cat "$share/scratch/from_guest")"
	printf 'new text\n' >"$share/scratch/hello2.txt"
	printf 'pong\n' >"$share/scratch/from_host.tmp"
	mv "$share/scratch/from_host.tmp" "$share/scratch/from_host"
else
	not_ok "the guest's file shows on the host"
fi

# Handshake 2: virtiofsd's descriptors before and after 10,000 opens.
fds1="" fds2=""
if wait_for 6000 '[ -f "$share/scratch/sample1" ] || ! kill -0 $vm 2>/dev/null'; then
	p=$(vfsd_pid)
	fds1=$(vfsd_fds "$p")
	: >"$share/scratch/sampled1"
fi
if wait_for 6000 '[ -f "$share/scratch/sample2" ] || ! kill -0 $vm 2>/dev/null'; then
	fds2=$(vfsd_fds "$p")
	: >"$share/scratch/sampled2"
fi
if [ -n "$fds1" ] && [ "$fds1" -gt 0 ] && [ "$fds1" = "$fds2" ]; then
	ok "virtiofsd holds as many descriptors after 10,000 opens as before ($fds1)"
else
	not_ok "virtiofsd holds as many descriptors after 10,000 opens as before" \
		"before '$fds1', after '$fds2'"
fi

wait "$vm"
rc=$?
vm=""
# The suite's own results, one line each.
grep -E '^  (not )?ok [0-9]+ ' "$out" | sed 's/^  //' | while IFS= read -r line; do
	echo "# guest: $line"
done
line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$out" | tail -n 1)
gp=$(echo "$line" | sed -nE 's/^([0-9]+) passed.*/\1/p')
gf=$(echo "$line" | sed -nE 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/p')
if [ "$rc" -eq 0 ] && [ "${gf:-1}" -eq 0 ] && [ "${gp:-0}" -ge 15 ]; then
	ok "the guest suite passes on 2 CPUs ($line)"
else
	not_ok "the guest suite passes on 2 CPUs" "toro test exit $rc, '$line'"
fi

want=$(sed -n 's/^fs: out.bin cksum //p' "$out")
check "the 64 MiB the guest wrote match on the host (cksum)" "$want" \
	"$(cksum <"$share/scratch/out.bin" 2>/dev/null)"
check "the link out of the share was not followed, nor its target touched" \
	"secret" "$(cat "$dir/outside/secret")"
check "files the guest removed are gone on the host" "" \
	"$(ls "$share/scratch/d1" "$share/scratch/m" "$share/scratch/u" 2>/dev/null)"
check "no virtiofsd is left" "" "$(pgrep -f "virtiofsd.*source=$share")"
results
