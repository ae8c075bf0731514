/* SPDX-License-Identifier: GPL-2.0 */
/*
 * SVM world switch. VMRUN saves and restores the host's RSP, RIP, RFLAGS,
 * RAX, control registers, EFER and segment registers itself; the other
 * general registers are switched here, and the guest's FS, GS, TR, LDTR
 * and syscall MSRs with VMLOAD/VMSAVE of its VMCB. The caller has cleared
 * GIF, disabled interrupts and saved the host's share with VMSAVE; this
 * loads it back.
 *
 * Speculation (see spec.c), as KVM's svm/vmenter.S orders it: the
 * guest's SPEC_CTRL (unless the VMCB switches it, V_SPEC_CTRL) with no
 * RET between it and VMRUN, VERW before VMRUN; after #VMEXIT the RSB
 * filled, the host's SPEC_CTRL back, RET untrained and IBPB where this
 * CPU needs them, all before the first RET.
 */
#include <linux/linkage.h>
#include <asm/alternative.h>
#include <asm/asm.h>
#include <asm/cpufeatures.h>
#include <asm/msr-index.h>
#include <asm/nospec-branch.h>
#include <asm/percpu.h>

#include "../../compat.h"
#include "world_switch.inc"

/* The stack after the pushes below. */
#define STK_VMCB	0
#define STK_HOST	8
#define STK_GPR		16
#define STK_SPEC	24

	.text
/*
 * void __axvm_svm_run(u64 vmcb_pa, u64 *gpr, u64 host_vmsave_pa,
 *		       const u64 *spec_ctrl)
 */
SYM_FUNC_START(__axvm_svm_run)
	push	%rbp
	mov	%rsp, %rbp
	push	%r15
	push	%r14
	push	%r13
	push	%r12
	push	%rbx
	push	%rcx
	push	%rsi
	push	%rdx
	push	%rdi

	/* The guest's SPEC_CTRL where it differs from the host's. */
	ALTERNATIVE_2 "jmp .Lspec_in_done", "", X86_FEATURE_MSR_SPEC_CTRL, \
		      "jmp .Lspec_in_done", X86_FEATURE_V_SPEC_CTRL
	AXVM_SPEC_CTRL_TO_GUEST %rcx
.Lspec_in_done:

	mov	STK_GPR(%rsp), %rax
	AXVM_LOAD_GUEST_GPRS

	/*
	 * RAX and RSP are the VMCB's. With V_INTR_MASKING the host's IF at
	 * VMRUN decides whether physical interrupts end the run: set it,
	 * GIF is clear and holds them until the caller's STGI.
	 */
	mov	STK_VMCB(%rsp), %rax
	vmload	%rax
	/* The CPU's buffers cleared where needed (clobbers ZF). */
	VM_CLEAR_CPU_BUFFERS
	sti
	vmrun	%rax
	cli
	vmsave	%rax

	mov	STK_GPR(%rsp), %rax
	AXVM_SAVE_GUEST_GPRS

	mov	STK_HOST(%rsp), %rax
	vmload	%rax

#ifdef AXVM_SVM_RSB_VMEXIT
	/* Before any RET: no return target the guest left may be used. */
	FILL_RETURN_BUFFER %rax, RSB_CLEAR_LOOPS, AXVM_SVM_RSB_VMEXIT
#endif

	/* The host's SPEC_CTRL back where the guest's differed. */
	ALTERNATIVE_2 "jmp .Lspec_out_done", "", X86_FEATURE_MSR_SPEC_CTRL, \
		      "jmp .Lspec_out_done", X86_FEATURE_V_SPEC_CTRL
	mov	STK_SPEC(%rsp), %rdi
	mov	PER_CPU_VAR(x86_spec_ctrl_current), %eax
	cmp	(%rdi), %eax
	je	.Lspec_out_done
	mov	$MSR_IA32_SPEC_CTRL, %ecx
	xor	%edx, %edx
	wrmsr
.Lspec_out_done:

	/*
	 * Retbleed on AMD: RET untrained before interrupts are back; SRSO:
	 * an IBPB on every exit where the kernel chose that.
	 */
	UNTRAIN_RET_VM

	AXVM_CLEAR_GUEST_GPRS
	xor	%ebx, %ebx

	add	$32, %rsp
	pop	%rbx
	pop	%r12
	pop	%r13
	pop	%r14
	pop	%r15
	pop	%rbp
	RET
SYM_FUNC_END(__axvm_svm_run)
