/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Exits with a known value in every general register, for tests of the
 * world switch (arm64_test's exit_seq): what the guest's registers and
 * the VMM thread's hold before an exit must be there after it. See the
 * declarations in test_vm.h.
 */
#ifdef __aarch64__

#include <asm/unistd.h>

/* x\n = \base + n for each n of the list. */
	.macro	known	base, list:vararg
	.irp	n, \list
	add	x\n, \base, #\n
	.endr
	.endm

/*
 * x0-x30 and \sr (SP_EL0 or TPIDR_EL0) to the 32 words at the address
 * in [sp, #\outslot] (as found before this macro moves sp); x0-x3 are
 * lost after.
 */
	.macro	dump	sr, outslot
	sub	sp, sp, #256
	stp	x0, x1, [sp, #0]
	stp	x2, x3, [sp, #16]
	stp	x4, x5, [sp, #32]
	stp	x6, x7, [sp, #48]
	stp	x8, x9, [sp, #64]
	stp	x10, x11, [sp, #80]
	stp	x12, x13, [sp, #96]
	stp	x14, x15, [sp, #112]
	stp	x16, x17, [sp, #128]
	stp	x18, x19, [sp, #144]
	stp	x20, x21, [sp, #160]
	stp	x22, x23, [sp, #176]
	stp	x24, x25, [sp, #192]
	stp	x26, x27, [sp, #208]
	stp	x28, x29, [sp, #224]
	str	x30, [sp, #240]
	mrs	x0, \sr
	str	x0, [sp, #248]
	ldr	x1, [sp, #256 + \outslot]
	mov	x2, #0
.Ldump\@:
	ldr	x3, [sp, x2, lsl #3]
	str	x3, [x1, x2, lsl #3]
	add	x2, x2, #1
	cmp	x2, #32
	b.lo	.Ldump\@
	ldr	x0, [sp, #0]
	add	sp, sp, #256
	.endm

/* x19-x30 of the caller, and a slot for @out at [sp, #96]. */
	.macro	save_callee	size
	stp	x29, x30, [sp, #-\size]!
	stp	x19, x20, [sp, #16]
	stp	x21, x22, [sp, #32]
	stp	x23, x24, [sp, #48]
	stp	x25, x26, [sp, #64]
	stp	x27, x28, [sp, #80]
	.endm

	.macro	restore_callee	size
	ldp	x19, x20, [sp, #16]
	ldp	x21, x22, [sp, #32]
	ldp	x23, x24, [sp, #48]
	ldp	x25, x26, [sp, #64]
	ldp	x27, x28, [sp, #80]
	ldp	x29, x30, [sp], #\size
	.endm

#define KNOWN_MMIO	0x10000000	/* arm64_test's MMIO */

/*
 * Guest code. void guest_exit_with_known_regs(u64 base, u64 kind,
 * u64 *out, u64 spin): SP_EL0 = base + 31, x1-x29 = base + n, then
 *   kind 0: x30 = base + 30, x0 = 0xa5e0, HVC (a hypercall to userspace)
 *   kind 1: x30 = base + 30, x0 = PSCI_VERSION, HVC (in the kernel)
 *   kind 2: x0 = base, x30 = KNOWN_MMIO + 0x100, STR x29 (MMIO store)
 *   kind 3: x0 = base, x30 = KNOWN_MMIO + 0x108, LDR x0 (MMIO load)
 *   kind 4: x0 = base, x30 = spin, counted down to 0 (host interrupts)
 * and x0-x30, SP_EL0 after it to out[0..31].
 */
	.text
	.global	guest_exit_with_known_regs
	.type	guest_exit_with_known_regs, %function
guest_exit_with_known_regs:
	save_callee 112
	str	x2, [sp, #96]
	add	x4, x0, #31
	msr	sp_el0, x4
	cmp	x1, #1
	b.eq	1f
	cmp	x1, #2
	b.eq	2f
	cmp	x1, #3
	b.eq	3f
	cmp	x1, #4
	b.eq	4f

	known	x0, 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30
	mov	x0, #0xa5e0
	hvc	#0
	b	9f
1:	known	x0, 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30
	movz	x0, #0x8400, lsl #16		/* PSCI_VERSION */
	hvc	#0
	b	9f
2:	known	x0, 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29
	movz	x30, #(KNOWN_MMIO >> 16), lsl #16
	movk	x30, #0x100
	str	x29, [x30]
	b	9f
3:	known	x0, 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29
	movz	x30, #(KNOWN_MMIO >> 16), lsl #16
	movk	x30, #0x108
	ldr	x0, [x30]
	b	9f
4:	mov	x30, x3
	known	x0, 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29
5:	subs	x30, x30, #1
	b.ne	5b
9:	dump	sp_el0, 96
	restore_callee 112
	ret
	.size	guest_exit_with_known_regs, . - guest_exit_with_known_regs

/*
 * Host code. long host_run_known_regs(int fd, unsigned long req,
 * u64 base, u64 *out): ioctl(fd, req, 0) through SVC with x3-x7 and
 * x9-x30 = base + n and TPIDR_EL0 = base + 32; x0-x30 and TPIDR_EL0
 * after it to out[0..31] (x0: the result, -errno on failure). TPIDR_EL0
 * is the C library's thread pointer: it is put back before returning,
 * and nothing between may use it.
 */
	.global	host_run_known_regs
	.type	host_run_known_regs, %function
host_run_known_regs:
	save_callee 128
	str	x3, [sp, #96]
	mrs	x4, tpidr_el0
	str	x4, [sp, #104]
	add	x4, x2, #32
	msr	tpidr_el0, x4
	known	x2, 3,4,5,6,7,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30
	mov	x2, #0
	mov	x8, #__NR_ioctl
	svc	#0
	dump	tpidr_el0, 96
	ldr	x4, [sp, #104]
	msr	tpidr_el0, x4
	restore_callee 128
	ret
	.size	host_run_known_regs, . - host_run_known_regs

#endif /* __aarch64__ */
