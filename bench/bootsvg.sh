#!/bin/sh
# Draws the boot steps of hello as an SVG chart: one stacked bar for each of
# 1, 2, 4 and 8 CPUs, in guest instructions. Same measure as bench/check.sh:
# under `-icount shift=0,sleep=off` the TSC advances once per instruction, so
# the TSC that bootstats prints at the end of each step counts instructions,
# the same on every run. Each bar starts at the kernel's first instruction
# (boot-tsc entry); every figure in the chart comes from these runs.
# Usage: bench/bootsvg.sh BUILD_DIR OUT.svg
set -u
[ $# -eq 2 ] || { echo "usage: $0 BUILD_DIR OUT.svg" >&2; exit 2; }
O=$1 out=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

fail() {
	echo "bootsvg: $*" >&2
	exit 1
}

. "$(dirname "$0")/icount.sh"
icount_qemu "$tmp"

args=
for n in 1 2 4 8; do
	TORO_QEMU="$icount" "$O/toro" run "$O/examples/hello.elf" --cpus $n \
		--timeout 300 -- bootstats </dev/null >"$tmp/$n" 2>&1 ||
		fail "--cpus $n: toro run failed: $(tail -n 5 "$tmp/$n")"
	if ! grep -q '^boot-tsc:' "$tmp/$n" || ! grep -q '^boot-steps:' "$tmp/$n"; then
		fail "--cpus $n: no boot-tsc or boot-steps line: $(tail -n 5 "$tmp/$n")"
	fi
	args="$args n=$n $tmp/$n"
done

# shellcheck disable=SC2086 # args holds awk's var=value and file operands
awk '
function commas(v, s) {
	s = sprintf("%d", v)
	while (s ~ /[0-9][0-9][0-9][0-9]/)
		sub(/[0-9][0-9][0-9]($|,)/, ",&", s)
	return s
}
# A step'"'"'s colour key: cpu1, cpu2... are one key; driver marks (vsock0,
# fs0...) count with devices, the step they are part of.
function key(s) {
	if (s ~ /^cpu[0-9]+$/) return "cpu"
	if (s ~ /[0-9]$/) return "devices"
	return s
}
function seg(s, a, b) {
	ns[nb]++
	sname[nb, ns[nb]] = s; sa[nb, ns[nb]] = a; sb[nb, ns[nb]] = b
}
# Text on a fill: dark on light colours, white on the rest.
function ink(c, r, g, b) {
	c = tolower(substr(c, 2))
	r = index(hx, substr(c, 1, 1)) * 16 + index(hx, substr(c, 2, 1)) - 17
	g = index(hx, substr(c, 3, 1)) * 16 + index(hx, substr(c, 4, 1)) - 17
	b = index(hx, substr(c, 5, 1)) * 16 + index(hx, substr(c, 6, 1)) - 17
	return 0.299 * r + 0.587 * g + 0.114 * b > 150 ? "#222" : "#fff"
}
BEGIN {
	hx = "0123456789abcdef"
	npal = split("#4e79a7 #f28e2b #e15759 #76b7b2 #59a14f #edc948 #b07aa1 " \
		"#ff9da7 #9c755f #bab0ac #2f4b7c #d45087 #6f4e7c #8cd17d #a0cbe8 " \
		"#555555 #f1ce63 #d37295", pal, " ")
	for (i = 1; i <= npal; i++) pal[i - 1] = pal[i]
	d["longmode"] = "entry to long mode"; d["uart"] = "serial console"
	d["traps"] = "IDT, exceptions"; d["params"] = "command line"
	d["pages"] = "page allocator"; d["pagetables"] = "kernel page tables"
	d["heap"] = "kernel heap"; d["lapic"] = "local APIC"
	d["sched"] = "scheduler, CPU 0"; d["cpus"] = "find CPUs (ACPI / MP)"
	d["cpu"] = "start AP N (one segment each)"; d["smp"] = "finish SMP"
	d["devices"] = "virtio devices, drivers"; d["debug"] = "input, gdb stub"
	d["banner"] = "print the banner"; d["main"] = "to main()"
}
FNR == 1 { cpus[++nb] = n }
/^boot-tsc:/ {
	for (i = 2; i <= NF; i++) { split($i, kv, "="); t[kv[1]] = kv[2] }
	entry[nb] = t["entry"]; total[nb] = t["main"] - t["entry"]
	seg("longmode", 0, t["longmode"] - t["entry"])
	prev = t["longmode"]
}
/^boot-steps:/ {
	for (i = 2; i <= NF; i++) {
		split($i, kv, "=")
		# A driver mark only ends part of devices: draw devices whole.
		if (key(kv[1]) == "devices" && kv[1] != "devices") continue
		seg(kv[1], prev - entry[nb], kv[2] - entry[nb])
		prev = kv[2]
	}
	end[nb] = prev - entry[nb]
	if (end[nb] > max) max = end[nb]
}
END {
	# Colours in step order, from the bar with the most steps (the last).
	for (b = nb; b >= 1; b--)
		for (i = 1; i <= ns[b]; i++)
			if (!((k = key(sname[b, i])) in col)) { col[k] = pal[nk % npal]; keys[nk++] = k }
	# Axis: 1, 2 or 5 times a power of ten, about six ticks.
	step = 1; while (step * 10 <= max / 6) step *= 10
	if (step * 5 <= max / 6) step *= 5; else if (step * 2 <= max / 6) step *= 2
	axmax = step * int((max + step - 1) / step)
	W = 900; x0 = 130; pw = 740; y0 = 72; bh = 30; gap = 14
	yax = y0 + nb * (bh + gap) - gap + 8
	cols = 3; rows = int((nk + cols - 1) / cols); yl = yax + 56
	H = yl + rows * 22 + 8
	printf "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	printf "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif\" font-size=\"12\" fill=\"#222\">\n", W, H, W, H
	printf "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>\n", W, H
	printf "<text x=\"20\" y=\"30\" font-size=\"18\" font-weight=\"600\">Boot to main, guest instructions (-icount), hello</text>\n"
	printf "<text x=\"20\" y=\"50\" fill=\"#666\">QEMU microvm, TCG, -icount shift=0: the TSC at the end of each boot step, from the kernel'"'"'s first instruction</text>\n"
	for (v = 0; v <= axmax; v += step) {
		x = x0 + v / axmax * pw
		printf "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#e4e4e4\"/>\n", x, y0 - 6, x, yax
		printf "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" fill=\"#555\">%g</text>\n", x, yax + 16, v / 1000
	}
	printf "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#888\"/>\n", x0, yax, x0 + pw, yax
	printf "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" fill=\"#555\">thousands of guest instructions</text>\n", x0 + pw / 2, yax + 34
	for (b = 1; b <= nb; b++) {
		y = y0 + (b - 1) * (bh + gap)
		printf "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" font-weight=\"600\">%d CPU%s</text>\n", x0 - 10, y + 13, cpus[b], cpus[b] == 1 ? "" : "s"
		printf "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" fill=\"#555\" font-size=\"11\">%s</text>\n", x0 - 10, y + 27, commas(total[b])
		for (i = 1; i <= ns[b]; i++) {
			xa = x0 + sa[b, i] / axmax * pw; xb = x0 + sb[b, i] / axmax * pw
			s = sname[b, i]
			# An AP'"'"'s segment is labelled with its number only.
			lab = key(s) == "cpu" ? substr(s, 4) : s
			printf "<rect x=\"%.2f\" y=\"%d\" width=\"%.2f\" height=\"%d\" fill=\"%s\" stroke=\"#fff\" stroke-width=\"0.5\"><title>%s: %s instructions</title></rect>\n", xa, y, xb - xa, bh, col[key(s)], s, commas(sb[b, i] - sa[b, i])
			if (xb - xa > 7 * length(lab) + 6)
				printf "<text x=\"%.2f\" y=\"%d\" text-anchor=\"middle\" fill=\"%s\" font-size=\"11\">%s</text>\n", (xa + xb) / 2, y + 19, ink(col[key(s)]), lab
		}
	}
	for (i = 0; i < nk; i++) {
		k = keys[i]; x = 20 + (i % cols) * 290; y = yl + int(i / cols) * 22
		printf "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"14\" rx=\"2\" fill=\"%s\"/>\n", x, y, col[k]
		printf "<text x=\"%d\" y=\"%d\"><tspan font-weight=\"600\">%s</tspan><tspan dx=\"6\" fill=\"#555\">%s</tspan></text>\n", x + 20, y + 11, k == "cpu" ? "cpuN" : k, k in d ? d[k] : ""
	}
	printf "</svg>\n"
}' $args >"$tmp/svg" || fail "awk failed"
mv "$tmp/svg" "$out" || fail "cannot write $out"
