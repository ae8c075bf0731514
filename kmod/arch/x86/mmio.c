// SPDX-License-Identifier: GPL-2.0
/*
 * Completing for the guest the instructions the hardware stopped on: an
 * access to guest-physical memory that is no RAM (MMIO, or a write to
 * read-only RAM), and the string port I/O instructions. The instruction
 * is fetched at the guest RIP through the guest's own page tables and
 * decoded (decode.c); what it reads comes from the in-kernel irqchip,
 * from RAM or from userspace (an MMIO or IO exit completed on the next
 * RUN); what it computes is alu.c's; what it writes goes back the same
 * ways. The guest RIP moves past the instruction only once it is done,
 * as on the CPU, and a REP string instruction does one element per exit
 * and runs again until rCX is 0, which the SDM allows (an interrupted
 * REP resumes from its registers).
 */
#define pr_fmt(fmt) "axvm: " fmt

#include <linux/mm.h>
#include <asm/processor-flags.h>

#include "alu.h"
#include "decode.h"
#include "irqchip.h"

#define PTE_P		BIT_ULL(0)
#define PTE_RW		BIT_ULL(1)
#define PTE_US		BIT_ULL(2)
#define PTE_A		BIT_ULL(5)
#define PTE_D		BIT_ULL(6)
#define PTE_PS		BIT_ULL(7)
#define PTE_ADDR	GENMASK_ULL(51, 12)
#define PTE_XD		BIT_ULL(63)

/* The #PF error code (SDM 4.7). */
#define PF_PRESENT	BIT(0)
#define PF_WRITE	BIT(1)
#define PF_USER		BIT(2)

enum axvm_x86_access {
	AXVM_X86_ACC_FETCH,	/* the instruction: no checks, no A/D bits */
	AXVM_X86_ACC_READ,
	AXVM_X86_ACC_WRITE,
};

/* A guest page table entry: 8 bytes, or 4 with 32-bit paging. */
static int axvm_x86_read_pte(struct axvm_vm *vm, u64 gpa, unsigned int size,
			     u64 *pte)
{
	u32 pte32;
	int ret;

	if (size == 8)
		return axvm_mem_read(vm, gpa, pte, 8);
	ret = axvm_mem_read(vm, gpa, &pte32, 4);
	*pte = pte32;
	return ret;
}

/*
 * The accessed flag of each entry used, and the dirty flag of the last
 * for a write, as the CPU sets them (SDM 4.8); atomically, since other
 * vCPUs walk and change the same tables.
 */
static void axvm_x86_set_ad(struct axvm_vm *vm, u64 gpa, u64 pte,
			    unsigned int size, u64 bits)
{
	if ((pte & bits) != bits)
		axvm_mem_set_bits(vm, gpa, bits, size);
}

/*
 * Walk the guest's paging (none, 32-bit, PAE, 4-level or 5-level) for a
 * linear address. Data accesses are checked as the CPU checks them (SDM
 * 4.6: U/S at CPL 3, R/W for writes at CPL 3 or with CR0.WP, SMAP for
 * supervisor accesses to user pages without RFLAGS.AC) and set the
 * accessed and dirty flags; @pf gets the #PF error code for -EFAULT.
 * Reserved bits and protection keys are not checked. @allowed, if not
 * NULL, gets R/W and U/S as every level allows them, and XD where one
 * level sets it with EFER.NXE (SDM 4.6.1).
 */
