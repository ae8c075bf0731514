/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vblk.c's glue: a stack, the device tree's address (none on x86) as
 * vblk_main()'s argument, vblk_putc() on the machine's UART and
 * vblk_poweroff() the architecture's way (PSCI, SBI SRST, ACPI S5).
 */
	.text
	.globl	_start
	.globl	vblk_putc
	.globl	vblk_poweroff
#if defined(__aarch64__)
_start:
	adr	x1, stack_top		/* x0: the device tree */
	mov	sp, x1
	bl	vblk_main
	b	vblk_poweroff
vblk_putc:
	mov	x1, #0x09000000		/* PL011 DR */
	str	w0, [x1]
	ret
vblk_poweroff:
	mov	x0, #0x0008
	movk	x0, #0x8400, lsl #16	/* PSCI SYSTEM_OFF */
	hvc	#0
1:	b	1b
#elif defined(__riscv)
_start:
	la	sp, stack_top
	mv	a0, a1			/* a1: the device tree */
	call	vblk_main
	j	vblk_poweroff
vblk_putc:
	li	t0, 0x10000000		/* 16550 THR */
	sb	a0, 0(t0)
	ret
vblk_poweroff:
	li	a7, 0x53525354		/* SBI SRST: shutdown, no reason */
	li	a6, 0
	li	a0, 0
	li	a1, 0
	ecall
1:	j	1b
#else
	.code32
_start:
	mov	$stack_top, %esp
	push	$0			/* no device tree */
	call	vblk_main
	jmp	vblk_poweroff
vblk_putc:
	mov	4(%esp), %eax
	mov	$0x3f8, %dx
	out	%al, %dx
	ret
vblk_poweroff:
	mov	$0x604, %dx		/* ACPI PM1a_CNT: SLP_EN, S5 */
	mov	$0x2000, %ax
	out	%ax, %dx
1:	jmp	1b
#endif

	.bss
	.balign	16
	.skip	8192
stack_top:
