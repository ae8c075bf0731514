/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest exception entry, x86_64: the IDT's 256 gates point at the stubs
 * of guest_vectors, one per vector, GUEST_VECTOR_STUB_SIZE bytes apart.
 * A stub pushes 0 where the CPU pushes no error code, then the vector,
 * and the common code saves a struct ex_regs (guest.h), calls
 * guest_exception(regs) and returns with iretq to regs->rip, cs, rflags,
 * rsp and ss, so a handler may skip an instruction or change any
 * register but regs[4].
 *
 * Every gate switches to IST1, a small stack of the vCPU's own (its
 * TSS's), because the guest is compiled with a red zone: the interrupted
 * code may keep data in the 128 bytes below its RSP, where the CPU would
 * push the frame without a stack switch. The common code then moves the
 * frame to the interrupted stack below the red zone and runs on there,
 * leaving IST1 free for a nested exception. Only the general registers
 * are saved: handlers must not use SSE or x87 (GUEST_CODE has neither).
 * Vectors the CPU gives an error code: 8, 10-14, 17, 21, 29, 30; an "int
 * $n" to one of those would push none, and is not supported.
 */
#ifdef __x86_64__

#define STUB_SIZE	16		/* GUEST_VECTOR_STUB_SIZE */
#define RED_ZONE	128

/* What the stub and the CPU pushed, from the stub's last push on. */
#define HW_WORDS	7		/* vector, error code, RIP-SS */

/* struct ex_regs, byte offsets. */
#define EX_RSP_SLOT	(4 * 8)		/* regs[4] */
#define EX_RSP		(21 * 8)	/* rsp, as the CPU pushed it */

	.text
	.balign	STUB_SIZE
	.global	guest_vectors
	.type	guest_vectors, @function
guest_vectors:
	vector = 0
	.rept	256
	.if (vector == 8) || ((vector >= 10) && (vector <= 14)) || \
	    (vector == 17) || (vector == 21) || (vector == 29) || \
	    (vector == 30)
	/* The CPU pushed an error code. */
	.else
	pushq	$0
	.endif
	pushq	$vector
	jmp	guest_vector_common
	/* Fails to assemble if a stub outgrows its slot. */
	.org	guest_vectors + (vector + 1) * STUB_SIZE, 0xcc
	vector = vector + 1
	.endr
	.size	guest_vectors, . - guest_vectors

	.type	guest_vector_common, @function
guest_vector_common:
	/*
	 * On IST1, interrupts off (interrupt gates): the stub's and the
	 * CPU's HW_WORDS words from (%rsp) up, vector to SS. Copy them
	 * below the interrupted RSP's red zone, 16-byte aligned as the CPU
	 * aligns its frames, and move there.
	 */
	pushq	%rax
	pushq	%rcx
	/* rcx, rax, then vector, error code, RIP, CS, RFLAGS, RSP, SS */
	movq	(2 + 5) * 8(%rsp), %rax
	subq	$RED_ZONE, %rax
	andq	$-16, %rax
	.irp	w, 6, 5, 4, 3, 2, 1, 0
	movq	(2 + \w) * 8(%rsp), %rcx
	movq	%rcx, (\w - HW_WORDS) * 8(%rax)
	.endr
	popq	%rcx
	leaq	-HW_WORDS * 8(%rax), %rax
	xchgq	%rax, (%rsp)		/* rax back, the new RSP in its place */
	popq	%rsp

	/*
	 * On the interrupted stack: the general registers below the copied
	 * words, RAX lowest, as struct ex_regs has them; regs[4] is the
	 * interrupted RSP.
	 */
	pushq	%r15
	pushq	%r14
	pushq	%r13
	pushq	%r12
	pushq	%r11
	pushq	%r10
	pushq	%r9
	pushq	%r8
	pushq	%rdi
	pushq	%rsi
	pushq	%rbp
	subq	$8, %rsp		/* regs[4], filled in below */
	pushq	%rbx
	pushq	%rdx
	pushq	%rcx
	pushq	%rax
	movq	EX_RSP(%rsp), %rax
	movq	%rax, EX_RSP_SLOT(%rsp)

	/* The psABI: RSP 16-byte aligned at the call, DF clear. */
	movq	%rsp, %rdi
	movq	%rsp, %rbx		/* callee-saved: the frame */
	andq	$-16, %rsp
	cld
	call	guest_exception
	movq	%rbx, %rsp

	popq	%rax
	popq	%rcx
	popq	%rdx
	popq	%rbx
	addq	$8, %rsp		/* regs[4]: iretq restores RSP */
	popq	%rbp
	popq	%rsi
	popq	%rdi
	popq	%r8
	popq	%r9
	popq	%r10
	popq	%r11
	popq	%r12
	popq	%r13
	popq	%r14
	popq	%r15
	addq	$16, %rsp		/* vector, error code */
	iretq
	.size	guest_vector_common, . - guest_vector_common

#endif /* __x86_64__ */

/* No executable stack (this object is empty on other arches). */
	.section .note.GNU-stack, "", %progbits
