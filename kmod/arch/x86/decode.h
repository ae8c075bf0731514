/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The x86 instruction decoder for MMIO: after a nested page fault or an
 * EPT violation on a page that is not RAM, the backend fetches the bytes
 * at the guest RIP and learns here what the instruction does to memory
 * and to which register: the MOV family, the read-modify-write and
 * compare instructions drivers use on device registers (ALU, TEST, NOT,
 * NEG, INC, DEC, XCHG, CMPXCHG, XADD, BT*), and the string stores and
 * moves (STOS, MOVS, with REP). Anything else is refused, and the caller
 * reports an internal error.
 *
 * The decoder is also built on the host by the unit test
 * (selftests/unit/x86_decode_test.c): it uses nothing from the kernel but
 * the integer types and errno values.
 */
#ifndef AXVM_X86_DECODE_H
#define AXVM_X86_DECODE_H

#ifdef __KERNEL__
#include <linux/errno.h>
#include <linux/types.h>
#else
#include <errno.h>
#include <stdbool.h>
typedef unsigned char u8;
typedef unsigned long long u64;
#endif

/* The architectural limit on the length of one instruction. */
#define AXVM_X86_INSN_MAX	15

/* What an instruction does with its memory operand. */
enum axvm_x86_op {
	AXVM_X86_OP_MOV,	/* a load or a store, as @write says */
	/* The eight of the ALU group, in the ModRM reg order of 80 /n. */
	AXVM_X86_OP_ADD,
	AXVM_X86_OP_OR,
	AXVM_X86_OP_ADC,
	AXVM_X86_OP_SBB,
	AXVM_X86_OP_AND,
	AXVM_X86_OP_SUB,
	AXVM_X86_OP_XOR,
	AXVM_X86_OP_CMP,
	AXVM_X86_OP_TEST,
	AXVM_X86_OP_NOT,
	AXVM_X86_OP_NEG,
	AXVM_X86_OP_INC,
	AXVM_X86_OP_DEC,
	AXVM_X86_OP_XCHG,
	AXVM_X86_OP_CMPXCHG,
	AXVM_X86_OP_XADD,
	AXVM_X86_OP_BT,
	AXVM_X86_OP_BTS,
	AXVM_X86_OP_BTR,
	AXVM_X86_OP_BTC,
	AXVM_X86_OP_STOS,	/* rAX to ES:rDI */
	AXVM_X86_OP_MOVS,	/* @seg:rSI to ES:rDI */
	AXVM_X86_OP_INS,	/* port DX to ES:rDI */
	AXVM_X86_OP_OUTS,	/* @seg:rSI to port DX */
};

/*
 * One decoded memory access.
 *
 * @imm: for @has_imm, the immediate: a value stored or the second ALU
 *	operand, sign-extended to @size bytes as the CPU does it (imm32 to
 *	64 bits with REX.W, imm8 of 83 /n to the operand size), the bits
 *	above @size clear; for BT* with an imm8, the bit offset as it is.
 * @len: length of the instruction in bytes, prefixes included.
 * @size: bytes accessed in memory: 1, 2, 4 or 8.
 * @reg: the register operand, 0-15 in the order RAX RCX RDX RBX RSP RBP
 *	RSI RDI R8-R15 (REX.R included): the source of a store or of an
 *	ALU operation on memory, the destination of a load or of an ALU
 *	operation into a register, the bit offset of BT* r/m, r. 0 (RAX)
 *	for the moffs forms; 0 and unused with @has_imm, for the one-operand
 *	ops and for the string ops.
 * @dst_size: bytes written to @reg from memory: for MOV loads (1, 2, 4
 *	or 8; more than @size for MOVZX, MOVSX and MOVSXD) and for ALU ops
 *	into a register (@size; also for CMP r, r/m, whose first operand is
 *	the register and which writes nothing); 0 for everything else.
 * @op: one of &enum axvm_x86_op.
 * @adsize: the address size in bytes (2, 4 or 8): the width of rSI, rDI
 *	and rCX for the string ops. Set for every instruction.
 * @seg: the string source's segment, 0-5 in the order ES CS SS DS FS GS:
 *	DS or the last segment override. Set for every instruction.
 * @write: the instruction stores to memory.
 * @rmw: with @write: it reads memory first and stores the result back.
 * @has_imm: an immediate operand is in @imm (MOV C6 and C7; ALU 80, 81,
 *	83; TEST F6 and F7; BT* 0F BA).
 * @high_byte: @reg is 4-7 and names AH CH DH BH (bits 15:8 of register
 *	@reg - 4): a byte operand without a REX prefix.
 * @sign_extend: loads: the value is sign-extended from @size to
 *	@dst_size bytes (MOVSX, MOVSXD); else zero-extended (MOVZX) or as is.
 * @zero_upper: @dst_size is 4 and bits 63:32 of the register are
 *	cleared, as a 32-bit destination does. Without it, the bits of the
 *	register above @dst_size bytes are left as they were.
 * @rep: a string op with a REP (or REPNE) prefix: repeated rCX times.
 */
