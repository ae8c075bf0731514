/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A bare-metal riscv64 guest for vmctl's lane tests: it prints through
 * the 16550 at 0x10000000 and ends as ACTION says. With SMP it first
 * starts hart 1 with SBI HSM hart_start, which prints and sets a flag.
 * With IPI the two harts exchange SBI IPIs (supervisor software
 * interrupts), each printing when its interrupt came.
 * DBCN checks the SBI debug console, echoes a byte read by the legacy
 * getchar, then a line it reads through DBCN.
 */
#define UART_THR		0x10000000
#define SBI_EXT_BASE		0x10
#define SBI_EXT_HSM		0x48534d
#define SBI_EXT_SRST		0x53525354
#define SBI_EXT_DBCN		0x4442434e
#define SBI_EXT_IPI		0x735049
#define SBI_ERR_INVALID_PARAM	-3

#define ACTION_POWEROFF		0
#define ACTION_RESET		1
#define ACTION_SPIN		2
#define ACTION_CRASH		3
#define ACTION_SMP		4
#define ACTION_UNHANDLED	5
#define ACTION_DBCN		6
#define ACTION_IPI		7

#define SIP_SSIP		2	/* also sie.SSIE */
#define SSTATUS_SIE		2
#define SCAUSE_SSI		0x8000000000000001	/* interrupt, 1 */

/*
 * Take supervisor software interrupts at trap. Inline, not a call: the
 * handler may come before a return would. Clobbers t0.
 */
	.macro	irq_on
	la	t0, trap
	csrw	stvec, t0
	li	t0, SIP_SSIP
	csrs	sie, t0
	csrsi	sstatus, SSTATUS_SIE
	.endm

	.text
	.globl	_start
_start:
#ifdef PIE
	/* An absolute address: right only once the loader relocated it. */
	lla	a1, hello_ptr
	ld	a1, 0(a1)
#else
	la	a1, hello
#endif
	call	puts
#if ACTION == ACTION_SMP
	li	a7, SBI_EXT_HSM
	li	a6, 0			/* hart_start */
	li	a0, 1
	la	a1, secondary
	li	a2, 0x77		/* its opaque, in its a1 */
	ecall
	bnez	a0, fail
	la	t0, flag
1:	lw	t1, 0(t0)
	beqz	t1, 1b
	la	a1, both
	call	puts
#endif
#if ACTION == ACTION_DBCN
	call	dbcn
#endif
#if ACTION == ACTION_IPI
	li	tp, 0			/* the hart id, for the handler */
	li	a7, SBI_EXT_HSM
	li	a6, 0			/* hart_start */
	li	a0, 1
	la	a1, ipi_hart1
	li	a2, 0
	ecall
	bnez	a0, fail
	la	s0, ready
5:	lw	s1, 0(s0)
	beqz	s1, 5b
	/* send_ipi: hart_mask bit 0 of hart_mask_base 1, hart 1 only. */
	li	a7, SBI_EXT_IPI
	li	a6, 0
	li	a0, 1
	li	a1, 1
	ecall
	bnez	a0, fail
	irq_on
	/* Registers the handler leaves alone: s0, s1. */
	la	s0, got0
6:	lw	s1, 0(s0)
	bnez	s1, 7f
	wfi
	j	6b
7:	csrci	sstatus, SSTATUS_SIE
#endif
#if ACTION == ACTION_POWEROFF || ACTION == ACTION_SMP || \
	ACTION == ACTION_DBCN || ACTION == ACTION_IPI
	li	a0, 0			/* shutdown */
	li	a1, 0			/* no reason */
	j	srst
#elif ACTION == ACTION_RESET
	li	a0, 1			/* cold reboot */
	li	a1, 0
	j	srst
#elif ACTION == ACTION_CRASH
	li	a0, 0
	li	a1, 1			/* system failure */
	j	srst
#elif ACTION == ACTION_UNHANDLED
	/* An atomic on MMIO cannot be emulated: an internal error. */
	li	t0, 0x0a000000
	amoadd.w t1, t2, (t0)
#endif
2:	j	2b

srst:
	li	a7, SBI_EXT_SRST
	li	a6, 0
	ecall
	j	fail

fail:
	la	a1, failed
	call	puts
	j	2b

#if ACTION == ACTION_SMP
secondary:
	li	t0, 1
	bne	a0, t0, fail
	li	t0, 0x77
	bne	a1, t0, fail
	la	a1, cpu1
	call	puts
	la	t0, flag
	li	t1, 1
	sw	t1, 0(t0)
	li	a7, SBI_EXT_HSM
	li	a6, 1			/* hart_stop */
	ecall
	j	fail
#endif

#if ACTION == ACTION_IPI
/* Hart 1: ready for an IPI, then stopped once its handler ran. */
ipi_hart1:
	li	t0, 1
	bne	a0, t0, fail
	li	tp, 1
	irq_on
	la	s0, ready
	li	s1, 1
	sw	s1, 0(s0)
	la	s0, got1
5:	lw	s1, 0(s0)
	bnez	s1, 6f
	wfi
	j	5b
6:	csrci	sstatus, SSTATUS_SIE
	li	a7, SBI_EXT_HSM
	li	a6, 1			/* hart_stop */
	ecall
	j	fail

