/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A bare-metal arm64 guest for vmctl's lane tests: it prints through the
 * PL011 at 0x09000000 and ends as ACTION says (guests.mk builds one
 * image per action). With SMP it first starts CPU 1 with PSCI CPU_ON,
 * which prints and sets a flag, and waits for that flag. With IPI the
 * two CPUs exchange SGIs through their GICv3 CPU interfaces (system
 * registers only: no distributor is needed), each printing when its
 * interrupt came.
 */
#define PL011_DR		0x09000000
#define PSCI_CPU_ON		0xc4000003
#define PSCI_CPU_OFF		0x84000002
#define PSCI_SYSTEM_OFF		0x84000008
#define PSCI_SYSTEM_RESET	0x84000009

#define ACTION_POWEROFF		0
#define ACTION_RESET		1
#define ACTION_SPIN		2
#define ACTION_UNHANDLED	3
#define ACTION_SMP		4
#define ACTION_IPI		5

#define ICC_PMR_EL1		s3_0_c4_c6_0
#define ICC_SGI1R_EL1		s3_0_c12_c11_5
#define ICC_IAR1_EL1		s3_0_c12_c12_0
#define ICC_EOIR1_EL1		s3_0_c12_c12_1
#define ICC_IGRPEN1_EL1		s3_0_c12_c12_7

/*
 * Take IRQs at vectors through the CPU interface: every priority, Group 1
 * on, PSTATE.I clear. Inline, not a call: the handler uses x30. Clobbers
 * x0.
 */
	.macro	irq_on
	adr	x0, vectors
	msr	vbar_el1, x0
	mov	x0, #0xff
	msr	ICC_PMR_EL1, x0
	mov	x0, #1
	msr	ICC_IGRPEN1_EL1, x0
	isb
	msr	daifclr, #2
	.endm

	.text
	.globl	_start
_start:
#ifdef PIE
	/* An absolute address: right only once the loader relocated it. */
	adr	x1, hello_ptr
	ldr	x1, [x1]
#else
	adr	x1, hello
#endif
	bl	puts
#if ACTION == ACTION_SMP
	mov	x0, #(PSCI_CPU_ON & 0xffff)
	movk	x0, #(PSCI_CPU_ON >> 16), lsl #16
	mov	x1, #1			/* MPIDR of CPU 1 */
	adr	x2, secondary
	mov	x3, #0x77		/* its context id, in its x0 */
	hvc	#0
	cbnz	x0, fail
	adr	x4, flag
1:	ldr	w5, [x4]
	cbz	w5, 1b
	adr	x1, both
	bl	puts
#endif
#if ACTION == ACTION_IPI
	mov	x0, #(PSCI_CPU_ON & 0xffff)
	movk	x0, #(PSCI_CPU_ON >> 16), lsl #16
	mov	x1, #1			/* MPIDR of CPU 1 */
	adr	x2, ipi_cpu1
	mov	x3, #0
	hvc	#0
	cbnz	x0, fail
	adr	x19, ready
5:	ldr	w20, [x19]
	cbz	w20, 5b
	/* SGI 3, IRM 0, Aff3.Aff2.Aff1 0, TargetList bit 1: CPU 1 only. */
	mov	x0, #(1 << 1)
	movk	x0, #(3 << 8), lsl #16
	msr	ICC_SGI1R_EL1, x0
	isb
	irq_on
	/* Registers the handler leaves alone: x19, x20. */
	adr	x19, got0
6:	ldr	w20, [x19]
	cbnz	w20, 7f
	wfi
	b	6b
7:	msr	daifset, #2
#endif
#if ACTION == ACTION_POWEROFF || ACTION == ACTION_SMP || \
	ACTION == ACTION_IPI
	mov	x0, #(PSCI_SYSTEM_OFF & 0xffff)
	movk	x0, #(PSCI_SYSTEM_OFF >> 16), lsl #16
	hvc	#0
#elif ACTION == ACTION_RESET
	mov	x0, #(PSCI_SYSTEM_RESET & 0xffff)
	movk	x0, #(PSCI_SYSTEM_RESET >> 16), lsl #16
	hvc	#0
