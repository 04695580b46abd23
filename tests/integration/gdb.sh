#!/bin/sh
# The kernel's GDB stub through the real gdb: each session boots the test image
# tests/integration/gdb/main.c with `toro run --gdb unix:SOCK --gdb-wait` in the
# background and runs `gdb -batch` on a script against it. Checked is what a
# user sees: gdb's stop reports (function, file:line), backtraces, registers,
# memory, `set var` changing what the guest prints, stepping, hardware
# breakpoints and watchpoints, Toro's threads on 2 CPUs, Ctrl-C (a real SIGINT
# sent to gdb) in a spinning and in a halted guest, the exit code, detach, a
# NULL dereference stopping in gdb (or waiting for one, gdb=crash), the stub on
# the second UART, and `toro debug --gdb-batch`. Expected lines are looked up
# in main.c by their text, addresses in the image's symbol table.
#   STUB=qemu  the same sessions against QEMU's own stub (-S, no --gdb device,
#              no gdb=wait), to develop the scripts; it fails the checks that
#              only Toro's stub can pass (thread names, exit reports, faults
#              stopping in gdb); `toro debug` always runs ours.
#   KEEP=1     keep the temporary directory (gdb scripts, outputs, consoles).
# Prints `ok N name` / `not ok N name` and ends with `N passed, N failed`.
set -u
O=${O:-build}
export TORO_ACCEL=tcg
STUB=${STUB:-toro}
toro="$O/toro"
img="$O/tests/integration/gdb.elf"
src=tests/integration/gdb/main.c
dir=$(mktemp -d /tmp/gdb.XXXXXX)
. tests/integration/lib.sh

qemus="" # every QEMU started, to check that none is left

# qemu_of PID: records the QEMU that PID (toro) started, once it runs.
qemu_of() {
	parent=$1 q=""
	wait_for 100 'q=$(pgrep -P $parent qemu-system) || ! kill -0 $parent 2>/dev/null'
	qemus="$qemus $q"
}

# The line of main.c that holds TEXT (a fixed string).
line_of() { grep -n -F -- "$1" "$src" | head -n 1 | cut -d: -f1; }
# The address of SYMBOL in the image, as gdb prints it (0x, no leading zeros).
addr_of() {
	printf '0x%x' "0x$(grep -E " [tT] $1\$" "$O/tests/integration/gdb.sym" | cut -d' ' -f1)"
}

l_mul=$(line_of 'partial = x * 3;')
l_add=$(line_of 'partial += answer;')
l_ret=$(line_of 'return partial;')
l_call=$(line_of 'r = compute(5);')
l_print=$(line_of 'printf("compute: %d\n", r);')
l_bump=$(line_of 'counter = counter + 1;')
l_spin=$(line_of 'spins = spins + 1;')
l_crash=$(line_of 'return *p;')

# boot NAME [toro run options] [-- kernel args]: starts the VM in the background
# ($vm), its output in $dir/NAME.con, the stub waiting on $dir/NAME.sock.
boot() {
	name=$1
	shift
	sock="$dir/$name.sock" con="$dir/$name.con"
	if [ "$STUB" = qemu ]; then
		[ "$1" = --gdb-uart ] && shift # QEMU's stub is on its own socket
		cmd=$("$toro" run --dry-run "$img" "$@")
		eval "exec $cmd -gdb unix:$sock,server=on,wait=off -S" >"$con" 2>&1 &
	else
		"$toro" run "$img" --gdb "unix:$sock" --gdb-wait --timeout 300 "$@" \
			>"$con" 2>&1 &
	fi
	vm=$!
	if [ "$STUB" = qemu ]; then qemus="$qemus $vm"; else qemu_of "$vm"; fi
	wait_for 300 '[ -S "$sock" ] || ! kill -0 $vm 2>/dev/null'
}

