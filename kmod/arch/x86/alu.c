// SPDX-License-Identifier: GPL-2.0
/*
 * Result and status flags of the instructions MMIO emulation completes
 * (see alu.h). Carries and overflows come from the operands' and the
 * result's top bits, so one formula serves every width.
 */
#include "alu.h"
#include "decode.h"

static u64 axvm_x86_mask(unsigned int size)
{
	return size == 8 ? ~0ULL : (1ULL << (size * 8)) - 1;
}

/* PF: the low byte of the result has an even number of ones. */
static bool axvm_x86_parity_even(u64 r)
{
	r &= 0xff;
	r ^= r >> 4;
	r ^= r >> 2;
	r ^= r >> 1;
	return !(r & 1);
}

/* ZF, SF and PF of @r; the others from @cf, @of, @af. */
static u64 axvm_x86_flags(u64 r, unsigned int size, bool cf, bool of,
			  bool af)
{
	unsigned int top = size * 8 - 1;

	return (cf ? AXVM_X86_CF : 0) | (of ? AXVM_X86_OF : 0) |
	       (af ? AXVM_X86_AF : 0) | (!r ? AXVM_X86_ZF : 0) |
	       ((r >> top) & 1 ? AXVM_X86_SF : 0) |
	       (axvm_x86_parity_even(r) ? AXVM_X86_PF : 0);
}

/*
 * a + b + carry: the carry out of the top bit is the top bit of
 * (a & b) | ((a | b) & ~r); signed overflow when a and b agree in sign
 * and r does not; AF is the carry out of bit 3.
 */
static u64 axvm_x86_add(u64 a, u64 b, bool carry, unsigned int size,
			u64 *flags)
{
	unsigned int top = size * 8 - 1;
	u64 r = (a + b + carry) & axvm_x86_mask(size);

	*flags = axvm_x86_flags(r, size,
				(((a & b) | ((a | b) & ~r)) >> top) & 1,
				(((a ^ r) & (b ^ r)) >> top) & 1,
				((a ^ b ^ r) >> 4) & 1);
	return r;
}

/* a - b - borrow, as CMP computes it: CF is the borrow into the top bit. */
static u64 axvm_x86_sub(u64 a, u64 b, bool borrow, unsigned int size,
			u64 *flags)
{
	unsigned int top = size * 8 - 1;
	u64 r = (a - b - borrow) & axvm_x86_mask(size);

	*flags = axvm_x86_flags(r, size,
				(((~a & b) | (~(a ^ b) & r)) >> top) & 1,
				(((a ^ b) & (a ^ r)) >> top) & 1,
				((a ^ b ^ r) >> 4) & 1);
	return r;
}

u64 axvm_x86_alu(unsigned int op, u64 dst, u64 src, unsigned int size,
		 u64 *rflags)
{
	u64 mask = axvm_x86_mask(size), flags = 0, r;
	u64 defined = AXVM_X86_STATUS_FLAGS;
	bool cf = *rflags & AXVM_X86_CF;
	unsigned int bit;

	dst &= mask;
	src &= mask;
	switch (op) {
	case AXVM_X86_OP_ADD:
		r = axvm_x86_add(dst, src, false, size, &flags);
		break;
	case AXVM_X86_OP_ADC:
		r = axvm_x86_add(dst, src, cf, size, &flags);
		break;
	case AXVM_X86_OP_SUB:
	case AXVM_X86_OP_CMP:
		r = axvm_x86_sub(dst, src, false, size, &flags);
		break;
	case AXVM_X86_OP_SBB:
		r = axvm_x86_sub(dst, src, cf, size, &flags);
		break;
	case AXVM_X86_OP_OR:
	case AXVM_X86_OP_AND:
	case AXVM_X86_OP_XOR:
	case AXVM_X86_OP_TEST:
		/* CF and OF cleared; AF undefined (left alone). */
		if (op == AXVM_X86_OP_OR)
			r = dst | src;
		else if (op == AXVM_X86_OP_XOR)
			r = dst ^ src;
		else
			r = dst & src;
		flags = axvm_x86_flags(r, size, false, false, false);
		defined &= ~AXVM_X86_AF;
		break;
	case AXVM_X86_OP_NOT:
		r = ~dst & mask;
		defined = 0;
		break;
	case AXVM_X86_OP_NEG:
		/* 0 - dst, but CF is set whenever dst is not 0. */
		r = axvm_x86_sub(0, dst, false, size, &flags);
		break;
	case AXVM_X86_OP_INC:
	case AXVM_X86_OP_DEC:
		/* CF is not affected. */
		if (op == AXVM_X86_OP_INC)
			r = axvm_x86_add(dst, 1, false, size, &flags);
		else
			r = axvm_x86_sub(dst, 1, false, size, &flags);
		defined &= ~AXVM_X86_CF;
		break;
	case AXVM_X86_OP_BT:
	case AXVM_X86_OP_BTS:
	case AXVM_X86_OP_BTR:
	case AXVM_X86_OP_BTC:
		/* CF is the bit as it was; ZF unaffected; the rest undefined. */
		bit = src & (size * 8 - 1);
		flags = (dst >> bit) & 1 ? AXVM_X86_CF : 0;
		defined = AXVM_X86_CF;
		if (op == AXVM_X86_OP_BTS)
			r = dst | (1ULL << bit);
		else if (op == AXVM_X86_OP_BTR)
			r = dst & ~(1ULL << bit);
		else if (op == AXVM_X86_OP_BTC)
			r = dst ^ (1ULL << bit);
		else
			r = dst;
		break;
	default:
		return dst;
	}
	*rflags = (*rflags & ~defined) | (flags & defined);
	return r;
}
