#!/bin/sh
# Differential test of the kernel's GDB stub: one gdb script, run against
# QEMU's own stub (the QEMU command `toro run --dry-run` prints, plus `-gdb
# unix:SOCK,server=on,wait=off -S`) and against ours (`toro run --gdb-wait`),
# same image, same toro options (and so the same devices; only the kernel
# command line differs: without gdb=wait on QEMU's side, where nothing would
# ever answer the guest's wait). At every stop (break compute, three stepi,
# finish, break bump) the script writes the pc, function and line, the
# registers (rax..r15, rip, eflags, the six segment selectors, fs_base and
# gs_base), x/32xg &pattern and x/16xb of the code at the pc; both sides must
# agree, except for what is listed (and why) in `skip` below.
# KEEP=1 keeps the temporary directory (the dumps, gdb's outputs).
# Prints `ok N name` / `not ok N name` and ends with `N passed, N failed`.
set -u
O=${O:-build}
export TORO_ACCEL=tcg
toro="$O/toro"
img="$O/tests/integration/gdb.elf"
dir=$(mktemp -d /tmp/gdb_diff.XXXXXX)
. tests/integration/lib.sh

qemus="" # both QEMUs, to check that none is left

# The same options on both sides. One CPU: QEMU's stub shows vCPUs, ours Toro's
# threads; with one CPU the thread that stops is the same code either way.
opts="--cpus 1 --mem 128M"

# The script: stop, dump, at each stop. QEMU's stub starts at the reset vector,
# ours in gdb_wait() before main; neither first stop is compared, and both go
# on to compute through the same breakpoint.
cat >"$dir/diff.gdb" <<'EOF'
python
regs = ["rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8", "r9",
        "r10", "r11", "r12", "r13", "r14", "r15", "rip", "eflags", "cs", "ss",
        "ds", "es", "fs", "gs", "fs_base", "gs_base"]
def dump(label):
    f = gdb.selected_frame()
    sal = f.find_sal()
    fn = f.function().name if f.function() else "?"
    line = "%s:%d" % (sal.symtab.filename.split("/")[-1], sal.line) if sal.symtab else "?"
    print("%s where 0x%x %s %s" % (label, f.pc(), fn, line))
    for r in regs:
        try:
            v = int(f.read_register(r)) & 0xffffffffffffffff
            print("%s reg %s 0x%x" % (label, r, v))
        except (gdb.error, ValueError) as e:
            print("%s reg %s unavailable (%s)" % (label, r, e))
    for cmd in ("x/32xg &pattern", "x/16xb $pc"):
        for l in gdb.execute(cmd, to_string=True).splitlines():
            print("%s mem %s" % (label, l.split(":", 1)[-1].strip()))
end
break compute
continue
python dump("compute")
stepi
python dump("stepi1")
stepi
python dump("stepi2")
stepi
python dump("stepi3")
finish
python dump("finish")
delete
break bump
continue
python dump("bump")
EOF

# run SIDE: boots the VM for SIDE (qemu or toro) and runs the script against it;
# the dump lines in $dir/SIDE.dump, gdb's whole output in $dir/SIDE.out.
run() {
	side=$1 sock="$dir/$1.sock" con="$dir/$1.con" out="$dir/$1.out"
	if [ "$side" = qemu ]; then
		# shellcheck disable=SC2086
		cmd=$("$toro" run --dry-run "$img" $opts --gdb "unix:$dir/unused.sock")
		eval "exec $cmd -gdb unix:$sock,server=on,wait=off -S" >"$con" 2>&1 &
		vm=$!
		qemus="$qemus $vm"
	else
		# shellcheck disable=SC2086
		"$toro" run "$img" $opts --gdb "unix:$sock" --gdb-wait --timeout 300 \
			>"$con" 2>&1 &
		vm=$! q=""
		wait_for 100 'q=$(pgrep -P $vm qemu-system) || ! kill -0 $vm 2>/dev/null'
		qemus="$qemus $q"
	fi
	if wait_for 300 '[ -S "$sock" ] || ! kill -0 $vm 2>/dev/null'; then
		gdb -batch -nx -ex "set remotetimeout 30" -ex "target remote $sock" \
			-x "$dir/diff.gdb" "$img" >"$out" 2>&1 &
		gdb=$!
		wait_for 1200 '! kill -0 $gdb 2>/dev/null' || stop "$gdb"
		wait "$gdb"
		gdb=""
	fi
	stop "$vm"
	vm=""
	rm -f "$sock" # QEMU leaves its socket behind
	grep -E '^[a-z0-9]+ (where|reg|mem) ' "$out" >"$dir/$side.dump"
}
run qemu
run toro
logs="$dir/toro.con"

# What legitimately differs, as STOP:REGISTER words, each with its reason:
#   r8 until main calls printf: a caller-saved register that compute never
#     touches and main does not set before it, so it still holds a clock
#     reading (nanoseconds since boot) from the kernel code main called before
#     (toro_thread_create, toro_yield). It differs from one boot to the next
#     under QEMU's stub alone, and ours waited for gdb (gdb=wait) in between.
# Everything else must be equal, eflags to the bit (no TF or RF left over from
# our stub's stepping), segment selectors and fs_base/gs_base included.
skip="compute:r8 stepi1:r8 stepi2:r8 stepi3:r8 finish:r8"

# The dump lines of STOP and WHAT from FILE, without the registers of $skip.
lines() {
	grep "^$2 $3 " "$1" | while read -r stop what name rest; do
		case " $skip " in *" $stop:$name "*) [ "$what" = reg ] && continue ;; esac
		echo "$stop $what $name $rest"
	done
}

for stop in compute stepi1 stepi2 stepi3 finish bump; do
	for what in where reg mem; do
		lines "$dir/qemu.dump" "$stop" "$what" >"$dir/q"
		lines "$dir/toro.dump" "$stop" "$what" >"$dir/t"
		if [ ! -s "$dir/q" ]; then
			not_ok "$stop: same $what on both stubs" \
				"QEMU's stub gave no $what lines:" "$(tail -n 5 "$dir/qemu.out")"
		elif cmp -s "$dir/q" "$dir/t"; then
			ok "$stop: same $what on both stubs"
		else
			diff "$dir/q" "$dir/t" | sed -n 's/^< /qemu: /p; s/^> /toro: /p' >"$dir/d"
			not_ok "$stop: same $what on both stubs" "$(cat "$dir/d")" \
				"gdb's errors against ours:" \
				"$(grep -i -E 'error|warning|closed|timed out' "$dir/toro.out")"
		fi
	done
done

left=""
for q in $qemus; do kill -0 "$q" 2>/dev/null && left="$left $q"; done
check "no QEMU is left ($(echo $qemus | wc -w) were started)" "" "$left"
results