# gdb_start: runs gdb -batch on the commands of stdin, connected to $sock, in
# the background ($gdb); its output (stdout and stderr) in $dir/$name.out. SIGINT
# is set back to its default, which a background job of sh does not have.
gdb_start() {
	out="$dir/$name.out"
	{
		echo "set remotetimeout 30"
		echo "target remote $sock"
		cat
	} >"$dir/$name.gdb"
	env --default-signal=INT gdb -batch -nx -x "$dir/$name.gdb" "$img" >"$out" 2>&1 &
	gdb=$!
	logs="$con"
}

# gdb_end: waits (at most 60 s) for gdb to finish; $gdb_rc is its status.
gdb_end() {
	if ! wait_for 600 '! kill -0 $gdb 2>/dev/null'; then
		echo "# $name: gdb still runs after 60 s, stopping it"
		stop "$gdb"
	fi
	wait "$gdb"
	gdb_rc=$? gdb=""
}

# vm_end [LIMIT]: waits at most LIMIT tenths of a second (default 0) for the VM
# to end, then stops it; $vm_rc is toro's status (143: we stopped it).
vm_end() {
	wait_for "${1:-0}" '! kill -0 $vm 2>/dev/null' || kill "$vm" 2>/dev/null
	wait "$vm"
	vm_rc=$? vm=""
	# Unlike toro, QEMU leaves its socket behind.
	[ "$STUB" = qemu ] && rm -f "$sock"
	# QEMU's own status is 2 * (the guest's code + 1) + 1 (lib/runopts.c).
	if [ "$STUB" = qemu ] && [ "$vm_rc" -ge 3 ] && [ $((vm_rc % 2)) -eq 1 ]; then
		vm_rc=$(((vm_rc - 3) / 2))
	fi
}

# ctrl_c: once the guest has printed its "answer:" line, so that it runs and
# gdb waits in `continue`, sends gdb a SIGINT, as Ctrl-C on its terminal would.
ctrl_c() {
	if wait_for 600 'grep -q "^answer: " "$con" || ! kill -0 $gdb 2>/dev/null'; then
		kill -INT "$gdb" 2>/dev/null
	else
		echo "# $name: the guest never printed its answer line"
	fi
}

# The lines gdb printed between `echo @@ NAME` and the next @@ mark.
section() { sed -n "/^@@ $1\$/,/^@@ /p" "$out" | sed '1d;/^@@ /d'; }

# has NAME SECTION REGEX: ok if a line of SECTION matches the extended REGEX.
has() {
	if section "$2" | grep -q -E -- "$3"; then
		ok "$1"
	else
		not_ok "$1" "expected a line matching '$3' in gdb's answer:" \
			"$(section "$2")" "gdb's errors:" \
			"$(grep -i -E 'error|warning|closed|timed out' "$out")"
	fi
}

# Session 1, 2 CPUs: breakpoint, backtrace, registers, memory, set var,
# stepping, hbreak, watchpoint, threads, and a clean exit.
boot main --cpus 2 -- exit=3
gdb_start <<'EOF'
break compute
echo @@ break\n
continue
echo @@ bt\n
bt
echo @@ regs\n
info registers
echo @@ x\n
x/32xg &pattern
set var answer = 7
echo @@ stepi\n
stepi
echo @@ step\n
step
echo @@ partial\n
print partial
echo @@ next\n
next
echo @@ finish\n
finish
echo @@ hbreak\n
hbreak bump
continue
echo @@ watch\n
watch counter
continue
echo @@ threads\n
info threads
echo @@ worker\n
python
for t in gdb.selected_inferior().threads():
    if t.name == "worker_loop":
        print("worker is thread %d" % t.num)
        gdb.execute("thread %d" % t.num)
        gdb.execute("bt")
end
echo @@ exit\n
delete
continue
echo @@ end\n
EOF
gdb_end
vm_end 300

has "break compute, continue: gdb stops at compute (x=5) at main.c:$l_mul" break \
	"Breakpoint 1, compute \\(x=(x@entry=)?5\\) at [^ ]*main\\.c:$l_mul\$"
