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
	u8 seg;		/* the last segment override, 0-5; else 3 (DS) */
	bool opsize;	/* 66 */
	bool adsize;	/* 67 */
	bool lock;	/* F0 */
	bool rep;	/* F2 or F3 */
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

/*
 * A segment override: its segment 0-5 (ES CS SS DS FS GS, the SDM's
 * Sreg order), or -1 for another byte.
 */
static int axvm_x86_segment_prefix(u8 b)
{
	switch (b) {
	case 0x26:
		return 0;
	case 0x2e:
		return 1;
	case 0x36:
		return 2;
	case 0x3e:
		return 3;
	case 0x64:
		return 4;
	case 0x65:
		return 5;
	}
	return -1;
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
 * ignored, as the CPU ignores it. The caller decides whether LOCK and
 * REP are allowed with the opcode.
 */
static int axvm_x86_prefixes(struct axvm_x86_cursor *c, unsigned int mode,
			     struct axvm_x86_prefixes *p, u8 *op)
{
	int ret, seg;

	*p = (struct axvm_x86_prefixes){ .seg = 3 };
	for (;;) {
		ret = axvm_x86_fetch_u8(c, op);
		if (ret)
			return ret;
		if (mode == 64 && (*op & 0xf0) == 0x40) {
			p->rex = *op;
			continue;
		}
		seg = axvm_x86_segment_prefix(*op);
		if (seg >= 0)
			p->seg = seg;
		else if (*op == PREFIX_OPSIZE)
			p->opsize = true;
		else if (*op == PREFIX_ADSIZE)
			p->adsize = true;
		else if (*op == PREFIX_LOCK)
			p->lock = true;
		else if (*op == PREFIX_REPNE || *op == PREFIX_REP)
			p->rep = true;
		else
			return 0;
		p->rex = 0;
	}
}

/*
 * An immediate of an ALU or TEST form: imm8, or imm16/imm32 by @opsize
 * when @full; sign-extended to @size bytes, the bits above cleared.
 */
static int axvm_x86_alu_imm(struct axvm_x86_cursor *c, unsigned int size,
			    bool full, u64 *imm)
{
	unsigned int bytes = full ? (size == 2 ? 2 : 4) : 1;
	int ret;

	ret = axvm_x86_fetch(c, bytes, imm);
	if (ret)
		return ret;
	if (*imm & (1ULL << (bytes * 8 - 1)))
		*imm |= ~0ULL << (bytes * 8);
	if (size < 8)
		*imm &= (1ULL << (size * 8)) - 1;
	return 0;
}

/* The ops of the two-byte opcodes 0F xx; -EINVAL for the others. */
static int axvm_x86_decode_0f(struct axvm_x86_cursor *c,
			      const struct axvm_x86_prefixes *p,
			      unsigned int opsize, unsigned int adsize,
			      struct axvm_x86_insn *insn, unsigned int *reg)
{
	u8 op;
	u64 imm;
	int ret;

	ret = axvm_x86_fetch_u8(c, &op);
	if (ret)
		return ret;
	switch (op) {
	case 0xb6:		/* MOVZX r, r/m8 */
	case 0xb7:		/* MOVZX r, r/m16 */
	case 0xbe:		/* MOVSX r, r/m8 */
	case 0xbf:		/* MOVSX r, r/m16 */
		if (p->lock)
			return -EINVAL;
		ret = axvm_x86_modrm(c, adsize, p->rex, reg);
		if (ret)
			return ret;
		axvm_x86_load(insn, op & 1 ? 2 : 1, opsize, op & 8);
		return 0;
	case 0xb0:		/* CMPXCHG r/m8, r8 */
	case 0xb1:		/* CMPXCHG r/m, r */
	case 0xc0:		/* XADD r/m8, r8 */
	case 0xc1:		/* XADD r/m, r */
		ret = axvm_x86_modrm(c, adsize, p->rex, reg);
		if (ret)
			return ret;
		insn->op = op < 0xc0 ? AXVM_X86_OP_CMPXCHG : AXVM_X86_OP_XADD;
		insn->size = op & 1 ? opsize : 1;
		insn->high_byte = !(op & 1) && !p->rex && *reg >= 4;
		insn->write = true;
		insn->rmw = true;
		return 0;
	case 0xa3:		/* BT r/m, r */
	case 0xab:		/* BTS r/m, r */
	case 0xb3:		/* BTR r/m, r */
	case 0xbb:		/* BTC r/m, r */
		ret = axvm_x86_modrm(c, adsize, p->rex, reg);
		if (ret)
			return ret;
		insn->op = AXVM_X86_OP_BT + ((op >> 3) & 3);
		break;
	case 0xba:		/* BT* r/m, imm8: /4 BT, /5 BTS, /6 BTR, /7 BTC */
		ret = axvm_x86_modrm(c, adsize, p->rex, reg);
		if (ret)
			return ret;
		if ((*reg & 7) < 4)
			return -EINVAL;
		insn->op = AXVM_X86_OP_BT + (*reg & 3);
		ret = axvm_x86_fetch(c, 1, &imm);
		if (ret)
			return ret;
		insn->has_imm = true;
		insn->imm = imm;
		*reg = 0;
		break;
	default:
		return -EINVAL;
	}
	/* BT* have no byte form. */
	insn->size = opsize;
	insn->write = insn->op != AXVM_X86_OP_BT;
	insn->rmw = insn->write;
	if (p->lock && !insn->write)
		return -EINVAL;
	return 0;
}

/* The ALU group 80, 81, 83 /n and the forms 00-03 + 8n. */
static int axvm_x86_decode_alu(struct axvm_x86_cursor *c, u8 op,
			       const struct axvm_x86_prefixes *p,
			       unsigned int opsize, unsigned int adsize,
			       struct axvm_x86_insn *insn, unsigned int *reg)
{
	unsigned int alu;
	int ret;

	ret = axvm_x86_modrm(c, adsize, p->rex, reg);
	if (ret)
		return ret;
	if (op >= 0x80) {
		alu = *reg & 7;
		insn->size = op == 0x81 || op == 0x83 ? opsize : 1;
		ret = axvm_x86_alu_imm(c, insn->size, op == 0x81, &insn->imm);
		if (ret)
			return ret;
		insn->has_imm = true;
		*reg = 0;
	} else {
		alu = op >> 3;
		insn->size = op & 1 ? opsize : 1;
		insn->high_byte = !(op & 1) && !p->rex && *reg >= 4;
	}
	insn->op = AXVM_X86_OP_ADD + alu;
	if (op >= 0x80 || !(op & 2)) {
		/* Memory is the destination; CMP only reads it. */
		insn->write = insn->op != AXVM_X86_OP_CMP;
		insn->rmw = insn->write;
	} else {
		/* 02, 03 + 8n: the register is the destination (CMP: first). */
		insn->dst_size = insn->size;
		insn->zero_upper = insn->size == 4 &&
				   insn->op != AXVM_X86_OP_CMP;
	}
	if (p->lock && !insn->write)
		return -EINVAL;
	return 0;
}

/* F6, F7 /0 /2 /3 and FE, FF /0 /1: TEST imm, NOT, NEG, INC, DEC. */
static int axvm_x86_decode_unary(struct axvm_x86_cursor *c, u8 op,
				 const struct axvm_x86_prefixes *p,
				 unsigned int opsize, unsigned int adsize,
				 struct axvm_x86_insn *insn, unsigned int *reg)
{
	static const u8 f6_ops[8] = {
		[0] = AXVM_X86_OP_TEST, [2] = AXVM_X86_OP_NOT,
		[3] = AXVM_X86_OP_NEG,
	};
	static const u8 fe_ops[8] = {
		[0] = AXVM_X86_OP_INC, [1] = AXVM_X86_OP_DEC,
	};
	unsigned int sub;
	int ret;

	ret = axvm_x86_modrm(c, adsize, p->rex, reg);
	if (ret)
		return ret;
	/* REX.R does not count in an opcode extension. */
	sub = *reg & 7;
	*reg = 0;
	insn->op = op < 0xfe ? f6_ops[sub] : fe_ops[sub];
	/* MUL, DIV, CALL, JMP, PUSH and the F6/F7 /1 alias of TEST. */
	if (insn->op == AXVM_X86_OP_MOV)
		return -EINVAL;
	insn->size = op & 1 ? opsize : 1;
	if (insn->op == AXVM_X86_OP_TEST) {
		if (p->lock)
			return -EINVAL;
		insn->has_imm = true;
		return axvm_x86_alu_imm(c, insn->size, op & 1, &insn->imm);
	}
	insn->write = true;
	insn->rmw = true;
	return 0;
}

/* The one-byte MOV forms: 88-8B, C6 /0, C7 /0, A0-A3, 63. */
static int axvm_x86_decode_mov(struct axvm_x86_cursor *c, u8 op,
			       unsigned int mode, u8 rex, unsigned int opsize,
			       unsigned int adsize, struct axvm_x86_insn *insn,
			       unsigned int *reg)
{
	u64 imm;
	int ret;

	switch (op) {
	case 0x88:		/* MOV r/m8, r8 */
	case 0x8a:		/* MOV r8, r/m8 */
		ret = axvm_x86_modrm(c, adsize, rex, reg);
		if (ret)
			return ret;
		/* Without REX, byte registers 4-7 are AH CH DH BH. */
		insn->high_byte = !rex && *reg >= 4;
		if (op == 0x88)
			axvm_x86_store(insn, 1);
		else
			axvm_x86_load(insn, 1, 1, false);
		return 0;
	case 0x89:		/* MOV r/m, r */
	case 0x8b:		/* MOV r, r/m */
		ret = axvm_x86_modrm(c, adsize, rex, reg);
		if (ret)
			return ret;
		if (op == 0x89)
			axvm_x86_store(insn, opsize);
		else
			axvm_x86_load(insn, opsize, opsize, false);
		return 0;
	case 0xc6:		/* MOV r/m8, imm8 */
	case 0xc7:		/* MOV r/m, imm16/imm32 */
		ret = axvm_x86_modrm(c, adsize, rex, reg);
		if (ret)
			return ret;
		/* /0 only; REX.R does not count in an opcode extension. */
		if ((*reg & 7) != 0)
			return -EINVAL;
		if (op == 0xc6) {
			axvm_x86_store(insn, 1);
			ret = axvm_x86_fetch(c, 1, &imm);
		} else {
			axvm_x86_store(insn, opsize);
			ret = axvm_x86_fetch(c, opsize == 2 ? 2 : 4, &imm);
			/* REX.W: the imm32 sign-extended to 64 bits. */
			if (!ret && opsize == 8 && (imm & 0x80000000))
				imm |= 0xffffffff00000000ULL;
		}
		if (ret)
			return ret;
		insn->has_imm = true;
		insn->imm = imm;
		*reg = 0;
		return 0;
	case 0xa0:		/* MOV AL, moffs8 */
	case 0xa1:		/* MOV eAX, moffs */
	case 0xa2:		/* MOV moffs8, AL */
	case 0xa3:		/* MOV moffs, eAX */
		/* No ModRM: an offset of the address size follows. */
		ret = axvm_x86_fetch(c, adsize, &imm);
		if (ret)
			return ret;
		opsize = op & 1 ? opsize : 1;
		if (op & 2)
			axvm_x86_store(insn, opsize);
		else
			axvm_x86_load(insn, opsize, opsize, false);
		return 0;
	case 0x63:		/* MOVSXD r64, r/m32 */
		/*
		 * ARPL outside 64-bit mode; without REX.W a plain 16 or
		 * 32-bit move that the SDM discourages.
		 */
		if (mode != 64 || !(rex & REX_W))
			return -EINVAL;
		ret = axvm_x86_modrm(c, adsize, rex, reg);
		if (ret)
			return ret;
		axvm_x86_load(insn, 4, 8, true);
		return 0;
	}
	return -EINVAL;
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
	int ret;

	if (mode != 16 && mode != 32 && mode != 64)
		return -EINVAL;
	ret = axvm_x86_prefixes(&c, mode, &p, &op);
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
	insn->adsize = adsize;
	insn->seg = p.seg;

	/* REP and REPNE mean other instructions, or nothing, but here. */
	if (p.rep && op != 0xa4 && op != 0xa5 && op != 0xaa && op != 0xab &&
	    (op < 0x6c || op > 0x6f))
		return -EINVAL;

	switch (op) {
	case 0x00 ... 0x03:	/* ADD */
	case 0x08 ... 0x0b:	/* OR */
	case 0x10 ... 0x13:	/* ADC */
	case 0x18 ... 0x1b:	/* SBB */
	case 0x20 ... 0x23:	/* AND */
	case 0x28 ... 0x2b:	/* SUB */
	case 0x30 ... 0x33:	/* XOR */
	case 0x38 ... 0x3b:	/* CMP */
	case 0x80:		/* ALU r/m8, imm8 */
	case 0x81:		/* ALU r/m, imm16/imm32 */
	case 0x83:		/* ALU r/m, imm8 sign-extended */
		ret = axvm_x86_decode_alu(&c, op, &p, opsize, adsize, insn,
					  &reg);
		break;
	case 0x82:		/* 80 again, #UD in 64-bit mode */
		if (mode == 64)
			return -EINVAL;
		ret = axvm_x86_decode_alu(&c, 0x80, &p, opsize, adsize, insn,
					  &reg);
		break;
	case 0xf6:
	case 0xf7:
	case 0xfe:
	case 0xff:
		ret = axvm_x86_decode_unary(&c, op, &p, opsize, adsize, insn,
					    &reg);
		break;
	case 0x84:		/* TEST r/m8, r8 */
	case 0x85:		/* TEST r/m, r */
	case 0x86:		/* XCHG r/m8, r8 */
	case 0x87:		/* XCHG r/m, r */
		ret = axvm_x86_modrm(&c, adsize, rex, &reg);
		if (ret)
			return ret;
		insn->size = op & 1 ? opsize : 1;
		insn->high_byte = !(op & 1) && !rex && reg >= 4;
		if (op < 0x86) {
			insn->op = AXVM_X86_OP_TEST;
			if (p.lock)
				return -EINVAL;
		} else {
			/* XCHG with memory is locked, LOCK or not. */
			insn->op = AXVM_X86_OP_XCHG;
			insn->write = true;
	insn->rmw = true;
		}
		break;
	case 0x0f:
		ret = axvm_x86_decode_0f(&c, &p, opsize, adsize, insn, &reg);
		break;
	case 0xa4:		/* MOVS m8, m8 */
	case 0xa5:		/* MOVS m, m */
	case 0xaa:		/* STOS m8, AL */
	case 0xab:		/* STOS m, eAX */
		if (p.lock)
			return -EINVAL;
		insn->op = op >= 0xaa ? AXVM_X86_OP_STOS : AXVM_X86_OP_MOVS;
		insn->size = op & 1 ? opsize : 1;
		insn->write = true;
		insn->rep = p.rep;
		break;
	case 0x6c:		/* INS m8, DX */
	case 0x6d:		/* INS m16/m32, DX */
	case 0x6e:		/* OUTS DX, m8 */
	case 0x6f:		/* OUTS DX, m16/m32 */
		if (p.lock)
			return -EINVAL;
		insn->op = op < 0x6e ? AXVM_X86_OP_INS : AXVM_X86_OP_OUTS;
		/* Ports take 32 bits at most: REX.W changes nothing. */
		insn->size = op & 1 ? (opsize == 2 ? 2 : 4) : 1;
		insn->write = op < 0x6e;
		insn->rep = p.rep;
		ret = 0;
		break;
	default:
		/* The MOV family; none of it takes LOCK. */
		if (p.lock)
			return -EINVAL;
		ret = axvm_x86_decode_mov(&c, op, mode, rex, opsize, adsize,
					  insn, &reg);
	}
	if (ret)
		return ret;

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

	/* None but REX changes these instructions; on AMD LOCK MOV CR0 is CR8. */
	ret = axvm_x86_prefixes(c, mode, &p, &op);
	if (ret)
		return ret;
	if (op != 0x0f || p.lock)
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
