/* SPDX-License-Identifier: GPL-2.0 */
/*
 * riscv64 world switch. __axvm_riscv_enter() saves the host's callee-saved
 * registers and the trap CSRs in the context, points stvec at the exit
 * path and sscratch at the context, loads the guest's registers and SRETs
 * into VS/VU-mode. Any trap from the guest lands in the exit path, which
 * saves the guest's registers, puts the host's CSRs back and returns to
 * the caller of __axvm_riscv_enter(). Interrupts are disabled throughout.
 */
#include <linux/linkage.h>
#include <asm/asm.h>
#include <asm/csr.h>
#include <asm/insn-def.h>

/* struct axvm_riscv_ctx (riscv.h); run.c checks these offsets. */
#define CTX_X(n)		((n) * 8)
#define CTX_SEPC		256
#define CTX_SSTATUS		264
#define CTX_HSTATUS		272
#define CTX_HOST_SSTATUS	280
#define CTX_HOST_HSTATUS	288
#define CTX_HOST_STVEC		296
#define CTX_HOST_SSCRATCH	304
#define CTX_HOST_S(n)		(312 + (n) * 8)

	.text
SYM_FUNC_START(__axvm_riscv_enter)
	/* What the C calling convention and Linux expect to survive. */
	sd	ra, CTX_HOST_S(0)(a0)
	sd	sp, CTX_HOST_S(1)(a0)
	sd	gp, CTX_HOST_S(2)(a0)
	sd	tp, CTX_HOST_S(3)(a0)
	sd	s0, CTX_HOST_S(4)(a0)
	sd	s1, CTX_HOST_S(5)(a0)
	sd	s2, CTX_HOST_S(6)(a0)
	sd	s3, CTX_HOST_S(7)(a0)
	sd	s4, CTX_HOST_S(8)(a0)
	sd	s5, CTX_HOST_S(9)(a0)
	sd	s6, CTX_HOST_S(10)(a0)
	sd	s7, CTX_HOST_S(11)(a0)
	sd	s8, CTX_HOST_S(12)(a0)
	sd	s9, CTX_HOST_S(13)(a0)
	sd	s10, CTX_HOST_S(14)(a0)
	sd	s11, CTX_HOST_S(15)(a0)

	/* sstatus.SPP and hstatus.SPV/SPVP choose VS or VU for SRET. */
	ld	t0, CTX_SSTATUS(a0)
	ld	t1, CTX_HSTATUS(a0)
	ld	t2, CTX_SEPC(a0)
	la	t3, __axvm_riscv_exit
	csrrw	t0, CSR_SSTATUS, t0
	sd	t0, CTX_HOST_SSTATUS(a0)
	csrrw	t1, CSR_HSTATUS, t1
	sd	t1, CTX_HOST_HSTATUS(a0)
	csrw	CSR_SEPC, t2
	csrrw	t3, CSR_STVEC, t3
	sd	t3, CTX_HOST_STVEC(a0)
	csrrw	t4, CSR_SSCRATCH, a0
	sd	t4, CTX_HOST_SSCRATCH(a0)

	/* The guest's registers, a0 last: it points at the context. */
	ld	ra, CTX_X(1)(a0)
	ld	sp, CTX_X(2)(a0)
	ld	gp, CTX_X(3)(a0)
	ld	tp, CTX_X(4)(a0)
	ld	t0, CTX_X(5)(a0)
	ld	t1, CTX_X(6)(a0)
	ld	t2, CTX_X(7)(a0)
	ld	s0, CTX_X(8)(a0)
	ld	s1, CTX_X(9)(a0)
	ld	a1, CTX_X(11)(a0)
	ld	a2, CTX_X(12)(a0)
	ld	a3, CTX_X(13)(a0)
	ld	a4, CTX_X(14)(a0)
	ld	a5, CTX_X(15)(a0)
	ld	a6, CTX_X(16)(a0)
	ld	a7, CTX_X(17)(a0)
	ld	s2, CTX_X(18)(a0)
	ld	s3, CTX_X(19)(a0)
	ld	s4, CTX_X(20)(a0)
	ld	s5, CTX_X(21)(a0)
	ld	s6, CTX_X(22)(a0)
	ld	s7, CTX_X(23)(a0)
	ld	s8, CTX_X(24)(a0)
	ld	s9, CTX_X(25)(a0)
	ld	s10, CTX_X(26)(a0)
	ld	s11, CTX_X(27)(a0)
	ld	t3, CTX_X(28)(a0)
	ld	t4, CTX_X(29)(a0)
	ld	t5, CTX_X(30)(a0)
	ld	t6, CTX_X(31)(a0)
	ld	a0, CTX_X(10)(a0)
	sret

	/* stvec while the guest runs: direct mode, so 4-byte aligned. */
	.balign	4
