// SPDX-License-Identifier: GPL-2.0
/*
 * The x86 instruction decoder for MMIO (see decode.h): the MOV forms a
 * guest uses on device memory, decoded from the bytes at its RIP by the
 * encoding rules of the Intel SDM, volume 2, chapter 2. What matters is
 * the exact length, the access size and direction, the register and the
 * immediate; the address itself comes with the fault, so ModRM, SIB and
 * displacement are only measured, never evaluated.
 */
#include "decode.h"

#define PREFIX_OPSIZE		0x66
#define PREFIX_ADSIZE		0x67
#define PREFIX_LOCK		0xf0
#define PREFIX_REPNE		0xf2
#define PREFIX_REP		0xf3

#define REX_W			0x08
#define REX_R			0x04
#define REX_B			0x01

#define MODRM_MOD(b)		((b) >> 6)
#define MODRM_REG(b)		(((b) >> 3) & 7)
#define MODRM_RM(b)		((b) & 7)
#define SIB_BASE(b)		((b) & 7)

/* The prefixes before an opcode that change what it does. */
struct axvm_x86_prefixes {
	u8 rex;		/* the REX right before the opcode, or 0 */
	bool opsize;	/* 66 */
	bool adsize;	/* 67 */
};

/* The bytes of one instruction and how far decoding has read them. */
struct axvm_x86_cursor {
	const u8 *bytes;
	unsigned int avail;
	unsigned int pos;
};

/* Read @len bytes (at most 8) as a little-endian number. */
static int axvm_x86_fetch(struct axvm_x86_cursor *c, unsigned int len,
			  u64 *val)
{
	unsigned int i;
	u64 v = 0;

	if (c->pos + len > AXVM_X86_INSN_MAX)
		return -EINVAL;
	if (c->pos + len > c->avail)
		return -ENODATA;
	for (i = 0; i < len; i++)
		v |= (u64)c->bytes[c->pos + i] << (8 * i);
	c->pos += len;
	*val = v;
	return 0;
}

static int axvm_x86_fetch_u8(struct axvm_x86_cursor *c, u8 *val)
{
	u64 v;
	int ret;

	ret = axvm_x86_fetch(c, 1, &v);
	if (!ret)
		*val = v;
	return ret;
}

/*
 * Step over ModRM, SIB and displacement for @adsize-byte addressing;
 * give back the ModRM reg field, extended by REX.R. A register operand
 * (mod 3) is no memory access and is refused.
 */
static int axvm_x86_modrm(struct axvm_x86_cursor *c, unsigned int adsize,
			  u8 rex, unsigned int *reg)
{
	unsigned int mod, rm, disp = 0;
	u8 modrm, sib;
	u64 skip;
	int ret;

	ret = axvm_x86_fetch_u8(c, &modrm);
	if (ret)
		return ret;
	mod = MODRM_MOD(modrm);
	rm = MODRM_RM(modrm);
	*reg = MODRM_REG(modrm) | (rex & REX_R ? 8 : 0);
	if (mod == 3)
		return -EINVAL;

	if (adsize == 2) {
		/* [BX+SI] ... [BX]: no SIB; rm 6 with mod 0 is disp16 alone. */
		if (mod == 1)
			disp = 1;
		else if (mod == 2 || rm == 6)
			disp = 2;
	} else {
		/*
		 * rm 4 brings a SIB byte, whose base 5 with mod 0 means
		 * disp32 and no base; rm 5 with mod 0 is disp32 alone
		 * (RIP-relative in 64-bit mode). REX.B and REX.X change
		 * neither.
		 */
		if (rm == 4) {
			ret = axvm_x86_fetch_u8(c, &sib);
			if (ret)
				return ret;
			if (mod == 0 && SIB_BASE(sib) == 5)
				disp = 4;
		}
		if (mod == 1)
			disp = 1;
		else if (mod == 2 || (mod == 0 && rm == 5))
			disp = 4;
	}
	return disp ? axvm_x86_fetch(c, disp, &skip) : 0;
}

/* CS SS DS ES FS GS overrides: the fault gives the address. */
static bool axvm_x86_segment_prefix(u8 b)
{
	return b == 0x2e || b == 0x36 || b == 0x3e || b == 0x26 ||
	       b == 0x64 || b == 0x65;
}

/* A load into a register: a 32-bit destination clears bits 63:32. */
static void axvm_x86_load(struct axvm_x86_insn *insn, unsigned int size,
			  unsigned int dst_size, bool sign_extend)
{
	insn->size = size;
	insn->dst_size = dst_size;
	insn->sign_extend = sign_extend;
	insn->zero_upper = dst_size == 4;
}

