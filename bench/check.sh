#!/bin/sh
# make bench-check (run by make test): figures that do not move from one run to
# the next, compared with their budgets in bench/budget.
#   - guest instructions of each boot step, under `-icount shift=0,sleep=off`
#     (the guest clock, and so the TSC bootstats reads, advances 1 ns per
#     instruction: a step's TSC delta is its instruction count): hello with 1
#     CPU step by step, with 4 CPUs (each CPU's start), without ACPI (the MP
#     table, devices from the command line: --machine acpi=off), and with
#     a vsock and a virtio-fs device (their driver's start);
#   - each example's size, stripped;
#   - the smallest --mem, in KiB, that boots hello (a bisection).
# bench/budget has one `NAME VALUE TOLERANCE` per line (TOLERANCE: a count, or
# a percentage of VALUE, with %). A figure above VALUE + TOLERANCE fails the
# check, and so does a figure without a budget or a budget without a figure.
# Raising a budget is a deliberate change, in a commit that says why.
# Prints every figure and how far it is from its budget, a line for each one
# over it, and ends with `N passed, N failed` (a figure within its budget
# passes); exits non-zero if any failed.
# Usage: bench/check.sh BUILD_DIR [BUDGET_FILE]   (PRINT=1: figures only)
set -u
O=$1
budget=${2:-bench/budget}
toro="$O/toro"
hello="$O/examples/hello.elf"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

# QEMU with instruction counting: the command toro builds, plus -icount.
. "$(dirname "$0")/icount.sh"
icount_qemu "$tmp"

fail() {
	echo "bench-check: $*" >&2
	exit 1
}

# boot NAME KEEP [toro run options] -- [kernel args]: boots hello under -icount
# with bootstats; records NAME.STEP, the instructions of each step (from the end
# of the step before) whose name matches the regular expression KEEP, and
# NAME.boot, first instruction to main.
boot() {
	name=$1 keep=$2
	shift 2
	TORO_QEMU="$icount" "$toro" run "$hello" --timeout 300 "$@" bootstats \
		</dev/null >"$tmp/out" 2>&1 || fail "$name: toro run failed: $(tail -n 5 "$tmp/out")"
	awk -v name="$name" -v keep="^($keep)\$" '
		/^boot-tsc:/ { for (i = 2; i <= NF; i++) { split($i, kv, "="); tsc[kv[1]] = kv[2] } }
		/^boot-steps:/ { line = $0 }
		END {
			if (!line || !("entry" in tsc)) { print "missing"; exit }
			prev = tsc["longmode"]
			if ("longmode" ~ keep)
				printf "%s.longmode %d\n", name, tsc["longmode"] - tsc["entry"]
			n = split(line, f, " ")
			for (i = 2; i <= n; i++) {
				split(f[i], kv, "=")
				if (kv[1] ~ keep)
					printf "%s.%s %d\n", name, kv[1], kv[2] - prev
				prev = kv[2]
			}
			printf "%s.boot %d\n", name, tsc["main"] - tsc["entry"]
		}' "$tmp/out" >"$tmp/fig"
	grep -qx missing "$tmp/fig" && fail "$name: no bootstats lines: $(tail -n 5 "$tmp/out")"
	cat "$tmp/fig" >>"$tmp/figures"
}

: >"$tmp/figures"
mkdir "$tmp/share"
boot hello.1cpu '.*' --
boot hello.4cpu 'cpu[0-9]+' --cpus 4 --
boot hello.acpi_off 'cpus|devices' --machine acpi=off --
boot hello.vsock 'vsock[0-9]+' --vsock "$tmp/v.sock" --
boot hello.fs 'fs[0-9]+' --fs "$tmp/share" --
awk '$1 == "hello.1cpu.boot" { b1 = $2 } $1 == "hello.4cpu.boot" { b4 = $2 }
	END { printf "hello.per_cpu %d\n", (b4 - b1) / 3 }' "$tmp/figures" >>"$tmp/figures"

for img in "$O"/examples/*.elf; do
	strip -o "$tmp/stripped" "$img" || fail "cannot strip $img"
	echo "size.$(basename "$img" .elf) $(wc -c <"$tmp/stripped")" >>"$tmp/figures"
done

# The smallest --mem (KiB, a multiple of 4) with which hello says hello.
boots() {
	"$toro" run "$hello" --mem "${1}K" --timeout 120 </dev/null >"$tmp/out" 2>&1 &&
		grep -q '^Hello from Toro' "$tmp/out"
}
lo=1024 hi=131072 # toro's minimum; a size that boots
boots $hi || fail "hello does not boot with --mem ${hi}K: $(tail -n 5 "$tmp/out")"
while [ $((hi - lo)) -gt 4 ]; do
	mid=$(((lo + hi) / 2 / 4 * 4))
	if boots $mid; then hi=$mid; else lo=$mid; fi
done
boots $lo && hi=$lo
echo "mem.hello_min_kib $hi" >>"$tmp/figures"

if [ -n "${PRINT:-}" ]; then
	cat "$tmp/figures"
	exit 0
fi
[ -r "$budget" ] || fail "no budget file $budget"
awk -v budget="$budget" '
	FNR == NR {
		if ($0 ~ /^[ \t]*(#|$)/) next
		if (NF != 3 || $2 !~ /^[0-9]+$/ || $3 !~ /^[0-9]+%?$/) {
			printf "bench-check: %s:%d: want NAME VALUE TOLERANCE, got: %s\n", budget, FNR, $0
			bad++
			next
		}
		want[$1] = $2
		tol[$1] = $3 ~ /%$/ ? int($2 * substr($3, 1, length($3) - 1) / 100) : $3
		tols[$1] = $3
		order[++nb] = $1
		next
	}
	{
		got[$1] = $2
		n++
		if (!($1 in want)) {
			printf "  %-28s %9d   no budget                        FAIL\n", $1, $2
			over++
			measured_bad++
			msgs = msgs sprintf("bench-check: %s is %d and has no budget in %s\n", $1, $2, budget)
			next
		}
		limit = want[$1] + tol[$1]
		d = want[$1] ? 100 * ($2 - want[$1]) / want[$1] : 0
		st = $2 > limit ? "FAIL" : "ok"
		printf "  %-28s %9d   budget %9d + %-6s %+7.1f%%  %s\n", $1, $2, want[$1], tols[$1], d, st
		if ($2 > limit) {
			over++
			measured_bad++
			msgs = msgs sprintf("bench-check: %s is %d, over its budget of %d + %s (%s)\n",
				$1, $2, want[$1], tols[$1], budget)
		}
	}
	END {
		for (i = 1; i <= nb; i++)
			if (!(order[i] in got)) {
				over++
				msgs = msgs sprintf("bench-check: %s has a budget but was not measured\n", order[i])
			}
		printf "%s", msgs
		printf "%d passed, %d failed\n", n - measured_bad, over + bad
		exit over + bad > 0
	}' "$budget" "$tmp/figures"