__axvm_riscv_exit:
	csrrw	a0, CSR_SSCRATCH, a0
	sd	ra, CTX_X(1)(a0)
	sd	sp, CTX_X(2)(a0)
	sd	gp, CTX_X(3)(a0)
	sd	tp, CTX_X(4)(a0)
	sd	t0, CTX_X(5)(a0)
	sd	t1, CTX_X(6)(a0)
	sd	t2, CTX_X(7)(a0)
	sd	s0, CTX_X(8)(a0)
	sd	s1, CTX_X(9)(a0)
	sd	a1, CTX_X(11)(a0)
	sd	a2, CTX_X(12)(a0)
	sd	a3, CTX_X(13)(a0)
	sd	a4, CTX_X(14)(a0)
	sd	a5, CTX_X(15)(a0)
	sd	a6, CTX_X(16)(a0)
	sd	a7, CTX_X(17)(a0)
	sd	s2, CTX_X(18)(a0)
	sd	s3, CTX_X(19)(a0)
	sd	s4, CTX_X(20)(a0)
	sd	s5, CTX_X(21)(a0)
	sd	s6, CTX_X(22)(a0)
	sd	s7, CTX_X(23)(a0)
	sd	s8, CTX_X(24)(a0)
	sd	s9, CTX_X(25)(a0)
	sd	s10, CTX_X(26)(a0)
	sd	s11, CTX_X(27)(a0)
	sd	t3, CTX_X(28)(a0)
	sd	t4, CTX_X(29)(a0)
	sd	t5, CTX_X(30)(a0)
	sd	t6, CTX_X(31)(a0)
	csrr	t0, CSR_SSCRATCH
	sd	t0, CTX_X(10)(a0)
	csrr	t0, CSR_SEPC
	sd	t0, CTX_SEPC(a0)

	/* The host's CSRs back; the guest's status as the trap left it. */
	ld	t1, CTX_HOST_SSTATUS(a0)
	ld	t2, CTX_HOST_HSTATUS(a0)
	ld	t3, CTX_HOST_STVEC(a0)
	ld	t4, CTX_HOST_SSCRATCH(a0)
	csrrw	t1, CSR_SSTATUS, t1
	sd	t1, CTX_SSTATUS(a0)
	csrrw	t2, CSR_HSTATUS, t2
	sd	t2, CTX_HSTATUS(a0)
	csrw	CSR_STVEC, t3
	csrw	CSR_SSCRATCH, t4

	ld	ra, CTX_HOST_S(0)(a0)
	ld	sp, CTX_HOST_S(1)(a0)
	ld	gp, CTX_HOST_S(2)(a0)
	ld	tp, CTX_HOST_S(3)(a0)
	ld	s0, CTX_HOST_S(4)(a0)
	ld	s1, CTX_HOST_S(5)(a0)
	ld	s2, CTX_HOST_S(6)(a0)
	ld	s3, CTX_HOST_S(7)(a0)
	ld	s4, CTX_HOST_S(8)(a0)
	ld	s5, CTX_HOST_S(9)(a0)
	ld	s6, CTX_HOST_S(10)(a0)
	ld	s7, CTX_HOST_S(11)(a0)
	ld	s8, CTX_HOST_S(12)(a0)
	ld	s9, CTX_HOST_S(13)(a0)
	ld	s10, CTX_HOST_S(14)(a0)
	ld	s11, CTX_HOST_S(15)(a0)
	ret
SYM_FUNC_END(__axvm_riscv_enter)

