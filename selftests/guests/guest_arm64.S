/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A bare-metal arm64 guest for vmctl's lane tests: it prints through the
 * PL011 at 0x09000000 and ends as ACTION says (guests.mk builds one
 * image per action). With SMP it first starts CPU 1 with PSCI CPU_ON,
 * which prints and sets a flag, and waits for that flag.
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
#if ACTION == ACTION_POWEROFF || ACTION == ACTION_SMP
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