static int axvm_x86_walk_perm(struct axvm_x86_vcpu *x, u64 la,
			      enum axvm_x86_access acc, u64 *gpa, u32 *pf,
			      u64 *allowed_out)
{
	struct axvm_vm *vm = x->vcpu->vm;
	bool check = acc != AXVM_X86_ACC_FETCH;
	bool write = acc == AXVM_X86_ACC_WRITE;
	bool user = check && axvm_x86_cpl(x) == 3;
	unsigned int levels, bits, size, level, shift;
	u64 table, pte, pte_gpa, allowed = PTE_RW | PTE_US, xd = 0;

	*pf = (write ? PF_WRITE : 0) | (user ? PF_USER : 0);
	if (!(x->cr0 & X86_CR0_PG)) {
		*gpa = la;
		if (allowed_out)
			*allowed_out = allowed;
		return 0;
	}
	if (x->efer & EFER_LMA) {
		levels = x->cr4 & X86_CR4_LA57 ? 5 : 4, bits = 9, size = 8;
		table = x->cr3 & PTE_ADDR;
	} else if (x->cr4 & X86_CR4_PAE) {
		/* The four PDPTEs (no R/W or U/S), then two levels of 512. */
		if (axvm_x86_read_pte(vm, (x->cr3 & 0xffffffe0) +
				      ((la >> 30) & 3) * 8, 8, &pte) ||
		    !(pte & PTE_P))
			return -EFAULT;
		levels = 2, bits = 9, size = 8;
		table = pte & PTE_ADDR;
	} else {
		levels = 2, bits = 10, size = 4;
		table = x->cr3 & 0xfffff000;
	}

	for (level = levels; level; level--) {
		shift = 12 + bits * (level - 1);
		pte_gpa = table + ((la >> shift) & (BIT(bits) - 1)) * size;
		if (axvm_x86_read_pte(vm, pte_gpa, size, &pte) ||
		    !(pte & PTE_P))
			return -EFAULT;
		allowed &= pte;
		if (size == 8 && x->efer & EFER_NX)
			xd |= pte & PTE_XD;
		if (check)
			axvm_x86_set_ad(vm, pte_gpa, pte, size, PTE_A);
		/* 1 GiB, 2 MiB or 4 MiB pages (4 MiB: bits 31:22 only). */
		if (level > 1 && level < 4 && pte & PTE_PS) {
			u64 base = size == 4 ? pte & 0xffc00000 : pte & PTE_ADDR;

			*gpa = (base & ~(BIT_ULL(shift) - 1)) |
			       (la & (BIT_ULL(shift) - 1));
			break;
		}
		table = pte & (size == 4 ? 0xfffff000 : PTE_ADDR);
		if (level == 1)
			*gpa = table | (la & 0xfff);
	}
	if (allowed_out)
		*allowed_out = (allowed & (PTE_RW | PTE_US)) | xd;
	if (!check)
		return 0;
	*pf |= PF_PRESENT;
	if (user && !(allowed & PTE_US))
		return -EFAULT;
	if (write && !(allowed & PTE_RW) && (user || x->cr0 & X86_CR0_WP))
		return -EFAULT;
	if (!user && allowed & PTE_US && x->cr4 & X86_CR4_SMAP &&
	    !(x->rflags & X86_EFLAGS_AC))
		return -EFAULT;
	if (write)
		axvm_x86_set_ad(vm, pte_gpa, pte, size, PTE_A | PTE_D);
	return 0;
}

static int axvm_x86_walk(struct axvm_x86_vcpu *x, u64 la,
			 enum axvm_x86_access acc, u64 *gpa, u32 *pf)
{
	return axvm_x86_walk_perm(x, la, acc, gpa, pf, NULL);
}

/*
 * AXVM_TRANSLATE: @la through the guest's current paging, nothing
 * checked or set in guest memory. A linear address in long mode is
 * canonical for 48 or 57 bits (SDM 4.5), else -EINVAL; outside long
 * mode it has 32 bits.
 */
int axvm_x86_translate(struct axvm_x86_vcpu *x, u64 la, u64 *gpa,
		       u32 *perm)
{
	unsigned int va_bits = x->cr4 & X86_CR4_LA57 ? 57 : 48;
	u64 allowed;
	u32 pf;

	if (x->efer & EFER_LMA) {
		if (sign_extend64(la, va_bits - 1) != la)
			return -EINVAL;
	} else if (la >> 32) {
		return -EINVAL;
	}
	if (axvm_x86_walk_perm(x, la, AXVM_X86_ACC_FETCH, gpa, &pf, &allowed))
		return -ENOENT;
	/* SMEP: the kernel never executes a user page (SDM 4.6.1). */
	*perm = (allowed & PTE_RW ? AXVM_TRANSLATE_WRITE : 0) |
		(allowed & PTE_US ? AXVM_TRANSLATE_USER : 0) |
		(allowed & PTE_XD ||
		 (allowed & PTE_US && x->cr4 & X86_CR4_SMEP) ?
		 0 : AXVM_TRANSLATE_EXEC);
	return 0;
}

/*
 * Whether @la is mapped present at every level of the guest's paging,
 * permissions aside; nothing in guest memory changes.
 */
