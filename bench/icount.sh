# Sourced by the bench scripts that count guest instructions. icount_qemu DIR
# writes DIR/qemu: QEMU ($TORO_QEMU, or qemu-system-x86_64) with
# `-icount shift=0,sleep=off` after toro's arguments, so the guest clock, and
# the TSC bootstats reads, advances 1 ns per guest instruction. Its path goes
# to $icount; run `TORO_QEMU="$icount" toro run ...`. -icount needs TCG, so
# TORO_ACCEL=tcg is exported.
icount_qemu() {
	printf '#!/bin/sh\nexec %s "$@" -icount shift=0,sleep=off\n' \
		"${TORO_QEMU:-qemu-system-x86_64}" >"$1/qemu"
	chmod +x "$1/qemu"
	icount="$1/qemu"
	TORO_ACCEL=tcg
	export TORO_ACCEL
}
