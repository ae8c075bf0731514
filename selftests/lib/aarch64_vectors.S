/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest exception vectors: every entry saves a struct ex_regs (guest.h)
 * on the current stack, calls guest_exception(regs, vector) and returns
 * to regs->pc with regs->pstate, so a handler may skip an instruction.
 */
#ifdef __aarch64__

#define EX_SP		(31 * 8)
#define EX_PC		(32 * 8)
#define EX_ESR		(34 * 8)
#define EX_SIZE		(36 * 8)	/* sizeof(struct ex_regs), 16-aligned */

	.macro	ventry nr
	.balign	128
	sub	sp, sp, #EX_SIZE
	stp	x0, x1, [sp, #16 * 0]
	mov	x1, #\nr
	b	guest_vector_common
	.endm

	.text
	.balign	2048
	.global	guest_vectors
guest_vectors:
	/* Current EL with SP_EL0, current EL with SP_ELx, lower EL x2. */
	.irp	nr, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
	ventry	\nr
	.endr
	.size	guest_vectors, . - guest_vectors

guest_vector_common:
	stp	x2, x3, [sp, #16 * 1]
	stp	x4, x5, [sp, #16 * 2]
	stp	x6, x7, [sp, #16 * 3]
	stp	x8, x9, [sp, #16 * 4]
	stp	x10, x11, [sp, #16 * 5]
	stp	x12, x13, [sp, #16 * 6]
	stp	x14, x15, [sp, #16 * 7]
	stp	x16, x17, [sp, #16 * 8]
	stp	x18, x19, [sp, #16 * 9]
	stp	x20, x21, [sp, #16 * 10]
	stp	x22, x23, [sp, #16 * 11]
	stp	x24, x25, [sp, #16 * 12]
	stp	x26, x27, [sp, #16 * 13]
	stp	x28, x29, [sp, #16 * 14]
	add	x2, sp, #EX_SIZE		/* SP before the exception */
	stp	x30, x2, [sp, #EX_SP - 8]
	mrs	x2, elr_el1
	mrs	x3, spsr_el1
	stp	x2, x3, [sp, #EX_PC]
	mrs	x2, esr_el1
	mrs	x3, far_el1
	stp	x2, x3, [sp, #EX_ESR]

	mov	x0, sp
	bl	guest_exception

	ldp	x2, x3, [sp, #EX_PC]
	msr	elr_el1, x2
	msr	spsr_el1, x3
	ldp	x2, x3, [sp, #16 * 1]
	ldp	x4, x5, [sp, #16 * 2]
	ldp	x6, x7, [sp, #16 * 3]
	ldp	x8, x9, [sp, #16 * 4]
	ldp	x10, x11, [sp, #16 * 5]
	ldp	x12, x13, [sp, #16 * 6]
	ldp	x14, x15, [sp, #16 * 7]
	ldp	x16, x17, [sp, #16 * 8]
	ldp	x18, x19, [sp, #16 * 9]
	ldp	x20, x21, [sp, #16 * 10]
	ldp	x22, x23, [sp, #16 * 11]
	ldp	x24, x25, [sp, #16 * 12]
	ldp	x26, x27, [sp, #16 * 13]
	ldp	x28, x29, [sp, #16 * 14]
	ldr	x30, [sp, #EX_SP - 8]
	ldp	x0, x1, [sp, #16 * 0]
	add	sp, sp, #EX_SIZE
	eret
	.size	guest_vector_common, . - guest_vector_common

#endif /* __aarch64__ */

/* No executable stack, on every arch (this object is empty elsewhere). */
	.section .note.GNU-stack, "", %progbits