bool axvm_x86_la_present(struct axvm_x86_vcpu *x, u64 la)
{
	u64 gpa;
	u32 pf;

	return !axvm_x86_walk(x, la, AXVM_X86_ACC_FETCH, &gpa, &pf);
}

/* Up to 15 bytes at CS:RIP; how many could be read. */
static unsigned int axvm_x86_fetch(struct axvm_x86_vcpu *x, u8 *buf)
{
	unsigned int mode = axvm_x86_cpu_mode(x), done = 0, chunk;
	u64 la = x->rip, gpa;
	u32 pf;

	if (mode != 64)
		la = (x->seg[AXVM_X86_CS].base + x->rip) & 0xffffffff;
	while (done < AXVM_X86_INSN_MAX) {
		chunk = min_t(unsigned int, AXVM_X86_INSN_MAX - done,
			      PAGE_SIZE - offset_in_page(la + done));
		if (axvm_x86_walk(x, la + done, AXVM_X86_ACC_FETCH, &gpa, &pf) ||
		    axvm_mem_read(x->vcpu->vm, gpa, buf + done, chunk))
			break;
		done += chunk;
	}
	return done;
}

/* Up to @n bytes of code at CS:RIP, for backends that inspect a trap. */
unsigned int axvm_x86_read_code(struct axvm_x86_vcpu *x, u8 *buf,
				unsigned int n)
{
	u8 bytes[AXVM_X86_INSN_MAX];
	unsigned int got = axvm_x86_fetch(x, bytes);

	got = min(got, n);
	memcpy(buf, bytes, got);
	return got;
}

static u64 axvm_x86_mask(unsigned int bytes)
{
	return bytes == 8 ? ~0ULL : BIT_ULL(bytes * 8) - 1;
}

/* A register operand of @size bytes: AH CH DH BH for @high. */
static u64 axvm_x86_get_operand(struct axvm_x86_vcpu *x, unsigned int reg,
				unsigned int size, bool high)
{
	if (high)
		return (x->gpr[reg - 4] >> 8) & 0xff;
	return x->gpr[reg] & axvm_x86_mask(size);
}

static void axvm_x86_set_operand(struct axvm_x86_vcpu *x, unsigned int reg,
				 unsigned int size, bool high, u64 v)
{
	if (high) {
		x->gpr[reg - 4] = (x->gpr[reg - 4] & ~0xff00ULL) |
				  ((v & 0xff) << 8);
		return;
	}
	axvm_x86_set_reg(x, reg, size, v);
}

/*
 * The linear address of a string operand: @seg's base and @reg, both cut
 * to the address size; in 64-bit mode only FS and GS have a base, and a
 * non-canonical address is a #GP(0) (raised; -EFAULT). Segment limits
 * are not checked.
 */
static int axvm_x86_string_la(struct axvm_x86_vcpu *x, unsigned int seg,
			      unsigned int reg, u64 *la)
{
	const struct axvm_x86_insn *insn = &x->mmio_insn;
	u64 off = x->gpr[reg] & axvm_x86_mask(insn->adsize);

	if (axvm_x86_cpu_mode(x) != 64) {
		*la = (x->seg[seg].base + off) & 0xffffffff;
		return 0;
	}
	*la = off;
	if (seg == AXVM_X86_FS || seg == AXVM_X86_GS)
		*la += x->seg[seg].base;
	if ((u64)((s64)(*la << 16) >> 16) != *la) {
		axvm_x86_raise(x, AXVM_X86_GP_VECTOR, true, 0);
		return -EFAULT;
	}
	return 0;
}

/*
 * @size bytes at linear @la, for the instruction being completed: each
 * page is translated (a #PF raised and -EFAULT when the guest's tables
 * refuse the access) before any is touched. -ENOENT or -EROFS when it is
 * not (writable) RAM; then @gpa is where the access starts. -EOPNOTSUPP
 * for paging the walk does not know (5-level, which CPUID hides).
 */