static void axvm_x86_store(struct axvm_x86_insn *insn, unsigned int size)
{
	insn->size = size;
	insn->write = true;
}

/*
 * Legacy prefixes in any order and number, then the opcode byte, which
 * goes to @op. A REX prefix (64-bit mode only; INC and DEC elsewhere)
 * counts only right before the opcode: one followed by another prefix is
 * ignored, as the CPU ignores it. LOCK is refused (-EINVAL), and so are
 * REP and REPNE when @refuse_rep.
 */
static int axvm_x86_prefixes(struct axvm_x86_cursor *c, unsigned int mode,
			     bool refuse_rep, struct axvm_x86_prefixes *p,
			     u8 *op)
{
	int ret;

	*p = (struct axvm_x86_prefixes){ 0 };
	for (;;) {
		ret = axvm_x86_fetch_u8(c, op);
		if (ret)
			return ret;
		if (mode == 64 && (*op & 0xf0) == 0x40) {
			p->rex = *op;
			continue;
		}
		if (*op == PREFIX_LOCK ||
		    (refuse_rep && (*op == PREFIX_REPNE || *op == PREFIX_REP)))
			return -EINVAL;
		if (*op == PREFIX_OPSIZE)
			p->opsize = true;
		else if (*op == PREFIX_ADSIZE)
			p->adsize = true;
		else if (*op != PREFIX_REPNE && *op != PREFIX_REP &&
			 !axvm_x86_segment_prefix(*op))
			return 0;
		p->rex = 0;
	}
}

static int axvm_x86_decode_one(const u8 *bytes, unsigned int n,
			       unsigned int mode, struct axvm_x86_insn *insn)
{
	struct axvm_x86_cursor c = {
		.bytes = bytes,
		.avail = n < AXVM_X86_INSN_MAX ? n : AXVM_X86_INSN_MAX,
	};
	struct axvm_x86_prefixes p;
	unsigned int opsize, adsize, reg = 0;
	u8 op, rex;
	u64 imm;
	int ret;

	if (mode != 16 && mode != 32 && mode != 64)
		return -EINVAL;
	ret = axvm_x86_prefixes(&c, mode, true, &p, &op);
	if (ret)
		return ret;
	rex = p.rex;

	if (rex & REX_W)
		opsize = 8;
	else if (mode == 16)
		opsize = p.opsize ? 4 : 2;
	else
		opsize = p.opsize ? 2 : 4;
	if (mode == 64)
		adsize = p.adsize ? 4 : 8;
	else if (mode == 32)
		adsize = p.adsize ? 2 : 4;
	else
		adsize = p.adsize ? 4 : 2;

	switch (op) {
	case 0x88:		/* MOV r/m8, r8 */
	case 0x8a:		/* MOV r8, r/m8 */
		ret = axvm_x86_modrm(&c, adsize, rex, &reg);
		if (ret)
			return ret;
		/* Without REX, byte registers 4-7 are AH CH DH BH. */
		insn->high_byte = !rex && reg >= 4;
		if (op == 0x88)
			axvm_x86_store(insn, 1);
		else
			axvm_x86_load(insn, 1, 1, false);
		break;
	case 0x89:		/* MOV r/m, r */
	case 0x8b:		/* MOV r, r/m */
		ret = axvm_x86_modrm(&c, adsize, rex, &reg);
		if (ret)
			return ret;
		if (op == 0x89)
			axvm_x86_store(insn, opsize);
		else
			axvm_x86_load(insn, opsize, opsize, false);
		break;
	case 0xc6:		/* MOV r/m8, imm8 */
	case 0xc7:		/* MOV r/m, imm16/imm32 */
		ret = axvm_x86_modrm(&c, adsize, rex, &reg);
		if (ret)
			return ret;
		/* /0 only; REX.R does not count in an opcode extension. */
		if ((reg & 7) != 0)
			return -EINVAL;
		if (op == 0xc6) {
			axvm_x86_store(insn, 1);
			ret = axvm_x86_fetch(&c, 1, &imm);
		} else {
			axvm_x86_store(insn, opsize);
			ret = axvm_x86_fetch(&c, opsize == 2 ? 2 : 4, &imm);
			/* REX.W: the imm32 sign-extended to 64 bits. */
			if (!ret && opsize == 8 && (imm & 0x80000000))
				imm |= 0xffffffff00000000ULL;
		}
		if (ret)
			return ret;
		insn->has_imm = true;
		insn->imm = imm;
		reg = 0;
		break;
	case 0xa0:		/* MOV AL, moffs8 */
	case 0xa1:		/* MOV eAX, moffs */
	case 0xa2:		/* MOV moffs8, AL */
	case 0xa3:		/* MOV moffs, eAX */
		/* No ModRM: an offset of the address size follows. */
		ret = axvm_x86_fetch(&c, adsize, &imm);
		if (ret)
			return ret;
		opsize = op & 1 ? opsize : 1;
		if (op & 2)
			axvm_x86_store(insn, opsize);
		else
			axvm_x86_load(insn, opsize, opsize, false);
		break;
	case 0x63:		/* MOVSXD r64, r/m32 */
		/*
		 * ARPL outside 64-bit mode; without REX.W a plain 16 or
		 * 32-bit move that the SDM discourages.
		 */
		if (mode != 64 || !(rex & REX_W))
			return -EINVAL;
		ret = axvm_x86_modrm(&c, adsize, rex, &reg);
		if (ret)
			return ret;
		axvm_x86_load(insn, 4, 8, true);
		break;
	case 0x0f:
		ret = axvm_x86_fetch_u8(&c, &op);
		if (ret)
			return ret;
		/* MOVZX B6 B7 and MOVSX BE BF: r, r/m8 and r, r/m16. */
		if (op != 0xb6 && op != 0xb7 && op != 0xbe && op != 0xbf)
			return -EINVAL;
		ret = axvm_x86_modrm(&c, adsize, rex, &reg);
		if (ret)
			return ret;
		axvm_x86_load(insn, op & 1 ? 2 : 1, opsize, op & 8);
		break;
	default:
		return -EINVAL;
	}

	insn->reg = reg;
	insn->len = c.pos;
	return 0;
}

