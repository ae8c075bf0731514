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

/* struct axvm_x86_vcpu.gpr[], in the uAPI order. */
#define GPR_RCX		(1 * 8)
#define GPR_RDX		(2 * 8)
#define GPR_RBX		(3 * 8)
#define GPR_RBP		(5 * 8)
#define GPR_RSI		(6 * 8)
#define GPR_RDI		(7 * 8)
#define GPR_R8		(8 * 8)
#define GPR_R9		(9 * 8)
#define GPR_R10		(10 * 8)
#define GPR_R11		(11 * 8)
#define GPR_R12		(12 * 8)
#define GPR_R13		(13 * 8)
#define GPR_R14		(14 * 8)
#define GPR_R15		(15 * 8)

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
	mov	GPR_RCX(%rax), %rcx
	mov	GPR_RDX(%rax), %rdx
	mov	GPR_RBX(%rax), %rbx
	mov	GPR_RBP(%rax), %rbp
	mov	GPR_RSI(%rax), %rsi
	mov	GPR_RDI(%rax), %rdi
	mov	GPR_R8(%rax), %r8
	mov	GPR_R9(%rax), %r9
	mov	GPR_R10(%rax), %r10
	mov	GPR_R11(%rax), %r11
	mov	GPR_R12(%rax), %r12
	mov	GPR_R13(%rax), %r13
	mov	GPR_R14(%rax), %r14
	mov	GPR_R15(%rax), %r15

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
	mov	%rcx, GPR_RCX(%rax)
	mov	%rdx, GPR_RDX(%rax)
	mov	%rbx, GPR_RBX(%rax)
	mov	%rbp, GPR_RBP(%rax)
	mov	%rsi, GPR_RSI(%rax)
	mov	%rdi, GPR_RDI(%rax)
	mov	%r8, GPR_R8(%rax)
	mov	%r9, GPR_R9(%rax)
	mov	%r10, GPR_R10(%rax)
	mov	%r11, GPR_R11(%rax)
	mov	%r12, GPR_R12(%rax)
	mov	%r13, GPR_R13(%rax)
	mov	%r14, GPR_R14(%rax)
	mov	%r15, GPR_R15(%rax)

	mov	STK_HOST(%rsp), %rax
	vmload	%rax

	/* No guest value lingers in a register the host may speculate on. */
	xor	%ecx, %ecx
	xor	%edx, %edx
	xor	%esi, %esi
	xor	%edi, %edi
	xor	%r8d, %r8d
	xor	%r9d, %r9d
	xor	%r10d, %r10d
	xor	%r11d, %r11d

	add	$24, %rsp
	pop	%rbx
	pop	%r12
	pop	%r13
	pop	%r14
	pop	%r15
	pop	%rbp
	RET
SYM_FUNC_END(__axvm_svm_run)