#elif ACTION == ACTION_UNHANDLED
	/*
	 * SVE, which axvm does not give guests (CPTR_EL2.ZEN traps it to
	 * EL2): an internal error. The guest's own CPACR_EL1.ZEN and FPEN
	 * must not trap it to EL1 first. (A load pair from MMIO is no longer
	 * one: the guest takes an External abort.) The lanes' CPUs (QEMU
	 * max) have SVE.
	 */
	mov	x1, #((3 << 16) | (3 << 20))
	msr	cpacr_el1, x1
	/* First a register vmctl answers (PMCR_EL0 traps): for --trace. */
	mrs	x2, pmcr_el0
	isb
	.inst	0x04bf5022		/* rdvl x2, #1 */
#endif
2:	b	2b

fail:
	adr	x1, failed
	bl	puts
	b	2b

#if ACTION == ACTION_SMP
secondary:
	cmp	x0, #0x77
	b.ne	fail
	adr	x1, cpu1
	bl	puts
	adr	x4, flag
	mov	w5, #1
	str	w5, [x4]
	mov	x0, #(PSCI_CPU_OFF & 0xffff)
	movk	x0, #(PSCI_CPU_OFF >> 16), lsl #16
	hvc	#0
	b	fail
#endif

#if ACTION == ACTION_IPI
/* CPU 1: ready for an SGI, then parked once its handler ran. */
ipi_cpu1:
	irq_on
	adr	x19, ready
	mov	w20, #1
	str	w20, [x19]
	adr	x19, got1
5:	ldr	w20, [x19]
	cbnz	w20, 6f
	wfi
	b	5b
6:	msr	daifset, #2
	mov	x0, #(PSCI_CPU_OFF & 0xffff)
	movk	x0, #(PSCI_CPU_OFF >> 16), lsl #16
	hvc	#0
	b	fail

/*
 * IRQ, either CPU: the INTID acknowledged must be the SGI sent to this
 * CPU (3 to CPU 1, 5 to CPU 0), ended by its EOI (EOImode 0: priority
 * drop and deactivation). CPU 1 answers with SGI 5 and IRM 1, which
 * GICv3 (12.2.22) routes to every PE but the sender: CPU 0.
 */
irq:
	mrs	x0, ICC_IAR1_EL1
	mrs	x2, mpidr_el1
	and	x2, x2, #0xff
	cbnz	x2, 5f
	cmp	x0, #5
	b.ne	fail
	msr	ICC_EOIR1_EL1, x0
	adr	x1, got_cpu0
	bl	puts
	adr	x2, got0
	b	6f
5:	cmp	x0, #3
	b.ne	fail
	msr	ICC_EOIR1_EL1, x0
	adr	x1, got_cpu1
	bl	puts
	mov	x0, #(1 << 40)		/* IRM */
	movk	x0, #(5 << 8), lsl #16
	msr	ICC_SGI1R_EL1, x0
	isb
	adr	x2, got1
6:	mov	w3, #1
	str	w3, [x2]
	eret

/*
 * VBAR_EL1's table: 16 entries of 0x80 bytes. The guest runs at EL1h,
 * so its IRQs come at 0x280 (current EL with SP_ELx); anything else is
 * a failure.
 */
	.balign	2048
vectors:
	.rept	5
	.balign	0x80
	b	fail
	.endr
	.balign	0x80
	b	irq
	.rept	10
	.balign	0x80
	b	fail
	.endr
#endif

/* puts(x1): the string at x1 to the UART; clobbers x1, x6, w7. */
puts:
	mov	x6, #PL011_DR
3:	ldrb	w7, [x1], #1
	cbz	w7, 4f
	str	w7, [x6]
	b	3b
4:	ret

	.data
#ifdef PIE
	.balign	8
hello_ptr:
	.quad	hello
#endif
	.balign	4
flag:	.word	0
hello:	.asciz	"axvm-guest: hello from arm64\n"
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
