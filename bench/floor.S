/*
 * The boot benchmark's floor: the smallest guest QEMU's microvm can boot
 * through PVH. It prints one line on the 16550 UART and ends the VM, so its
 * wall time is what QEMU itself costs (process start, machine setup, firmware,
 * loading the ELF, teardown). bench/bootbench subtracts nothing; it prints the
 * floor next to a real image so the difference is Toro's own boot time.
 *
 * PVH (Xen's "HVM direct boot" ABI, used by QEMU's -kernel for ELF files that
 * carry the note below): we start in 32-bit protected mode, paging off, flat
 * segments, at the physical address given in the note; ebx points to
 * struct hvm_start_info, which the floor does not need.
 */

#define XEN_ELFNOTE_PHYS32_ENTRY 18	/* Xen public/elfnote.h */

#define UART_BASE	0x3f8		/* COM1 */
#define UART_THR	0		/* transmit holding register (write) */
#define UART_LSR	5		/* line status register */
#define UART_LSR_THRE	(1 << 5)	/* THR empty: room for one byte */

#define DEBUG_EXIT_PORT	0xf4		/* -device isa-debug-exit,iobase=0xf4 */

/*
 * An ELF note: namesz, descsz, type, then the name and the descriptor, each
 * padded to 4 bytes. QEMU looks for it in a PT_NOTE segment (floor.ld).
 */
	.section .note.Xen, "a"
	.balign 4
	.long 2f - 1f			/* namesz, with the NUL */
	.long 4f - 3f			/* descsz */
	.long XEN_ELFNOTE_PHYS32_ENTRY
1:	.asciz "Xen"
2:	.balign 4
3:	.long floor_start		/* 32-bit physical entry address */
4:	.balign 4

	.section .text, "ax"
	.code32
	.globl floor_start
floor_start:
	/* No stack and no memory writes: only registers and port I/O. */
	movl $msg, %esi
next_byte:
	movzbl (%esi), %ecx
	testb %cl, %cl
	jz done
	/*
	 * Wait until the transmitter can take a byte. Without a UART the
	 * port reads as 0xff, so this cannot hang.
	 */
	movw $(UART_BASE + UART_LSR), %dx
1:	inb %dx, %al
	testb $UART_LSR_THRE, %al
	jz 1b
	movw $(UART_BASE + UART_THR), %dx
	movb %cl, %al
	outb %al, %dx
	incl %esi
	jmp next_byte

done:
	/* Toro's convention: write exit code + 1, so 1 means "exit 0". */
	movw $DEBUG_EXIT_PORT, %dx
	movl $1, %eax
	outl %eax, %dx
	/* Without isa-debug-exit the write is ignored: park the CPU. */
2:	cli
	hlt
	jmp 2b

	.section .rodata, "a"
msg:
	.asciz "floor: hello\n"

	/* The floor needs no executable stack; say so to ld. */
	.section .note.GNU-stack, "", @progbits
