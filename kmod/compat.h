/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Differences between the kernels axvm builds against (6.1 to 6.12): the
 * code uses the newer kernel's API, and an older kernel gets it here.
 */
#ifndef AXVM_COMPAT_H
#define AXVM_COMPAT_H

#include <linux/version.h>

/* Building against a kernel older than major.minor. */
#define AXVM_LINUX_BEFORE(major, minor)					\
	(KERNEL_VERSION(major, minor, 0) >				\
	 KERNEL_VERSION(LINUX_VERSION_MAJOR, LINUX_VERSION_PATCHLEVEL, 0))

#if AXVM_LINUX_BEFORE(6, 3)
/* 6.3 made vma->vm_flags read-only, written through vm_flags_set(). */
#define vm_flags_set(vma, flags)	((vma)->vm_flags |= (flags))
#endif

#if defined(CONFIG_X86) && AXVM_LINUX_BEFORE(6, 3)
/* 6.3 renamed VMX's IST-less NMI entry, asm_exc_nmi_noist before. */
#define asm_exc_nmi_kvm_vmx		asm_exc_nmi_noist
#endif

/*
 * SVM's RSB fill after #VMEXIT, as the kernel's own KVM does it: 6.9
 * renamed CONFIG_RETPOLINE, and 6.12's KVM fills by X86_FEATURE_RSB_VMEXIT
 * (every Spectre v2 mode that needs it), 6.1's by X86_FEATURE_RETPOLINE.
 */
#if defined(CONFIG_X86) && !AXVM_LINUX_BEFORE(6, 9)
#define AXVM_SVM_RSB_VMEXIT		X86_FEATURE_RSB_VMEXIT
#elif defined(CONFIG_X86) && defined(CONFIG_RETPOLINE)
#define AXVM_SVM_RSB_VMEXIT		X86_FEATURE_RETPOLINE
#endif

#if defined(CONFIG_X86) && AXVM_LINUX_BEFORE(6, 6) && defined(__ASSEMBLY__)
/* 6.6 added UNTRAIN_RET_VM; before, UNTRAIN_RET and SRSO's IBPB apart. */
.macro UNTRAIN_RET_VM
	UNTRAIN_RET
	ALTERNATIVE "", "call entry_ibpb", X86_FEATURE_IBPB_ON_VMEXIT
.endm
#endif

#if defined(CONFIG_X86) && AXVM_LINUX_BEFORE(6, 12)
/* 6.12 replaced msr-index.h's VMX_BASIC_* fields with asm/vmx.h's. */
#define VMX_BASIC_32BIT_PHYS_ADDR_ONLY	VMX_BASIC_64
#define vmx_basic_vmcs_mem_type(basic) \
	(((basic) & VMX_BASIC_MEM_TYPE_MASK) >> VMX_BASIC_MEM_TYPE_SHIFT)
/* 6.12 named the architectural memory types X86_MEMTYPE_*. */
#define X86_MEMTYPE_WB			VMX_BASIC_MEM_TYPE_WB
#endif

#endif /* AXVM_COMPAT_H */
