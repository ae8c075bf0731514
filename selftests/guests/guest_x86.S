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
hello:	.asciz	"axvm-guest: hello from x86\n"