has "bt: compute at main.c:$l_mul" bt \
	"^#0 +compute \\(x=(x@entry=)?5\\) at [^ ]*main\\.c:$l_mul\$"
has "bt: its caller main at main.c:$l_call" bt \
	"^#1 +0x[0-9a-f]+ in main \\(.*\\) at [^ ]*main\\.c:$l_call\$"
has "info registers: rip is compute's address ($(addr_of compute))" regs \
	"^rip +$(addr_of compute) +$(addr_of compute) <compute>\$"
has "info registers: rdi holds the argument 5" regs "^rdi +0x5 +5\$"
want=$(i=0 && while [ $i -lt 32 ]; do
	printf '0x%016x\t0x%016x\n' $((0x0101010101010101 * i)) \
		$((0x0101010101010101 * (i + 1)))
	i=$((i + 2))
done)
check "x/32xg &pattern: the 32 values main wrote" "$want" \
	"$(section x | sed -E 's/^0x[0-9a-f]+ <pattern(\+[0-9]+)?>:\t//')"
# stepi runs one instruction: the one after compute's first in the disassembly.
next_insn=$(sed -n '/<compute>:$/{n;n;p;}' "$O/tests/integration/gdb.asm" |
	sed -E 's/^ *([0-9a-f]+):.*/0x\1/')
has "stepi: one instruction on, at $next_insn, still line $l_mul" stepi \
	"^0x0*${next_insn#0x}	$l_mul	"
has "step: line $l_add" step "^$l_add	"
has "print partial after line $l_mul: 15" partial '^\$[0-9]+ = 15$'
has "next: line $l_ret" next "^$l_ret	"
has "finish: back in main at main.c:$l_print" finish \
	" in main \\(.*\\) at [^ ]*main\\.c:$l_print\$"
has "finish: compute returned 15 + 7 after set var answer = 7" finish \
	'^Value returned is \$[0-9]+ = 22$'
check "set var answer = 7: the guest prints compute: 22" "compute: 22" \
	"$(grep '^compute: ' "$con")"
has "hbreak bump: a hardware breakpoint" hbreak "^Hardware assisted breakpoint 2 at "
has "hbreak bump: continue stops in bump at main.c:$l_bump" hbreak \
	"Breakpoint 2, bump \\(\\) at [^ ]*main\\.c:$l_bump\$"
has "watch counter: a hardware watchpoint" watch "^Hardware watchpoint 3: counter\$"
has "watch counter: Old value = 0" watch "^Old value = 0\$"
has "watch counter: New value = 1" watch "^New value = 1\$"
# Toro's stub names each thread and says where it runs:
#   Thread ID "NAME" (CPU N, STATE)
has "info threads: main on CPU 0, the current one, in bump" threads \
	'^\* +1 +Thread [0-9]+ "main" \(CPU 0[,)].* in bump \(\)'
has "info threads: worker_loop on CPU 1" threads \
	'^ +[0-9]+ +Thread [0-9]+ "worker_loop" \(CPU 1[,)]'
has "info threads: an idle thread on CPU 0" threads \
	'^ +[0-9]+ +Thread [0-9]+ "idle" \(CPU 0[,)]'
has "info threads: an idle thread on CPU 1" threads \
	'^ +[0-9]+ +Thread [0-9]+ "idle" \(CPU 1[,)]'
has "thread N of worker_loop, bt: worker_loop" worker "^#[0-9]+ .*worker_loop \\("
has "thread N of worker_loop, bt: toro_sleep_ns" worker "^#[0-9]+ .*toro_sleep_ns \\("
has "continue to the end: gdb says exited with code 03" exit \
	'^\[Inferior 1 \((process [0-9]+|Remote target)\) exited with code 03\]$'
check "toro exits with the guest's code 3" 3 "$vm_rc"