static int axvm_x86_access_la(struct axvm_x86_vcpu *x, u64 la, void *buf,
			      unsigned int size, bool write, u64 *gpa)
{
	enum axvm_x86_access acc = write ? AXVM_X86_ACC_WRITE :
					   AXVM_X86_ACC_READ;
	unsigned int first = min_t(unsigned int, size,
				   PAGE_SIZE - offset_in_page(la));
	struct axvm_vm *vm = x->vcpu->vm;
	u64 gpa2 = 0, fault_la = la;
	u32 pf;
	int ret;

	ret = axvm_x86_walk(x, la, acc, gpa, &pf);
	if (!ret && first < size) {
		fault_la = la + first;
		ret = axvm_x86_walk(x, fault_la, acc, &gpa2, &pf);
	}
	if (ret == -EFAULT) {
		x->cr2 = fault_la;
		axvm_x86_raise(x, AXVM_X86_PF_VECTOR, true, pf);
		return ret;
	}
	if (ret)
		return -EOPNOTSUPP;
	if (write) {
		ret = axvm_mem_write(vm, *gpa, buf, first);
		if (!ret && first < size)
			ret = axvm_mem_write(vm, gpa2, buf + first, size - first);
	} else {
		ret = axvm_mem_read(vm, *gpa, buf, first);
		if (!ret && first < size)
			ret = axvm_mem_read(vm, gpa2, buf + first, size - first);
	}
	return ret;
}

/*
 * One element of a string instruction at @seg:@reg (rSI or rDI) in guest
 * memory, read into or written from @v: axvm_x86_access_la() at the
 * operand's linear address, with its return values (-EFAULT also for
 * the #GP of a non-canonical address).
 */
static int axvm_x86_string_access(struct axvm_x86_vcpu *x, unsigned int seg,
				  unsigned int reg, u64 *v, bool write,
				  u64 *gpa)
{
	u64 la;
	int ret;

	ret = axvm_x86_string_la(x, seg, reg, &la);
	if (ret)
		return ret;
	return axvm_x86_access_la(x, la, v, x->mmio_insn.size, write, gpa);
}

static int axvm_x86_decode_failed(struct axvm_x86_vcpu *x, const u8 *bytes,
				  unsigned int n, u64 gpa)
{
	struct axvm_run *run = x->vcpu->run;

	run->internal.suberror = AXVM_INTERNAL_DECODE_FAILED;
	run->internal.ndata = 5;
	run->internal.data[0] = 0;
	run->internal.data[1] = 0;
	if (n)
		memcpy(run->internal.data, bytes, n);
	run->internal.data[2] = n;
	run->internal.data[3] = gpa;
	run->internal.data[4] = x->rip;
	return AXVM_EXIT_INTERNAL_ERROR;
}

/*
 * The instruction's other memory operand is neither RAM nor MMIO that
 * can be completed (across a page, or under paging the walk does not
 * know): the same internal error, with no bytes.
 */
static int axvm_x86_emulation_failed(struct axvm_x86_vcpu *x, u64 addr)
{
	return axvm_x86_decode_failed(x, NULL, 0, addr);
}

/* A store of @v to MMIO at @gpa: the irqchip's, or userspace's. */
static int axvm_x86_mmio_write(struct axvm_x86_vcpu *x, u64 gpa, u64 v)
{
	const struct axvm_x86_insn *insn = &x->mmio_insn;
	struct axvm_run *run = x->vcpu->run;
	int ret;

	run->mmio.phys_addr = gpa;
	run->mmio.len = insn->size;
	run->mmio.is_write = 1;
	run->mmio.sign_extend = 0;
	run->mmio.reg = insn->reg;
	run->mmio.data = v & axvm_x86_mask(insn->size);
	ret = axvm_x86_user_ipi_mmio(x, gpa, insn->size, true,
				     &run->mmio.data);
	if (ret > 0)
		return ret;
	if (!ret ||
	    !axvm_x86_chip_mmio(x, gpa, insn->size, true, &run->mmio.data))
		return AXVM_EXIT_MMIO | AXVM_ARCH_EXIT_HANDLED;
	return AXVM_EXIT_MMIO;
}

/*
 * One element of a string instruction done: rSI and rDI step by the
 * operand size (down with RFLAGS.DF), within the address size as the CPU
 * does it; with REP, rCX counts down and the instruction runs again
 * until it is 0.
 */
