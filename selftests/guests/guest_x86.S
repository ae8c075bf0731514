/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A bare-metal x86 guest for vmctl's lane tests: it prints through the
 * 16550 at port 0x3f8 and ends as ACTION says. Built for real mode (a raw
 * image loaded at 0x10000, CS base there) or, with MODE32, for 32-bit
 * protected mode with flat segments (an ELF linked at 0x100000).
 */
#define ACTION_POWEROFF		0
#define ACTION_RESET		1
#define ACTION_SPIN		2
#define ACTION_CRASH		3
#define ACTION_UNHANDLED	4
#define ACTION_IPI		5

#ifdef MODE32
	.code32
#define MSG(m)	$m
#define MEM(m)	m
#define SI	%esi
#else
	.code16
#define MSG(m)	$(m - _start)
#define MEM(m)	(m - _start)
#define SI	%si
#endif

	.text
	.globl	_start
_start:
	mov	MSG(hello), SI
	mov	$0x3f8, %dx
1:	lodsb
	test	%al, %al
	jz	2f
	out	%al, %dx
	jmp	1b
2:
#if ACTION == ACTION_POWEROFF
	mov	$0x604, %dx		/* ACPI PM1a_CNT: SLP_EN, S5 */
	mov	$0x2000, %ax
	out	%ax, %dx
#elif ACTION == ACTION_RESET
	mov	$0xcf9, %dx
	mov	$0x06, %al
	out	%al, %dx
#elif ACTION == ACTION_CRASH
	/* No IDT: the breakpoint cannot be delivered, a triple fault. */
	lidt	MEM(null_idt)
	int3
#elif ACTION == ACTION_IPI && defined(MODE32)
	/*
	 * An IPI to itself through the xAPIC's ICR (SDM 10.6.1: shorthand
	 * 01 "Self", fixed, vector 0x40), taken through a 32-bit interrupt
	 * gate; then power off. The boot state's GDTR and ESP are not to
	 * be trusted (Multiboot says so): a GDT of its own for the gate's
	 * selector, a stack for the interrupt frame.
	 */
	lgdt	ipi_gdt_desc
	ljmp	$0x08, $7f
7:	mov	$0x10, %ax
	mov	%ax, %ds
	mov	%ax, %es
	mov	%ax, %ss
	mov	$ipi_stack, %esp
	mov	$ipi_handler, %eax
	movw	%ax, ipi_gate
	shr	$16, %eax
	movw	%ax, ipi_gate + 6
	lidt	ipi_idt_desc
	movl	$0, 0xfee00310
	movl	$0x40040, 0xfee00300
4:	sti
	hlt
	cli
	cmpl	$0, ipi_taken
	je	4b
	mov	$got_ipi, %esi
	mov	$0x3f8, %dx
5:	lodsb
	test	%al, %al
	jz	6f
	out	%al, %dx
	jmp	5b
6:	mov	$0x604, %dx
	mov	$0x2000, %ax
	out	%ax, %dx
#elif ACTION == ACTION_UNHANDLED
#ifdef MODE32
	/*
	 * MUL with an operand where no RAM and no device is: the kernel
	 * completes MOV, ALU, string and bit-test forms on MMIO, not this
	 * one, and ends the VM with an internal error (decode failed).
	 */
	mull	0xd0000000
#else
	/*
	 * Real mode reaches only RAM, where every access completes: the
	 * raw image just spins (the tests run the ELF one).
	 */
#endif
#endif
3:	jmp	3b

null_idt:
	.word	0
	.long	0
#if ACTION == ACTION_IPI && defined(MODE32)
ipi_handler:
	movl	$1, ipi_taken
	iret

	.balign	8
ipi_idt:
	.fill	0x40, 8, 0
ipi_gate:				/* vector 0x40, filled in above */
	.word	0, 0x08
	.byte	0, 0x8e			/* present, DPL 0, 32-bit interrupt gate */
	.word	0
ipi_idt_desc:
	.word	0x41 * 8 - 1
	.long	ipi_idt
ipi_gdt:				/* null, flat code 0x08, flat data 0x10 */
	.quad	0, 0x00cf9a000000ffff, 0x00cf92000000ffff
ipi_gdt_desc:
	.word	3 * 8 - 1
	.long	ipi_gdt
ipi_taken:
	.long	0
	.balign	16
	.fill	64, 4, 0
ipi_stack:
got_ipi:
	.asciz	"axvm-guest: got ipi\n"
#endif
hello:	.asciz	"axvm-guest: hello from x86\n"
