/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The arm64 world switch under VHE. The host kernel runs at EL2 on SP_EL2,
 * so the frame saved on the kernel stack before ERET is exactly where SP
 * points when the guest traps back to EL2: no per-CPU pointer is needed.
 * Interrupts, aborts and debug are masked by the caller for the whole
 * window in which these vectors are installed.
 *
 * SP_EL0 is switched here, not in C: it holds the host's `current`, which
 * any C code may read (preempt_count() under DEBUG_PREEMPT, lockdep,
 * KCOV), so it is the guest's only between these instructions, as in
 * KVM's __guest_enter/__guest_exit.
 *
 * A guest exit is an exception from a lower EL, like a syscall: before the
 * host's first indirect branch after it (the RET of __axvm_arm64_exit),
 * the exit runs the Spectre-v2/BHB sequence spectre.c chose for the CPU,
 * and nothing between the vector and that sequence branches but directly
 * or conditionally.
 */
#include <linux/arm-smccc.h>
#include <linux/linkage.h>
#include <asm/assembler.h>

#include "spectre.h"

/* The frame on the host stack. */
#define F_X19		0		/* x19-x30 */
#define F_GUEST		96		/* pointer to the guest's x0-x30 */
#define F_VBAR		104		/* the host's vectors */
#define F_SCRATCH	112		/* guest x0, x1 on the way out */
#define F_SP_EL0	128		/* pointer to the guest's SP_EL0 */
#define F_HOST_SP_EL0	136		/* the host's: current */
#define F_SEQ		144		/* the exit's AXVM_ARM64_SEQ_* */
#define F_SIZE		160

	.text

/*
 * u64 __axvm_arm64_enter(u64 *x, u64 *sp_el0, u64 seq): returns an
 * AXVM_ARM64_EXIT_* code. The caller keeps interrupts off and the thread
 * on this CPU, whose sequence @seq is, until it returns.
 */
