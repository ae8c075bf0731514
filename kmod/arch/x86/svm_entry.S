/* SPDX-License-Identifier: GPL-2.0 */
/*
 * SVM world switch. VMRUN saves and restores the host's RSP, RIP, RFLAGS,
 * RAX, control registers, EFER and segment registers itself; the other
 * general registers are switched here, and the guest's FS, GS, TR, LDTR
 * and syscall MSRs with VMLOAD/VMSAVE of its VMCB. The caller has cleared
 * GIF, disabled interrupts and saved the host's share with VMSAVE; this
 * loads it back.
 */
#include <linux/linkage.h>
#include <asm/asm.h>

#include "entry_gprs.inc"

/* The stack after the pushes below. */
#define STK_VMCB	0
#define STK_HOST	8
#define STK_GPR		16

	.text
/* void __axvm_svm_run(u64 vmcb_pa, u64 *gpr, u64 host_vmsave_pa) */
SYM_FUNC_START(__axvm_svm_run)
	push	%rbp
	mov	%rsp, %rbp
	push	%r15
	push	%r14
	push	%r13
	push	%r12
	push	%rbx
	push	%rsi
	push	%rdx
	push	%rdi

	mov	%rsi, %rax
	AXVM_LOAD_GUEST_GPRS

	/*
	 * RAX and RSP are the VMCB's. With V_INTR_MASKING the host's IF at
	 * VMRUN decides whether physical interrupts end the run: set it,
	 * GIF is clear and holds them until the caller's STGI.
	 */
	mov	STK_VMCB(%rsp), %rax
	vmload	%rax
	sti
	vmrun	%rax
	cli
	vmsave	%rax

	mov	STK_GPR(%rsp), %rax
	AXVM_SAVE_GUEST_GPRS

	mov	STK_HOST(%rsp), %rax
	vmload	%rax

	AXVM_CLEAR_GUEST_GPRS

	add	$24, %rsp
	pop	%rbx
	pop	%r12
	pop	%r13
	pop	%r14
	pop	%r15
	pop	%rbp
	RET
SYM_FUNC_END(__axvm_svm_run)