# Session 2: Ctrl-C in a guest that spins on CPU 0; a watchpoint then shows that
# it runs on after the interrupt.
boot spin -- spin
gdb_start <<'EOF'
echo @@ sigint\n
continue
print spins
echo @@ watch\n
watch spins
continue
echo @@ end\n
EOF
ctrl_c
gdb_end
vm_end
has "Ctrl-C while spinning: gdb reports SIGINT" sigint \
	' received signal SIGINT, Interrupt\.$'
has "Ctrl-C while spinning: stopped in main's loop (main.c:$((l_spin - 1))-$l_spin)" \
	sigint "^main \\(.*\\) at [^ ]*main\\.c:($((l_spin - 1))|$l_spin)\$"
before=$(section watch | sed -n 's/^Old value = \([0-9]*\)$/\1/p')
after=$(section watch | sed -n 's/^New value = \([0-9]*\)$/\1/p')
if [ -n "$before" ] && [ -n "$after" ] && [ "$before" -gt 0 ] &&
	[ "$after" -eq $((before + 1)) ]; then
	ok "after Ctrl-C the guest spins on (watch spins: $before, then $after)"
else
	not_ok "after Ctrl-C the guest spins on" "watch spins said:" "$(section watch)"
fi

# Session 3: Ctrl-C while every CPU is halted (main and the worker sleep); a
# breakpoint then shows that the guest runs on.
boot halt -- halt
gdb_start <<'EOF'
echo @@ sigint\n
continue
print answer
echo @@ resume\n
break toro_sleep_ns
continue
echo @@ end\n
EOF
ctrl_c
gdb_end
vm_end
has "Ctrl-C while halted: gdb reports SIGINT" sigint \
	' received signal SIGINT, Interrupt\.$'
has "Ctrl-C while halted: memory reads (answer = 42)" sigint '^\$1 = 42$'
has "after Ctrl-C the halted guest runs on: it sleeps again, into a breakpoint" \
	resume 'Breakpoint 1, toro_sleep_ns \('

# Session 4: detach at compute with a breakpoint set in bump: the guest goes on
# through bump (the breakpoint left with gdb) and ticks. A second gdb then
# attaches to the running guest, reads memory and detaches: it ticks on.
boot detach -- ticker
gdb_start <<'EOF'
break bump
break compute
continue
echo @@ detach\n
detach
echo @@ end\n
EOF
gdb_end
has "detach: gdb says the inferior is detached" detach \
	'^\[Inferior 1 \((process [0-9]+|Remote target)\) detached\]$'
if wait_for 300 'grep -q "^tick 3\$" "$con" || ! kill -0 $vm 2>/dev/null' &&
	grep -q '^tick 3$' "$con"; then
	ok "after detach the guest runs on: tick 3 on its console"
else
	not_ok "after detach the guest runs on: tick 3 on its console"
fi
name=attach
gdb_start <<'EOF'
echo @@ attach\n
print counter
detach
echo @@ end\n
EOF
gdb_end
has "a second gdb attaches to the running guest: counter = 3" attach '^\$1 = 3$'
ticks=$(grep -c '^tick ' "$con")
if wait_for 300 '[ $(grep -c "^tick " "$con") -gt $ticks ] || ! kill -0 $vm 2>/dev/null' &&
	[ "$(grep -c '^tick ' "$con")" -gt "$ticks" ]; then
	ok "after the second detach the guest ticks on (past tick $((ticks - 1)))"
else
	not_ok "after the second detach the guest ticks on"
fi
vm_end

# Session 5: a NULL dereference stops in gdb with SIGSEGV, at its line; going
# on from there ends the VM as the fault would have without gdb (exit code 70).
boot crash -- crash
gdb_start <<'EOF'
echo @@ crash\n
continue
echo @@ bt\n
bt
echo @@ after\n
continue
echo @@ end\n
EOF
gdb_end
vm_end 300
has "NULL dereference: gdb reports SIGSEGV" crash \
	' received signal SIGSEGV, Segmentation fault\.$'
has "NULL dereference: stopped in crash_here (p=0x0) at main.c:$l_crash" crash \
	"^crash_here \\(p=(p@entry=)?0x0\\) at [^ ]*main\\.c:$l_crash\$"