/*
 * The trap, either hart: it must be the supervisor software interrupt,
 * whose sip.SSIP the guest clears itself (SBI 2.0, 7.1: send_ipi sets
 * it pending). Hart 1 answers with send_ipi to hart 0 alone: a base of
 * -1 would name every hart, itself too. ra goes through sscratch (puts
 * is a call); the interrupted loops keep only s0 and s1.
 */
	.balign	4
trap:
	csrw	sscratch, ra
	csrr	t0, scause
	li	t1, SCAUSE_SSI
	bne	t0, t1, fail
	csrci	sip, SIP_SSIP
	bnez	tp, 5f
	la	a1, got_cpu0
	call	puts
	la	t0, got0
	j	6f
5:	la	a1, got_cpu1
	call	puts
	li	a7, SBI_EXT_IPI
	li	a6, 0			/* send_ipi */
	li	a0, 1			/* hart_mask: base + 0 */
	li	a1, 0			/* hart_mask_base */
	ecall
	bnez	a0, fail
	la	t0, got1
6:	li	t1, 1
	sw	t1, 0(t0)
	csrr	ra, sscratch
	sret
#endif

#if ACTION == ACTION_DBCN
/*
 * SBI 2.0, 12: probe_extension says the debug console is there;
 * console_write of a buffer in RAM writes all of it (its count in a1);
 * a buffer whose address has upper bits (base_addr_hi) or is not RAM
 * is INVALID_PARAM; console_read does not block, 0 bytes until input
 * came; console_write_byte writes one. An SBI call keeps every register
 * but a0 and a1.
 */
dbcn:
	li	a7, SBI_EXT_BASE
	li	a6, 3			/* probe_extension */
	li	a0, SBI_EXT_DBCN
	ecall
	bnez	a0, fail
	li	t0, 1
	bne	a1, t0, fail
	la	a1, dbcn_msg
	la	s2, dbcn_end
	sub	s2, s2, a1		/* its length */
	li	a7, SBI_EXT_DBCN
	li	a6, 0			/* console_write */
	mv	a0, s2
	li	a2, 0
	ecall
	bnez	a0, fail
	bne	a1, s2, fail
	li	a0, 4
	la	a1, dbcn_msg
	li	a2, 1			/* above 2^64 */
	ecall
	li	t0, SBI_ERR_INVALID_PARAM
	bne	a0, t0, fail
	li	a0, 4
	li	a1, 0x1000		/* no RAM */
	li	a2, 0
	ecall
	bne	a0, t0, fail
	/*
	 * SBI 5.3, the legacy console_getchar (probed present): "returns
	 * the byte on success, or -1 for failure", -1 until input came;
	 * the byte goes back through the legacy console_putchar.
	 */
	li	a7, SBI_EXT_BASE
	li	a6, 3			/* probe_extension */
	li	a0, 2
	ecall
	li	t0, 1
	bne	a1, t0, fail
6:	li	a7, 2			/* legacy console_getchar */
	li	a6, 0
	ecall
	li	t0, -1
	beq	a0, t0, 6b
	li	a7, 1			/* legacy console_putchar */
	ecall
	li	a7, SBI_EXT_DBCN
	/* Read until a newline, writing back each piece. */
5:	li	a6, 1			/* console_read */
	li	a0, 16
	la	a1, dbcn_buf
	li	a2, 0
	ecall
	bnez	a0, fail
	beqz	a1, 5b
	mv	s1, a1
	li	a6, 0
	mv	a0, s1
	la	a1, dbcn_buf
	ecall
	bnez	a0, fail
	bne	a1, s1, fail
	la	t0, dbcn_buf
	add	t0, t0, s1
	lbu	t1, -1(t0)
	li	t2, '\n'
	bne	t1, t2, 5b
	li	a6, 2			/* console_write_byte */
	li	a0, '!'
	ecall
	bnez	a0, fail
	li	a0, '\n'
	ecall
	ret
#endif

/* puts(a1): the string at a1 to the UART; clobbers a1, t2, t3. */
puts:
	li	t2, UART_THR
3:	lbu	t3, 0(a1)
	beqz	t3, 4f
	sb	t3, 0(t2)
	addi	a1, a1, 1
	j	3b
4:	ret

	.data
#ifdef PIE
	.balign	8
hello_ptr:
	.quad	hello
#endif
	.balign	4
flag:	.word	0
hello:	.asciz	"axvm-guest: hello from riscv64\n"
cpu1:	.asciz	"axvm-guest: cpu 1 up\n"
both:	.asciz	"axvm-guest: both cpus ran\n"
failed:	.asciz	"axvm-guest: FAILED\n"
#if ACTION == ACTION_IPI
	.balign	4
ready:	.word	0
got0:	.word	0
got1:	.word	0
got_cpu0:	.asciz	"axvm-guest: cpu 0 got ipi\n"
got_cpu1:	.asciz	"axvm-guest: cpu 1 got ipi\n"
#endif
#if ACTION == ACTION_DBCN
dbcn_msg:	.ascii	"axvm-guest: dbcn write\n"
dbcn_end:
dbcn_buf:	.space	16
#endif