/*
 * HLVX.HU of the guest's code at a0 into *a1, with the guest's vsatp,
 * hgatp and hstatus.SPVP loaded. A fault traps to the local handler,
 * which returns the trap's scause instead of 0.
 */
SYM_FUNC_START(__axvm_riscv_hlvx_hu)
	la	t0, .Lhlvx_fault
	csrrw	t0, CSR_STVEC, t0
	HLVX_HU(t1, a0)
	sh	t1, 0(a1)
	li	a0, 0
	j	.Lhlvx_done
	.balign	4
.Lhlvx_fault:
	csrr	a0, CSR_SCAUSE
.Lhlvx_done:
	csrw	CSR_STVEC, t0
	ret
SYM_FUNC_END(__axvm_riscv_hlvx_hu)

/* F and D registers and fcsr; the caller has sstatus.FS on. */
SYM_FUNC_START(__axvm_riscv_fp_save)
	fsd	f0, 0 * 8(a0)
	fsd	f1, 1 * 8(a0)
	fsd	f2, 2 * 8(a0)
	fsd	f3, 3 * 8(a0)
	fsd	f4, 4 * 8(a0)
	fsd	f5, 5 * 8(a0)
	fsd	f6, 6 * 8(a0)
	fsd	f7, 7 * 8(a0)
	fsd	f8, 8 * 8(a0)
	fsd	f9, 9 * 8(a0)
	fsd	f10, 10 * 8(a0)
	fsd	f11, 11 * 8(a0)
	fsd	f12, 12 * 8(a0)
	fsd	f13, 13 * 8(a0)
	fsd	f14, 14 * 8(a0)
	fsd	f15, 15 * 8(a0)
	fsd	f16, 16 * 8(a0)
	fsd	f17, 17 * 8(a0)
	fsd	f18, 18 * 8(a0)
	fsd	f19, 19 * 8(a0)
	fsd	f20, 20 * 8(a0)
	fsd	f21, 21 * 8(a0)
	fsd	f22, 22 * 8(a0)
	fsd	f23, 23 * 8(a0)
	fsd	f24, 24 * 8(a0)
	fsd	f25, 25 * 8(a0)
	fsd	f26, 26 * 8(a0)
	fsd	f27, 27 * 8(a0)
	fsd	f28, 28 * 8(a0)
	fsd	f29, 29 * 8(a0)
	fsd	f30, 30 * 8(a0)
	fsd	f31, 31 * 8(a0)
	frcsr	t0
	sd	t0, 32 * 8(a0)
	ret
SYM_FUNC_END(__axvm_riscv_fp_save)

SYM_FUNC_START(__axvm_riscv_fp_load)
	fld	f0, 0 * 8(a0)
	fld	f1, 1 * 8(a0)
	fld	f2, 2 * 8(a0)
	fld	f3, 3 * 8(a0)
	fld	f4, 4 * 8(a0)
	fld	f5, 5 * 8(a0)
	fld	f6, 6 * 8(a0)
	fld	f7, 7 * 8(a0)
	fld	f8, 8 * 8(a0)
	fld	f9, 9 * 8(a0)
	fld	f10, 10 * 8(a0)
	fld	f11, 11 * 8(a0)
	fld	f12, 12 * 8(a0)
	fld	f13, 13 * 8(a0)
	fld	f14, 14 * 8(a0)
	fld	f15, 15 * 8(a0)
	fld	f16, 16 * 8(a0)
	fld	f17, 17 * 8(a0)
	fld	f18, 18 * 8(a0)
	fld	f19, 19 * 8(a0)
	fld	f20, 20 * 8(a0)
	fld	f21, 21 * 8(a0)
	fld	f22, 22 * 8(a0)
	fld	f23, 23 * 8(a0)
	fld	f24, 24 * 8(a0)
	fld	f25, 25 * 8(a0)
	fld	f26, 26 * 8(a0)
	fld	f27, 27 * 8(a0)
	fld	f28, 28 * 8(a0)
	fld	f29, 29 * 8(a0)
	fld	f30, 30 * 8(a0)
	fld	f31, 31 * 8(a0)
	ld	t0, 32 * 8(a0)
	fscsr	t0
	ret
SYM_FUNC_END(__axvm_riscv_fp_load)