has "NULL dereference: bt shows main as the caller" bt '^#1 .* in main \('
has "continue after SIGSEGV: gdb says the program terminated with it" after \
	'^Program terminated with signal SIGSEGV, Segmentation fault\.$'
check "continue after SIGSEGV: toro exits with 70, as for any exception" 70 "$vm_rc"

# Session 6: gdb=crash (it replaces toro's gdb=wait): the guest runs without a
# debugger, faults, and waits in the stub; a gdb attached then sees the fault.
boot late -- gdb=crash crash
if wait_for 600 'grep -q "^gdb: stopped for a debugger" "$con" || ! kill -0 $vm 2>/dev/null' &&
	grep -q '^gdb: stopped for a debugger' "$con"; then
	ok "gdb=crash: after the fault the guest waits for a debugger"
else
	not_ok "gdb=crash: after the fault the guest waits for a debugger"
fi
gdb_start <<'EOF'
echo @@ attach\n
bt
echo @@ end\n
EOF
gdb_end
vm_end
has "gdb=crash: gdb attached later stops in crash_here at main.c:$l_crash" attach \
	"^#0 +crash_here \\(p=(p@entry=)?0x0\\) at [^ ]*main\\.c:$l_crash\$"
has "gdb=crash: bt shows main as the caller" attach '^#1 .* in main \('

# Session 7: the same stub on the second UART (--gdb-uart), 2 CPUs: a breakpoint,
# a backtrace and the exit code.
boot uart --gdb-uart --cpus 2 -- exit=5
gdb_start <<'EOF'
break compute
echo @@ break\n
continue
bt
echo @@ exit\n
continue
echo @@ end\n
EOF
gdb_end
vm_end 300
has "--gdb-uart: break compute, continue: compute (x=5) at main.c:$l_mul" break \
	"Breakpoint 1, compute \\(x=(x@entry=)?5\\) at [^ ]*main\\.c:$l_mul\$"
has "--gdb-uart: bt: main at main.c:$l_call" break \
	"^#1 +0x[0-9a-f]+ in main \\(.*\\) at [^ ]*main\\.c:$l_call\$"
has "--gdb-uart: gdb says exited with code 05" exit \
	'^\[Inferior 1 \((process [0-9]+|Remote target)\) exited with code 05\]$'
check "--gdb-uart: toro exits with the guest's code 5" 5 "$vm_rc"

# Session 8: `toro debug --gdb-batch`, which starts the VM and gdb itself.
name=debug out="$dir/debug.out" con="$dir/debug.out" logs=""
cat >"$dir/debug.gdb" <<'EOF'
break compute
echo @@ break\n
continue
bt
echo @@ exit\n
continue
echo @@ end\n
EOF
"$toro" debug "$img" --timeout 300 --gdb-batch "$dir/debug.gdb" -- exit=6 >"$out" 2>&1 &
gdb=$!
qemu_of "$gdb"
gdb_end
has "toro debug: break compute, continue: compute (x=5) at main.c:$l_mul" break \
	"Breakpoint 1, compute \\(x=(x@entry=)?5\\) at [^ ]*main\\.c:$l_mul\$"
has "toro debug: gdb says exited with code 06" exit \
	'^\[Inferior 1 \((process [0-9]+|Remote target)\) exited with code 06\]$'
# (Not checked: toro's own "the guest exited with code 6", which it leaves out
# when it sees gdb -batch end before QEMU.)
check "toro debug exits with gdb's status, 0" 0 "$gdb_rc"

# Nothing is left: no QEMU or gdb of ours, no socket.
left=""
for q in $qemus; do kill -0 "$q" 2>/dev/null && left="$left $q"; done
check "no QEMU is left ($(echo $qemus | wc -w) were started)" "" "$left"
check "no gdb is left" "" "$(pgrep -f -- "gdb -batch -nx -x $dir" 2>/dev/null)"
check "no socket is left" "" "$(find "$dir" -type s)"
results