int axvm_x86_decode(const u8 *bytes, unsigned int n, unsigned int mode,
		    struct axvm_x86_insn *insn)
{
	int ret;

	*insn = (struct axvm_x86_insn){ 0 };
	ret = axvm_x86_decode_one(bytes, n, mode, insn);
	if (ret)
		*insn = (struct axvm_x86_insn){ 0 };
	return ret;
}

static int axvm_x86_decode_ctl_one(struct axvm_x86_cursor *c,
				   unsigned int mode,
				   struct axvm_x86_ctl_insn *w)
{
	struct axvm_x86_prefixes p;
	u8 op, modrm;
	int ret;

	/* None but REX changes these instructions. */
	ret = axvm_x86_prefixes(c, mode, false, &p, &op);
	if (ret)
		return ret;
	if (op != 0x0f)
		return -EINVAL;
	ret = axvm_x86_fetch_u8(c, &op);
	if (ret)
		return ret;
	switch (op) {
	case 0x06:
		w->op = AXVM_X86_CR_CLTS;
		return 0;
	case 0x01:
		w->op = AXVM_X86_CR_LMSW;
		break;
	case 0x22:
		w->op = AXVM_X86_CR_MOV;
		break;
	case 0x21:
		w->op = AXVM_X86_DR_READ;
		break;
	case 0x23:
		w->op = AXVM_X86_DR_WRITE;
		break;
	default:
		return -EINVAL;
	}
	ret = axvm_x86_fetch_u8(c, &modrm);
	if (ret)
		return ret;
	w->gpr = MODRM_RM(modrm) | (p.rex & REX_B ? 8 : 0);
	if (w->op != AXVM_X86_CR_LMSW) {
		w->reg = MODRM_REG(modrm) | (p.rex & REX_R ? 8 : 0);
		return 0;
	}
	if (MODRM_REG(modrm) != 6 || MODRM_MOD(modrm) != 3)
		return -EINVAL;
	return 0;
}

int axvm_x86_decode_ctl(const u8 *bytes, unsigned int n, unsigned int mode,
			struct axvm_x86_ctl_insn *w)
{
	struct axvm_x86_cursor c = {
		.bytes = bytes,
		.avail = n < AXVM_X86_INSN_MAX ? n : AXVM_X86_INSN_MAX,
	};
	int ret = -EINVAL;

	*w = (struct axvm_x86_ctl_insn){ 0 };
	if (mode == 16 || mode == 32 || mode == 64)
		ret = axvm_x86_decode_ctl_one(&c, mode, w);
	if (ret)
		*w = (struct axvm_x86_ctl_insn){ 0 };
	else
		w->len = c.pos;
	return ret;
}