static void axvm_x86_string_step(struct axvm_x86_vcpu *x, bool si, bool di)
{
	const struct axvm_x86_insn *insn = &x->mmio_insn;
	unsigned int ad = insn->adsize;
	u64 step = x->rflags & X86_EFLAGS_DF ? -(u64)insn->size : insn->size;

	if (si)
		axvm_x86_set_reg(x, AXVM_X86_RSI, ad, x->gpr[AXVM_X86_RSI] + step);
	if (di)
		axvm_x86_set_reg(x, AXVM_X86_RDI, ad, x->gpr[AXVM_X86_RDI] + step);
	if (insn->rep) {
		axvm_x86_set_reg(x, AXVM_X86_RCX, ad, x->gpr[AXVM_X86_RCX] - 1);
		if (x->gpr[AXVM_X86_RCX] & axvm_x86_mask(ad))
			return;
	}
	x->rip += insn->len;
}

/* The MOVS element read from MMIO goes to ES:rDI: RAM, or MMIO again. */
static int axvm_x86_movs_store(struct axvm_x86_vcpu *x, u64 v)
{
	u64 gpa = 0;
	int ret;

	ret = axvm_x86_string_access(x, AXVM_X86_ES, AXVM_X86_RDI, &v, true,
				     &gpa);
	if (ret == -EFAULT)
		return AXVM_EXIT_NONE | AXVM_ARCH_EXIT_HANDLED;
	/*
	 * MMIO to MMIO, within one page (the linear and the physical
	 * address share their page offset): a second exit, for the store.
	 */
	if ((ret == -ENOENT || ret == -EROFS) &&
	    offset_in_page(gpa) + x->mmio_insn.size <= PAGE_SIZE) {
		axvm_x86_string_step(x, true, true);
		return axvm_x86_mmio_write(x, gpa, v);
	}
	if (ret)
		return axvm_x86_emulation_failed(x, gpa);
	axvm_x86_string_step(x, true, true);
	return AXVM_EXIT_MMIO | AXVM_ARCH_EXIT_HANDLED;
}

/*
 * The instruction completed with @v, the @size bytes it read from
 * memory: registers and flags as the SDM says; a store back to memory
 * when it writes (CMPXCHG writes in both cases: "the destination operand
 * receives a write cycle without regard to the result of the
 * comparison").
 */
static int axvm_x86_mmio_finish(struct axvm_x86_vcpu *x, u64 v)
{
	const struct axvm_x86_insn *insn = &x->mmio_insn;
	unsigned int size = insn->size;
	u64 src, acc, r;
	bool store = insn->write;

	v &= axvm_x86_mask(size);
	switch (insn->op) {
	case AXVM_X86_OP_MOV:
		v = axvm_mmio_read_value(v, size, insn->sign_extend);
		axvm_x86_set_operand(x, insn->reg, insn->dst_size,
				     insn->high_byte, v);
		x->rip += insn->len;
		return AXVM_EXIT_MMIO | AXVM_ARCH_EXIT_HANDLED;
	case AXVM_X86_OP_MOVS:
		return axvm_x86_movs_store(x, v);
	case AXVM_X86_OP_XCHG:
		r = axvm_x86_get_operand(x, insn->reg, size, insn->high_byte);
		axvm_x86_set_operand(x, insn->reg, size, insn->high_byte, v);
		break;
	case AXVM_X86_OP_CMPXCHG:
		acc = x->gpr[AXVM_X86_RAX] & axvm_x86_mask(size);
		axvm_x86_alu(AXVM_X86_OP_CMP, acc, v, size, &x->rflags);
		if (acc == v) {
			r = axvm_x86_get_operand(x, insn->reg, size,
						 insn->high_byte);
		} else {
			axvm_x86_set_reg(x, AXVM_X86_RAX, size, v);
			r = v;
		}
		break;
	case AXVM_X86_OP_XADD:
		src = axvm_x86_get_operand(x, insn->reg, size, insn->high_byte);
		r = axvm_x86_alu(AXVM_X86_OP_ADD, v, src, size, &x->rflags);
		axvm_x86_set_operand(x, insn->reg, size, insn->high_byte, v);
		break;
	default:
		/* ALU, TEST, NOT, NEG, INC, DEC, BT*. */
		src = insn->has_imm ? insn->imm :
		      axvm_x86_get_operand(x, insn->reg, size, insn->high_byte);
		if (insn->dst_size) {
			/* The register is the first operand: r = reg op mem. */
			r = axvm_x86_alu(insn->op, src, v, size, &x->rflags);
			if (insn->op != AXVM_X86_OP_CMP)
				axvm_x86_set_operand(x, insn->reg, size,
						     insn->high_byte, r);
		} else {
			r = axvm_x86_alu(insn->op, v, src, size, &x->rflags);
		}
	}
	x->rip += insn->len;
	return store ? axvm_x86_mmio_write(x, x->mmio_gpa, r) :
		       AXVM_EXIT_MMIO | AXVM_ARCH_EXIT_HANDLED;
}