struct axvm_x86_insn {
	u64 imm;
	u8 len;
	u8 size;
	u8 reg;
	u8 dst_size;
	u8 op;
	u8 adsize;
	u8 seg;
	bool write;
	bool rmw;
	bool has_imm;
	bool high_byte;
	bool sign_extend;
	bool zero_upper;
	bool rep;
};

/*
 * Decode the instruction in @bytes, @n of them valid (only the first
 * AXVM_X86_INSN_MAX are looked at), fetched at the guest RIP in @mode:
 * the default operand and address size, 16, 32 or 64 (64 in 64-bit mode,
 * CS.L = 1; else 32 when CS.D = 1, 16 when not).
 *
 * Known: MOV 88, 89, 8A, 8B, C6 /0, C7 /0 and A0-A3 (moffs), MOVZX
 * 0F B6/B7, MOVSX 0F BE/BF and, in 64-bit mode, MOVSXD 63 with REX.W;
 * ADD OR ADC SBB AND SUB XOR CMP in their forms 00-03 (+8n) and 80, 81,
 * 83 /n (82 only outside 64-bit mode); TEST 84, 85, F6 /0, F7 /0; NOT and
 * NEG F6/F7 /2 /3; INC and DEC FE/FF /0 /1; XCHG 86, 87; CMPXCHG 0F
 * B0/B1; XADD 0F C0/C1; BT BTS BTR BTC 0F A3, AB, B3, BB and 0F BA /4-/7;
 * STOS AA, AB, MOVS A4, A5, INS 6C, 6D and OUTS 6E, 6F (for the port
 * I/O exits, which do not say which segment and address size) with or
 * without REP. Any ModRM addressing
 * form of 16, 32 or 64-bit addresses, and the prefixes 66, 67, segment
 * overrides and REX (64-bit mode); LOCK where the SDM allows it (a
 * memory destination of ADD ADC AND BTC BTR BTS CMPXCHG DEC INC NEG NOT
 * OR SBB SUB XOR XADD XCHG), REP and REPNE on the string ops.
 *
 * Returns 0 and fills @insn; else zeroes @insn and returns -EINVAL for
 * anything not known (another opcode, a register operand (ModRM mod 3),
 * LOCK or REP where the CPU would raise #UD or means another instruction,
 * more than AXVM_X86_INSN_MAX bytes, a bad @mode) or -ENODATA when the
 * instruction goes on past the @n bytes given.
 */
int axvm_x86_decode(const u8 *bytes, unsigned int n, unsigned int mode,
		    struct axvm_x86_insn *insn);

/* The moves to and from control and debug registers. */
enum axvm_x86_ctl_op {
	AXVM_X86_CR_MOV,	/* MOV CRn, r32/r64: 0F 22 /r */
	AXVM_X86_CR_LMSW,	/* LMSW r16: 0F 01 /6, register operand */
	AXVM_X86_CR_CLTS,	/* CLTS: 0F 06 */
	AXVM_X86_DR_READ,	/* MOV r32/r64, DRn: 0F 21 /r */
	AXVM_X86_DR_WRITE,	/* MOV DRn, r32/r64: 0F 23 /r */
};

/**
 * struct axvm_x86_ctl_insn - one decoded control or debug register move
 * @len: length of the instruction in bytes, prefixes included.
 * @op: one of &enum axvm_x86_ctl_op.
 * @reg: MOV CR and MOV DR: the CR or DR number, the ModRM reg field with
 *	REX.R (8 and up only exist as CR8; the CPU raises #UD for DR8-15).
 * @gpr: all but CLTS: the general register 0-15 (ModRM rm, REX.B), in
 *	the order of &struct axvm_x86_insn's @reg.
 */
struct axvm_x86_ctl_insn {
	u8 len;
	u8 op;
	u8 reg;
	u8 gpr;
};

/**
 * axvm_x86_decode_ctl() - decode a control or debug register move
 * @bytes: the instruction's bytes, as for axvm_x86_decode().
 * @n: how many of @bytes are valid.
 * @mode: 16, 32 or 64: the CPU mode of the code.
 * @w: the result, all zero on an error.
 *
 * For CPUs whose exits on these instructions do not say which register
 * they used (SVM without decode assists): the CR0/CR4 write intercepts
 * and the DR intercepts. MOV CR and MOV DR ignore the ModRM mod field
 * (the operand is always a register; SDM vol. 2, MOV to/from Control
 * and Debug Registers). Only REX changes them; other prefixes are
 * skipped.
 *
 * Return: 0; -EINVAL for LOCK (on AMD, LOCK MOV CR0 is CR8), LMSW from
 * memory and any other instruction; -ENODATA when the instruction goes
 * on past the @n bytes given.
 */
int axvm_x86_decode_ctl(const u8 *bytes, unsigned int n, unsigned int mode,
			struct axvm_x86_ctl_insn *w);

#endif /* AXVM_X86_DECODE_H */
