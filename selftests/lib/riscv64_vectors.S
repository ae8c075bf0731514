/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest trap entry, riscv64: stvec points here in direct mode. It saves
 * a struct ex_regs (guest.h) on the current stack, calls
 * guest_exception(regs) and returns with sret to regs->pc with
 * regs->status, so a handler may skip an instruction or change x1, x3-x31.
 * The guest runs in S-mode only, so a trap always comes from S-mode and
 * sp is the interrupted code's own stack, 16-byte aligned by the psABI.
 * F/D registers are not saved: handlers must not use them.
 */
#if defined(__riscv) && __riscv_xlen == 64

#define EX_PC		(32 * 8)
#define EX_STATUS	(33 * 8)
#define EX_CAUSE	(34 * 8)
#define EX_TVAL		(35 * 8)
#define EX_SIZE		(36 * 8)	/* sizeof(struct ex_regs), 16-aligned */

	.text
	.balign	4			/* stvec.BASE: low two bits are MODE */
	.global	guest_vectors
	.type	guest_vectors, %function
guest_vectors:
	addi	sp, sp, -EX_SIZE
	sd	x1, 1 * 8(sp)
	.irp	n, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, \
		19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
	sd	x\n, \n * 8(sp)
	.endr
	sd	zero, 0 * 8(sp)
	addi	t0, sp, EX_SIZE		/* sp before the trap */
	sd	t0, 2 * 8(sp)
	csrr	t0, sepc
	sd	t0, EX_PC(sp)
	csrr	t0, sstatus
	sd	t0, EX_STATUS(sp)
	csrr	t0, scause
	sd	t0, EX_CAUSE(sp)
	csrr	t0, stval
	sd	t0, EX_TVAL(sp)

	mv	a0, sp
	call	guest_exception

	/*
	 * sstatus first: the trap cleared SIE and the saved value has it
	 * clear, so no interrupt can overwrite sepc before sret even if the
	 * handler enabled them. sret sets SIE from SPIE and returns to SPP.
	 */
	ld	t0, EX_STATUS(sp)
	csrw	sstatus, t0
	ld	t0, EX_PC(sp)
	csrw	sepc, t0
	ld	x1, 1 * 8(sp)
	.irp	n, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, \
		19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
	ld	x\n, \n * 8(sp)
	.endr
	addi	sp, sp, EX_SIZE
	sret
	.size	guest_vectors, . - guest_vectors

/*
 * Where SBI starts or resumes a hart with only a0 (its hart id) and a1
 * (the opaque value) defined, as a non-retentive hart_suspend does: a1
 * is the top of a stack for it. Sets gp and sp, then jumps to
 * guest_resume_fn(a0, a1).
 */
	.global	guest_resume_entry
	.type	guest_resume_entry, %function
guest_resume_entry:
	.option	push
	.option	norelax
	lla	gp, __global_pointer$
	.option	pop
	mv	sp, a1
	la	t0, guest_resume_fn
	ld	t0, 0(t0)
	jr	t0
	.size	guest_resume_entry, . - guest_resume_entry

#endif /* riscv64 */

/* No executable stack (this object is empty on other arches). */
	.section .note.GNU-stack, "", %progbits