SYM_FUNC_START(__axvm_arm64_enter)
	sub	sp, sp, #F_SIZE
	stp	x19, x20, [sp, #F_X19]
	stp	x21, x22, [sp, #F_X19 + 16]
	stp	x23, x24, [sp, #F_X19 + 32]
	stp	x25, x26, [sp, #F_X19 + 48]
	stp	x27, x28, [sp, #F_X19 + 64]
	stp	x29, x30, [sp, #F_X19 + 80]
	str	x0, [sp, #F_GUEST]
	str	x1, [sp, #F_SP_EL0]
	str	x2, [sp, #F_SEQ]
	mrs	x2, sp_el0
	str	x2, [sp, #F_HOST_SP_EL0]
	ldr	x2, [x1]
	msr	sp_el0, x2
	/* With HCR_EL2.E2H set, VBAR_EL1 names VBAR_EL2. */
	mrs	x1, vbar_el1
	str	x1, [sp, #F_VBAR]
	adr_l	x1, __axvm_arm64_vectors
	msr	vbar_el1, x1
	isb

	ldp	x2, x3, [x0, #16]
	ldp	x4, x5, [x0, #32]
	ldp	x6, x7, [x0, #48]
	ldp	x8, x9, [x0, #64]
	ldp	x10, x11, [x0, #80]
	ldp	x12, x13, [x0, #96]
	ldp	x14, x15, [x0, #112]
	ldp	x16, x17, [x0, #128]
	ldp	x18, x19, [x0, #144]
	ldp	x20, x21, [x0, #160]
	ldp	x22, x23, [x0, #176]
	ldp	x24, x25, [x0, #192]
	ldp	x26, x27, [x0, #208]
	ldp	x28, x29, [x0, #224]
	ldr	x30, [x0, #240]
	ldp	x0, x1, [x0]
	eret
	sb
SYM_FUNC_END(__axvm_arm64_enter)

/* x0: exit code; the guest's x0 and x1 are in the frame's scratch slot. */
SYM_CODE_START_LOCAL(__axvm_arm64_exit)
	ldr	x1, [sp, #F_GUEST]
	stp	x2, x3, [x1, #16]
	stp	x4, x5, [x1, #32]
	stp	x6, x7, [x1, #48]
	stp	x8, x9, [x1, #64]
	stp	x10, x11, [x1, #80]
	stp	x12, x13, [x1, #96]
	stp	x14, x15, [x1, #112]
	stp	x16, x17, [x1, #128]
	stp	x18, x19, [x1, #144]
	stp	x20, x21, [x1, #160]
	stp	x22, x23, [x1, #176]
	stp	x24, x25, [x1, #192]
	stp	x26, x27, [x1, #208]
	stp	x28, x29, [x1, #224]
	str	x30, [x1, #240]
	ldp	x2, x3, [sp, #F_SCRATCH]
	stp	x2, x3, [x1]
	ldr	x1, [sp, #F_SP_EL0]
	mrs	x2, sp_el0
	str	x2, [x1]
	ldr	x2, [sp, #F_HOST_SP_EL0]
	msr	sp_el0, x2

	ldr	x2, [sp, #F_VBAR]
	msr	vbar_el1, x2
	isb

	/*
	 * Spectre-v2 and Spectre-BHB (spectre.c): the guest may have trained
	 * the branch predictors and filled the branch history that the
	 * host's next indirect branch is predicted from. The guest's
	 * registers are saved, so all but x0 (the exit code) are free; x19
	 * and x20 keep the code and the sequence across the SMCCC calls,
	 * which may change x0-x3 only (SMCCC 1.1 for ARCH_WORKAROUND_1/3),
	 * and the host's x19/x20 come back from the frame below.
	 */
	mov	x19, x0
	ldr	x20, [sp, #F_SEQ]
	/* ARCH_WORKAROUND_1: EL3 invalidates the branch predictor. */
	tbz	x20, #AXVM_ARM64_SEQ_WA1_BIT, 1f
	mov	w0, #ARM_SMCCC_ARCH_WORKAROUND_1
	smc	#0
1:	/* ARCH_WORKAROUND_3: EL3 clears the history (and does WA1's work). */
	tbz	x20, #AXVM_ARM64_SEQ_WA3_BIT, 2f
	mov	w0, #ARM_SMCCC_ARCH_WORKAROUND_3
	smc	#0
2:	/* CLRBHB (HINT #22: a NOP where FEAT_CLRBHB is absent). */
	tbz	x20, #AXVM_ARM64_SEQ_CLRBHB_BIT, 3f
	hint	#22
	isb
3:	/* K taken branches push the guest's history out of the buffer. */
	tbz	x20, #AXVM_ARM64_SEQ_LOOP_BIT, 5f
	ubfx	x1, x20, #AXVM_ARM64_SEQ_K_SHIFT, #AXVM_ARM64_SEQ_K_WIDTH
	cbz	x1, 5f
4:	b	. + 4
	subs	x1, x1, #1
	b.ne	4b
	/* Arm's sequence ends the loop with DSB NSH; ISB (as KVM's does). */
	dsb	nsh
	isb
5:	/*
	 * Every path meets here: nothing after this barrier, the RET least
	 * of all, runs speculatively down a path where a mispredicted TBZ
	 * skipped the sequence.
	 */
	sb
	mov	x0, x19

	ldp	x19, x20, [sp, #F_X19]
	ldp	x21, x22, [sp, #F_X19 + 16]
	ldp	x23, x24, [sp, #F_X19 + 32]
	ldp	x25, x26, [sp, #F_X19 + 48]
	ldp	x27, x28, [sp, #F_X19 + 64]
	ldp	x29, x30, [sp, #F_X19 + 80]
	add	sp, sp, #F_SIZE
	ret
SYM_CODE_END(__axvm_arm64_exit)

/* An exception from the guest: leave with @code. */
.macro guest_exit code
	.align 7
	stp	x0, x1, [sp, #F_SCRATCH]
	mov	x0, #\code
	b	__axvm_arm64_exit
.endm

/*
 * An exception at EL2 while these vectors are installed is a bug in this
 * file's few instructions: put the host's vectors back and return to the
 * faulting instruction, which faults again into the host's own handler.
 */
.macro host_exception
	.align 7
	str	x0, [sp, #F_SCRATCH]
	ldr	x0, [sp, #F_VBAR]
	msr	vbar_el1, x0
	isb
	ldr	x0, [sp, #F_SCRATCH]
	eret
.endm

	.align 11
SYM_CODE_START(__axvm_arm64_vectors)
	host_exception			/* current EL, SP_EL0 */
	host_exception
	host_exception
	host_exception
	host_exception			/* current EL, SP_ELx */
	host_exception
	host_exception
	host_exception
	guest_exit 0			/* lower EL, AArch64: sync */
	guest_exit 1			/* irq */
	guest_exit 2			/* fiq */
	guest_exit 3			/* serror */
	guest_exit 4			/* lower EL, AArch32 */
	guest_exit 4
	guest_exit 4
	guest_exit 4
SYM_CODE_END(__axvm_arm64_vectors)

/*
 * FP/SIMD state: V0-V31, FPSR, FPCR (struct axvm_arm64_fpsimd). Called
 * between kernel_neon_begin() and kernel_neon_end(), so the registers
 * hold nothing of the host's while the guest's are in them.
 */
SYM_FUNC_START(__axvm_arm64_fpsimd_save)
	stp	q0, q1, [x0, #0]
	stp	q2, q3, [x0, #32]
	stp	q4, q5, [x0, #64]
	stp	q6, q7, [x0, #96]
	stp	q8, q9, [x0, #128]
	stp	q10, q11, [x0, #160]
	stp	q12, q13, [x0, #192]
	stp	q14, q15, [x0, #224]
	stp	q16, q17, [x0, #256]
	stp	q18, q19, [x0, #288]
	stp	q20, q21, [x0, #320]
	stp	q22, q23, [x0, #352]
	stp	q24, q25, [x0, #384]
	stp	q26, q27, [x0, #416]
	stp	q28, q29, [x0, #448]
	stp	q30, q31, [x0, #480]
	mrs	x1, fpsr
	mrs	x2, fpcr
	add	x0, x0, #512
	stp	x1, x2, [x0]
	ret
SYM_FUNC_END(__axvm_arm64_fpsimd_save)

SYM_FUNC_START(__axvm_arm64_fpsimd_load)
	ldp	q0, q1, [x0, #0]
	ldp	q2, q3, [x0, #32]
	ldp	q4, q5, [x0, #64]
	ldp	q6, q7, [x0, #96]
	ldp	q8, q9, [x0, #128]
	ldp	q10, q11, [x0, #160]
	ldp	q12, q13, [x0, #192]
	ldp	q14, q15, [x0, #224]
	ldp	q16, q17, [x0, #256]
	ldp	q18, q19, [x0, #288]
	ldp	q20, q21, [x0, #320]
	ldp	q22, q23, [x0, #352]
	ldp	q24, q25, [x0, #384]
	ldp	q26, q27, [x0, #416]
	ldp	q28, q29, [x0, #448]
	ldp	q30, q31, [x0, #480]
	add	x0, x0, #512
	ldp	x1, x2, [x0]
	msr	fpsr, x1
	msr	fpcr, x2
	ret
SYM_FUNC_END(__axvm_arm64_fpsimd_load)
