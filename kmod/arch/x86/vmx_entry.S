/* SPDX-License-Identifier: GPL-2.0 */
/*
 * VMX world switch. VM entry loads the guest's RSP, RIP, RFLAGS, control
 * and segment registers from the current VMCS; the general registers are
 * switched here. A VM exit lands at __axvm_vmx_exit with the host's RSP
 * as written to HOST_RSP below, the guest's general registers live.
 */
#include <linux/linkage.h>
#include <asm/asm.h>
#include <asm/nospec-branch.h>
#include <asm/segment.h>
#include <asm/unwind_hints.h>

/* struct axvm_x86_vcpu.gpr[], in the uAPI order. */
#define GPR_RAX		(0 * 8)
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

#define VMCS_HOST_RSP	0x00006c14

	.text
/* int __axvm_vmx_run(u64 *gpr, bool launched): 0 after an exit, 1 on VMfail. */
SYM_FUNC_START(__axvm_vmx_run)
	push	%rbp
	mov	%rsp, %rbp
	push	%r15
	push	%r14
	push	%r13
	push	%r12
	push	%rbx
	push	%rdi

	mov	$VMCS_HOST_RSP, %eax
	vmwrite	%rsp, %rax
	jbe	.Lfail_early

	mov	%esi, %ebx
	mov	%rdi, %rax
	mov	GPR_RCX(%rax), %rcx
	mov	GPR_RDX(%rax), %rdx
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
	test	%ebx, %ebx
	mov	GPR_RBX(%rax), %rbx
	mov	GPR_RAX(%rax), %rax
	UNWIND_HINT_SAVE
	jnz	.Lresume
	vmlaunch
	jmp	.Lfail
.Lresume:
	vmresume
	jmp	.Lfail

SYM_INNER_LABEL(__axvm_vmx_exit, SYM_L_GLOBAL)
	UNWIND_HINT_RESTORE
	ANNOTATE_NOENDBR
	/* The gpr pointer is on top of the stack: swap it with RAX. */
	xchg	%rax, (%rsp)
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
	pop	%rcx
	mov	%rcx, GPR_RAX(%rax)
	xor	%eax, %eax
	jmp	.Lout

.Lfail:
	/* The guest's registers were loaded for nothing. */
	pop	%rcx
	mov	$1, %eax
	jmp	.Lout
.Lfail_early:
	pop	%rcx
	mov	$1, %eax
.Lout:
	xor	%ecx, %ecx
	xor	%edx, %edx
	xor	%esi, %esi
	xor	%edi, %edi
	xor	%r8d, %r8d
	xor	%r9d, %r9d
	xor	%r10d, %r10d
	xor	%r11d, %r11d
	pop	%rbx
	pop	%r12
	pop	%r13
	pop	%r14
	pop	%r15
	pop	%rbp
	RET
SYM_FUNC_END(__axvm_vmx_run)

#if IS_MODULE(CONFIG_KVM_INTEL)
/*
 * void __axvm_vmx_host_nmi(void): run the host's NMI handler for an NMI
 * that caused a VM exit, on an interrupt frame built here. Its IRET ends
 * the NMI blocking that the exit left in place.
 */
SYM_FUNC_START(__axvm_vmx_host_nmi)
	push	%rbp
	mov	%rsp, %rbp
	and	$-16, %rsp
	push	$__KERNEL_DS
	push	%rbp
	pushf
	push	$__KERNEL_CS
	call	asm_exc_nmi_noist
	/* IRET already put RSP back; say so for objtool. */
	leave
	RET
SYM_FUNC_END(__axvm_vmx_host_nmi)
#endif
