/* SPDX-License-Identifier: GPL-2.0 */
/*
 * VMX world switch. VM entry loads the guest's RSP, RIP, RFLAGS, control
 * and segment registers from the current VMCS; the general registers are
 * switched here. A VM exit lands at __axvm_vmx_exit with the host's RSP
 * as written to HOST_RSP below, the guest's general registers live.
 *
 * Speculation (see spec.c), as KVM's vmenter.S orders it: the guest's
 * SPEC_CTRL goes in with no RET or indirect branch between it and the
 * entry, VERW right before it; after the exit, the RSB is filled and the
 * host's SPEC_CTRL is back before the first RET, then the branch history
 * is cleared. The kernel's alternatives pick what this CPU needs.
 */
#include <linux/linkage.h>
#include <asm/alternative.h>
#include <asm/asm.h>
#include <asm/cpufeatures.h>
#include <asm/msr-index.h>
#include <asm/nospec-branch.h>
#include <asm/percpu.h>
#include <asm/segment.h>
#include <asm/unwind_hints.h>

#include "../../compat.h"
#include "world_switch.inc"

#define VMCS_HOST_RSP	0x00006c14

	.text
/*
 * int __axvm_vmx_run(u64 *gpr, bool launched, const u64 *spec_ctrl):
 * 0 after an exit, 1 on VMfail.
 */
SYM_FUNC_START(__axvm_vmx_run)
	push	%rbp
	mov	%rsp, %rbp
	push	%r15
	push	%r14
	push	%r13
	push	%r12
	push	%rbx
	push	%rdx
	push	%rdi

	mov	$VMCS_HOST_RSP, %eax
	vmwrite	%rsp, %rax
	jbe	.Lfail_early

	/* The guest's SPEC_CTRL where it differs from the host's. */
	ALTERNATIVE "jmp .Lspec_in_done", "", X86_FEATURE_MSR_SPEC_CTRL
	AXVM_SPEC_CTRL_TO_GUEST %rdx
.Lspec_in_done:

	/* CF says launched: the loads below and VERW keep it. */
	bt	$0, %esi
	mov	%rdi, %rax
	AXVM_LOAD_GUEST_GPRS
	mov	GPR_RAX(%rax), %rax
	/* MDS and its kin: the CPU's buffers cleared (clobbers ZF). */
	CLEAR_CPU_BUFFERS
	UNWIND_HINT_SAVE
	jc	.Lresume
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
	/* Before any RET: no return target the guest left may be used. */
	FILL_RETURN_BUFFER %rcx, RSB_CLEAR_LOOPS, X86_FEATURE_RSB_VMEXIT, \
			   X86_FEATURE_RSB_VMEXIT_LITE
	xor	%ebx, %ebx
	jmp	.Lspec_out

.Lfail:
	/* VMfail, perhaps with the guest's registers loaded for nothing. */
	pop	%rcx
	mov	$1, %ebx
.Lspec_out:
	/*
	 * The host's SPEC_CTRL back where the guest's differed; always
	 * with legacy IBRS, which must be set again after a less
	 * privileged predictor mode ran.
	 */
	pop	%rdi
	ALTERNATIVE "jmp .Lspec_out_done", "", X86_FEATURE_MSR_SPEC_CTRL
	mov	PER_CPU_VAR(x86_spec_ctrl_current), %eax
	ALTERNATIVE "", "jmp .Lspec_out_write", X86_FEATURE_KERNEL_IBRS
	cmp	(%rdi), %eax
	je	.Lspec_out_done
.Lspec_out_write:
	mov	$MSR_IA32_SPEC_CTRL, %ecx
	xor	%edx, %edx
	wrmsr
.Lspec_out_done:
	CLEAR_BRANCH_HISTORY_VMEXIT
	AXVM_CLEAR_GUEST_GPRS
	mov	%ebx, %eax
	jmp	.Lout

.Lfail_early:
	add	$16, %rsp
	mov	$1, %eax
.Lout:
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
	call	asm_exc_nmi_kvm_vmx
	/* IRET already put RSP back; say so for objtool. */
	leave
	RET
SYM_FUNC_END(__axvm_vmx_host_nmi)
#endif
