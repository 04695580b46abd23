#!/bin/sh
# Writes the symbol table of an image (functions only) as assembly for .ksyms:
#   u64 count; then count x { u64 address; u32 size; u32 name offset }; then names.
# Usage: mksyms.sh NM IMAGE > ksyms.S
set -eu
nm=$1
image=$2
"$nm" -n -S --defined-only "$image" | awk 'BEGIN { n = 0 }
	NF == 4 && $3 ~ /^[tTwW]$/ { addr[n] = $1; size[n] = $2; name[n] = $4; n++ }
	NF == 3 && $2 ~ /^[tTwW]$/ { addr[n] = $1; size[n] = "0"; name[n] = $3; n++ }
	END {
		print "\t.section .ksyms, \"a\""
		print "\t.balign 8"
		printf "\t.quad %d\n", n
		off = 0
		for (i = 0; i < n; i++) {
			printf "\t.quad 0x%s\n\t.long 0x%s, %d\n", addr[i], size[i], off
			off += length(name[i]) + 1
		}
		for (i = 0; i < n; i++)
			printf "\t.asciz \"%s\"\n", name[i]
	}'