/*
 * The value the instruction reads at @gpa: from the irqchip or RAM (a
 * read-modify-write of read-only RAM faults only on its write) at once,
 * else from userspace on the next RUN.
 */
static int axvm_x86_mmio_read(struct axvm_x86_vcpu *x, u64 gpa)
{
	const struct axvm_x86_insn *insn = &x->mmio_insn;
	struct axvm_run *run = x->vcpu->run;
	u64 v = 0;

	if (!axvm_x86_user_ipi_mmio(x, gpa, insn->size, false, &v) ||
	    !axvm_x86_chip_mmio(x, gpa, insn->size, false, &v) ||
	    !axvm_mem_read(x->vcpu->vm, gpa, &v, insn->size))
		return axvm_x86_mmio_finish(x, v);
	run->mmio.phys_addr = gpa;
	run->mmio.len = insn->size;
	run->mmio.is_write = 0;
	run->mmio.sign_extend = insn->op == AXVM_X86_OP_MOV &&
				insn->sign_extend;
	run->mmio.reg = insn->reg;
	run->mmio.data = 0;
	x->pending = AXVM_EXIT_MMIO;
	return AXVM_EXIT_MMIO;
}

/* The access the hardware stopped on, against what the instruction does. */
static bool axvm_x86_mmio_fits(const struct axvm_x86_insn *insn, bool write)
{
	switch (insn->op) {
	case AXVM_X86_OP_MOV:
		return insn->write == write;
	case AXVM_X86_OP_STOS:
		return write;
	case AXVM_X86_OP_MOVS:
		return true;
	case AXVM_X86_OP_INS:
	case AXVM_X86_OP_OUTS:
		/* Port I/O is intercepted before memory is touched. */
		return false;
	}
	/* Read-modify-write faults on its read, or on its write to ROM. */
	return insn->rmw || !write;
}

/* What stopped the guest: an access to MMIO, or a port. */
enum axvm_x86_stop {
	AXVM_X86_STOP_MMIO_READ,
	AXVM_X86_STOP_MMIO_WRITE,
	AXVM_X86_STOP_IN,
	AXVM_X86_STOP_OUT,
};

/*
 * The instruction at CS:RIP into x->mmio_insn, for the access at @addr
 * (a guest physical address, or a port); the internal error for the
 * caller to return when it cannot be read or decoded, or is not one that
 * makes that access.
 */
static int axvm_x86_decode_rip(struct axvm_x86_vcpu *x, u64 addr,
			       enum axvm_x86_stop stop)
{
	struct axvm_x86_insn *insn = &x->mmio_insn;
	u8 bytes[AXVM_X86_INSN_MAX] = { 0 };
	unsigned int n = axvm_x86_fetch(x, bytes);
	bool ok;

	x->mmio_gpa = addr;
	if (axvm_x86_decode(bytes, n, axvm_x86_cpu_mode(x), insn))
		return axvm_x86_decode_failed(x, bytes, n, addr);
	if (stop == AXVM_X86_STOP_IN)
		ok = insn->op == AXVM_X86_OP_INS;
	else if (stop == AXVM_X86_STOP_OUT)
		ok = insn->op == AXVM_X86_OP_OUTS;
	else
		ok = axvm_x86_mmio_fits(insn, stop == AXVM_X86_STOP_MMIO_WRITE);
	return ok ? 0 : axvm_x86_decode_failed(x, bytes, n, addr);
}

