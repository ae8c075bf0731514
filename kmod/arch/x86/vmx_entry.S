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

#include "entry_gprs.inc"

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

	/* Flags say launched or not: the loads below keep them. */
	test	%esi, %esi
	mov	%rdi, %rax
	AXVM_LOAD_GUEST_GPRS
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
	AXVM_SAVE_GUEST_GPRS
	pop	%rcx
	mov	%rcx, GPR_RAX(%rax)
	xor	%eax, %eax
	jmp	.Lout

.Lfail:
	/* VMfail, perhaps with the guest's registers loaded for nothing. */
.Lfail_early:
	pop	%rcx
	mov	$1, %eax
.Lout:
	AXVM_CLEAR_GUEST_GPRS
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