/* A guest access to @gpa, which is no RAM (or read-only RAM for a write). */
int axvm_x86_mmio(struct axvm_x86_vcpu *x, u64 gpa, bool write)
{
	struct axvm_x86_insn *insn = &x->mmio_insn;
	u64 v = 0, src_gpa = 0;
	int ret;

	ret = axvm_x86_decode_rip(x, gpa, write ? AXVM_X86_STOP_MMIO_WRITE :
						 AXVM_X86_STOP_MMIO_READ);
	if (ret)
		return ret;

	switch (insn->op) {
	case AXVM_X86_OP_MOV:
		if (!insn->write)
			return axvm_x86_mmio_read(x, gpa);
		v = insn->has_imm ? insn->imm :
		    axvm_x86_get_operand(x, insn->reg, insn->size,
					 insn->high_byte);
		x->rip += insn->len;
		return axvm_x86_mmio_write(x, gpa, v);
	case AXVM_X86_OP_STOS:
		axvm_x86_string_step(x, false, true);
		return axvm_x86_mmio_write(x, gpa, x->gpr[AXVM_X86_RAX]);
	case AXVM_X86_OP_MOVS:
		if (!write)
			return axvm_x86_mmio_read(x, gpa);
		/* RAM to MMIO: the element comes from @seg:rSI. */
		ret = axvm_x86_string_access(x, insn->seg, AXVM_X86_RSI, &v,
					     false, &src_gpa);
		if (ret == -EFAULT)
			return AXVM_EXIT_NONE | AXVM_ARCH_EXIT_HANDLED;
		if (ret)
			return axvm_x86_emulation_failed(x, gpa);
		axvm_x86_string_step(x, true, true);
		return axvm_x86_mmio_write(x, gpa, v);
	}
	return axvm_x86_mmio_read(x, gpa);
}

/* The MMIO read userspace answered, on the next RUN. */
int axvm_x86_mmio_complete(struct axvm_x86_vcpu *x, u64 data)
{
	return axvm_x86_mmio_finish(x, data);
}

/*
 * INS and OUTS, one element per exit: OUTS reads @seg:rSI from guest
 * RAM and sends it to the port; INS takes the port's value (from the
 * in-kernel PIC or PIT, or userspace on the next RUN) to ES:rDI. The
 * exits do not say the segment or address size, so the instruction at
 * RIP is decoded; @next_rip, from the exit, must agree with its length.
 */
int axvm_x86_string_io(struct axvm_x86_vcpu *x, u16 port, unsigned int size,
		       bool in, u64 next_rip)
{
	struct axvm_x86_insn *insn = &x->mmio_insn;
	struct axvm_run *run = x->vcpu->run;
	u64 v = 0, gpa = 0;
	int ret;

	ret = axvm_x86_decode_rip(x, port, in ? AXVM_X86_STOP_IN :
						AXVM_X86_STOP_OUT);
	if (ret)
		return ret;
	/* The exit's own account of the instruction must agree. */
	if (insn->size != size || x->rip + insn->len != next_rip)
		return axvm_x86_emulation_failed(x, port);
	if (in) {
		if (!axvm_x86_chip_io(x, port, size, true, &v))
			return axvm_x86_string_in_complete(x, v);
		axvm_x86_io_exit(run, port, size, false, 0);
		x->pending = AXVM_EXIT_IO;
		x->pending_string = true;
		return AXVM_EXIT_IO;
	}

	ret = axvm_x86_string_access(x, insn->seg, AXVM_X86_RSI, &v, false,
				     &gpa);
	if (ret == -EFAULT)
		return AXVM_EXIT_NONE | AXVM_ARCH_EXIT_HANDLED;
	if (ret)
		return axvm_x86_emulation_failed(x, port);
	axvm_x86_string_step(x, true, false);
	axvm_x86_io_exit(run, port, size, true, v);
	if (!axvm_x86_chip_io(x, port, size, false, &v))
		return AXVM_EXIT_IO | AXVM_ARCH_EXIT_HANDLED;
	return AXVM_EXIT_IO;
}

/* INS: the port's value to ES:rDI, which must be RAM. */
int axvm_x86_string_in_complete(struct axvm_x86_vcpu *x, u64 v)
{
	u64 gpa = 0;
	int ret;

	x->pending_string = false;
	ret = axvm_x86_string_access(x, AXVM_X86_ES, AXVM_X86_RDI, &v, true,
				     &gpa);
	if (ret == -EFAULT)
		return AXVM_EXIT_NONE | AXVM_ARCH_EXIT_HANDLED;
	/* INS into MMIO is not emulated. */
	if (ret)
		return axvm_x86_emulation_failed(x, gpa);
	axvm_x86_string_step(x, false, true);
	return AXVM_EXIT_IO | AXVM_ARCH_EXIT_HANDLED;
}

int axvm_arch_vcpu_translate(struct axvm_vcpu *vcpu, u64 gva, u64 *gpa,
			     u32 *flags)
{
	return axvm_x86_translate(vcpu->arch, gva, gpa, flags);
}
