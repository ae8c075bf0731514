// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit test of the x86 MMIO instruction decoder.
 * Links: kmod/arch/x86/decode.c
 *
 * The encodings below were assembled with GNU as (the text says what),
 * or written by hand where as has no spelling for them, and each length
 * was checked against objdump; the ModRM and SIB length tables were made
 * by objdump from every ModRM and SIB byte. Prints one "PASS unit
 * x86_decode <group>" or "FAIL unit x86_decode <group>: <why>" line per
 * group and exits 0.
 */
#include <stdio.h>
#include <string.h>

#include "decode.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* The bool fields of struct axvm_x86_insn, as one mask. */
#define WR		0x01	/* write */
#define IM		0x02	/* has_imm */
#define HI		0x04	/* high_byte */
#define SX		0x08	/* sign_extend */
#define ZU		0x10	/* zero_upper */
#define RM		0x20	/* rmw */
#define RP		0x40	/* rep */

struct tcase {
	const char *text;
	unsigned int mode;
	u8 bytes[AXVM_X86_INSN_MAX + 1];
	unsigned int n;
	int ret;
	/* The expected decoding, when ret is 0. */
	unsigned int len, size, reg, dst_size, flags;
	u64 imm;
	unsigned int op;
	/* String ops: the address size and source segment; else 0. */
	unsigned int adsize, seg;
};

/* The bytes, all of them valid. */
#define B(...)		.bytes = { __VA_ARGS__ }, .n = sizeof((u8[]){ __VA_ARGS__ })
/* A store of register @r, a load into @r, a store of an immediate. */
#define ST(l, s, r, f)	.len = (l), .size = (s), .reg = (r), .flags = WR | (f)
#define LD(l, s, d, r, f) \
	.len = (l), .size = (s), .dst_size = (d), .reg = (r), .flags = (f)
#define IMM(l, s, v)	.len = (l), .size = (s), .imm = (v), .flags = WR | IM
#define ERR(e)		.ret = -(e)
/* Read, compute, write back: with register @r, or an immediate. */
#define RMW(l, s, r, o, f) \
	.len = (l), .size = (s), .reg = (r), .op = (o), .flags = WR | RM | (f)
#define RMWI(l, s, o, v) \
	.len = (l), .size = (s), .op = (o), .imm = (v), .flags = WR | RM | IM
/* Memory only read: into register @r (d bytes of it), or compared. */
#define ALD(l, s, d, r, o, f) \
	.len = (l), .size = (s), .dst_size = (d), .reg = (r), .op = (o), \
	.flags = (f)
#define RDI(l, s, o, v) \
	.len = (l), .size = (s), .op = (o), .imm = (v), .flags = IM
/* A string op with its address size and source segment. */
#define STR(l, s, o, a, g, f) \
	.len = (l), .size = (s), .op = (o), .adsize = (a), .seg = (g), \
	.flags = WR | (f)
#define ES		0
#define CS		1
#define DS		3
#define FS		4

/*
 * What follows the opcode of 8B /r (ModRM, SIB, displacement), in bytes,
 * by address size (16, 32, 64), mod and rm, with SIB 00 (base *AX) where
 * there is one; mod 3 is refused. Made by objdump from every ModRM byte,
 * which gives the same length whatever the reg field.
 */
static const unsigned int modrm_len[3][3][8] = {
	{
		{ 1, 1, 1, 1, 1, 1, 3, 1 },
		{ 2, 2, 2, 2, 2, 2, 2, 2 },
		{ 3, 3, 3, 3, 3, 3, 3, 3 },
	}, {
		{ 1, 1, 1, 1, 2, 5, 1, 1 },
		{ 2, 2, 2, 2, 3, 2, 2, 2 },
		{ 5, 5, 5, 5, 6, 5, 5, 5 },
	}, {
		{ 1, 1, 1, 1, 2, 5, 1, 1 },
		{ 2, 2, 2, 2, 3, 2, 2, 2 },
		{ 5, 5, 5, 5, 6, 5, 5, 5 },
	},
};

/*
 * The same with a SIB byte (rm 4), by address size (32, 64), mod and SIB
 * base. Made by objdump from every SIB byte, which gives the same length
 * whatever the scale and index.
 */
static const unsigned int sib_len[2][3][8] = {
	{
		{ 2, 2, 2, 2, 2, 6, 2, 2 },
		{ 3, 3, 3, 3, 3, 3, 3, 3 },
		{ 6, 6, 6, 6, 6, 6, 6, 6 },
	}, {
		{ 2, 2, 2, 2, 2, 6, 2, 2 },
		{ 3, 3, 3, 3, 3, 3, 3, 3 },
		{ 6, 6, 6, 6, 6, 6, 6, 6 },
	},
};

struct group {
	const char *name;
	const struct tcase *cases;
	unsigned int count;
};

static const struct tcase mov_store[] = {
	{ "mov %eax,(%rbx)", 64, B(0x89, 0x03),
	  ST(2, 4, 0, 0) },
	{ "mov %rax,(%rbx)", 64, B(0x48, 0x89, 0x03),
	  ST(3, 8, 0, 0) },
	{ "mov %ax,(%rbx)", 64, B(0x66, 0x89, 0x03),
	  ST(3, 2, 0, 0) },
	{ "mov %cl,(%rbx)", 64, B(0x88, 0x0b),
	  ST(2, 1, 1, 0) },
	{ "mov %rdi,8(%rsp)", 64, B(0x48, 0x89, 0x7c, 0x24, 0x08),
	  ST(5, 8, 7, 0) },
	{ "mov %edx,(%ebx)", 32, B(0x89, 0x13),
	  ST(2, 4, 2, 0) },
	{ "mov %dx,(%ebx)", 32, B(0x66, 0x89, 0x13),
	  ST(3, 2, 2, 0) },
	{ "mov %bl,(%eax)", 32, B(0x88, 0x18),
	  ST(2, 1, 3, 0) },
	{ "mov %dx,(%bx)", 16, B(0x89, 0x17),
	  ST(2, 2, 2, 0) },
	{ "mov %edx,(%bx)", 16, B(0x66, 0x89, 0x17),
	  ST(3, 4, 2, 0) },
	{ "mov %al,(%si)", 16, B(0x88, 0x04),
	  ST(2, 1, 0, 0) },
};

static const struct tcase mov_load[] = {
	{ "mov (%rbx),%eax", 64, B(0x8b, 0x03),
	  LD(2, 4, 4, 0, ZU) },
	{ "mov (%rbx),%rax", 64, B(0x48, 0x8b, 0x03),
	  LD(3, 8, 8, 0, 0) },
	{ "mov (%rbx),%ax", 64, B(0x66, 0x8b, 0x03),
	  LD(3, 2, 2, 0, 0) },
	{ "mov (%rbx),%cl", 64, B(0x8a, 0x0b),
	  LD(2, 1, 1, 1, 0) },
	{ "mov 0x40(%rsi),%ebp", 64, B(0x8b, 0x6e, 0x40),
	  LD(3, 4, 4, 5, ZU) },
	{ "mov (%esi),%edi", 32, B(0x8b, 0x3e),
	  LD(2, 4, 4, 7, ZU) },
	{ "mov (%esi),%di", 32, B(0x66, 0x8b, 0x3e),
	  LD(3, 2, 2, 7, 0) },
	{ "mov (%esi),%dl", 32, B(0x8a, 0x16),
	  LD(2, 1, 1, 2, 0) },
	{ "mov (%di),%cx", 16, B(0x8b, 0x0d),
	  LD(2, 2, 2, 1, 0) },
	{ "mov (%di),%ecx", 16, B(0x66, 0x8b, 0x0d),
	  LD(3, 4, 4, 1, ZU) },
	{ "mov (%bx,%si),%al", 16, B(0x8a, 0x00),
	  LD(2, 1, 1, 0, 0) },
};

static const struct tcase mov_imm[] = {
	{ "movb $0x80,(%rax)", 64, B(0xc6, 0x00, 0x80),
	  IMM(3, 1, 0x80) },
	{ "movw $0x8001,(%rax)", 64, B(0x66, 0xc7, 0x00, 0x01, 0x80),
	  IMM(5, 2, 0x8001) },
	{ "movl $0x80000001,(%rax)", 64, B(0xc7, 0x00, 0x01, 0x00, 0x00, 0x80),
	  IMM(6, 4, 0x80000001) },
	{ "movq $-2,(%rax)", 64, B(0x48, 0xc7, 0x00, 0xfe, 0xff, 0xff, 0xff),
	  IMM(7, 8, 0xfffffffffffffffe) },
	{ "movq $0x7fffffff,(%rax)", 64,
	  B(0x48, 0xc7, 0x00, 0xff, 0xff, 0xff, 0x7f),
	  IMM(7, 8, 0x7fffffff) },
	{ "movl $0x12345678,0x10(%rax,%rbx,8)", 64,
	  B(0xc7, 0x44, 0xd8, 0x10, 0x78, 0x56, 0x34, 0x12),
	  IMM(8, 4, 0x12345678) },
	{ "movq $-0x80000000,0x12345678(%rip)", 64,
	  B(0x48, 0xc7, 0x05, 0x78, 0x56, 0x34, 0x12, 0x00,
	    0x00, 0x00, 0x80),
	  IMM(11, 8, 0xffffffff80000000) },
	{ "movb $0xff,0x12345678(%r8,%r9,2)", 64,
	  B(0x43, 0xc6, 0x84, 0x48, 0x78, 0x56, 0x34, 0x12,
	    0xff),
	  IMM(9, 1, 0xff) },
	{ "movl $0xdeadbeef,(%ebx)", 32, B(0xc7, 0x03, 0xef, 0xbe, 0xad, 0xde),
	  IMM(6, 4, 0xdeadbeef) },
	{ "movw $0xbeef,(%ebx)", 32, B(0x66, 0xc7, 0x03, 0xef, 0xbe),
	  IMM(5, 2, 0xbeef) },
	{ "movb $0x7f,-4(%ebp)", 32, B(0xc6, 0x45, 0xfc, 0x7f),
	  IMM(4, 1, 0x7f) },
	{ "movw $0xbeef,(%bx)", 16, B(0xc7, 0x07, 0xef, 0xbe),
	  IMM(4, 2, 0xbeef) },
	{ "movl $0xdeadbeef,(%bx)", 16,
	  B(0x66, 0xc7, 0x07, 0xef, 0xbe, 0xad, 0xde),
	  IMM(7, 4, 0xdeadbeef) },
	{ "movb $5,0x1234", 16, B(0xc6, 0x06, 0x34, 0x12, 0x05),
	  IMM(5, 1, 5) },
	{ "66 REX.W movq $-1,(%rax)", 64,
	  B(0x66, 0x48, 0xc7, 0x00, 0xff, 0xff, 0xff, 0xff),
	  IMM(8, 8, 0xffffffffffffffff) },
	{ "REX.WR movq $1,(%rax)", 64,
	  B(0x4c, 0xc7, 0x00, 0x01, 0x00, 0x00, 0x00),
	  IMM(7, 8, 1) },
};

static const struct tcase moffs[] = {
	{ "movabs 0x1122334455667788,%al", 64,
	  B(0xa0, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22,
	    0x11),
	  LD(9, 1, 1, 0, 0) },
	{ "movabs 0x1122334455667788,%eax", 64,
	  B(0xa1, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22,
	    0x11),
	  LD(9, 4, 4, 0, ZU) },
	{ "movabs 0x1122334455667788,%rax", 64,
	  B(0x48, 0xa1, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33,
	    0x22, 0x11),
	  LD(10, 8, 8, 0, 0) },
	{ "movabs 0x1122334455667788,%ax", 64,
	  B(0x66, 0xa1, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33,
	    0x22, 0x11),
	  LD(10, 2, 2, 0, 0) },
	{ "movabs %al,0x1122334455667788", 64,
	  B(0xa2, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22,
	    0x11),
	  ST(9, 1, 0, 0) },
	{ "movabs %rax,0x1122334455667788", 64,
	  B(0x48, 0xa3, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33,
	    0x22, 0x11),
	  ST(10, 8, 0, 0) },
	{ "addr32 movabs 0x11223344,%eax", 64,
	  B(0x67, 0xa1, 0x44, 0x33, 0x22, 0x11),
	  LD(6, 4, 4, 0, ZU) },
	{ "REX.R movabs moffs,%eax", 64,
	  B(0x44, 0xa1, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33,
	    0x22, 0x11),
	  LD(10, 4, 4, 0, ZU) },
	{ "mov 0x11223344,%eax", 32, B(0xa1, 0x44, 0x33, 0x22, 0x11),
	  LD(5, 4, 4, 0, ZU) },
	{ "mov %al,0x11223344", 32, B(0xa2, 0x44, 0x33, 0x22, 0x11),
	  ST(5, 1, 0, 0) },
	{ "mov %ax,0x11223344", 32, B(0x66, 0xa3, 0x44, 0x33, 0x22, 0x11),
	  ST(6, 2, 0, 0) },
	{ "addr16 mov 0x1234,%eax", 32, B(0x67, 0xa1, 0x34, 0x12),
	  LD(4, 4, 4, 0, ZU) },
	{ "mov 0x1234,%ax", 16, B(0xa1, 0x34, 0x12),
	  LD(3, 2, 2, 0, 0) },
	{ "mov 0x1234,%eax", 16, B(0x66, 0xa1, 0x34, 0x12),
	  LD(4, 4, 4, 0, ZU) },
	{ "addr32 mov %ax,0x11223344", 16,
	  B(0x67, 0xa3, 0x44, 0x33, 0x22, 0x11),
	  ST(6, 2, 0, 0) },
	{ "mov %al,0x1234", 16, B(0xa2, 0x34, 0x12),
	  ST(3, 1, 0, 0) },
};

static const struct tcase movzx_movsx[] = {
	{ "movzbl (%rax),%ecx", 64, B(0x0f, 0xb6, 0x08),
	  LD(3, 1, 4, 1, ZU) },
	{ "movzwl (%rax),%ecx", 64, B(0x0f, 0xb7, 0x08),
	  LD(3, 2, 4, 1, ZU) },
	{ "movzbq (%rax),%r9", 64, B(0x4c, 0x0f, 0xb6, 0x08),
	  LD(4, 1, 8, 9, 0) },
	{ "movzwq 0x10(%rax),%rdx", 64, B(0x48, 0x0f, 0xb7, 0x50, 0x10),
	  LD(5, 2, 8, 2, 0) },
	{ "movzbw (%rax),%cx", 64, B(0x66, 0x0f, 0xb6, 0x08),
	  LD(4, 1, 2, 1, 0) },
	{ "movzbl (%rax),%esp", 64, B(0x0f, 0xb6, 0x20),
	  LD(3, 1, 4, 4, ZU) },
	{ "movsbl (%rax),%ecx", 64, B(0x0f, 0xbe, 0x08),
	  LD(3, 1, 4, 1, SX | ZU) },
	{ "movswl (%rax),%ecx", 64, B(0x0f, 0xbf, 0x08),
	  LD(3, 2, 4, 1, SX | ZU) },
	{ "movswq (%rax),%rdx", 64, B(0x48, 0x0f, 0xbf, 0x10),
	  LD(4, 2, 8, 2, SX) },
	{ "movsbq (%rax),%r15", 64, B(0x4c, 0x0f, 0xbe, 0x38),
	  LD(4, 1, 8, 15, SX) },
	{ "movsbw (%rax),%dx", 64, B(0x66, 0x0f, 0xbe, 0x10),
	  LD(4, 1, 2, 2, SX) },
	{ "movzbl (%ebx),%eax", 32, B(0x0f, 0xb6, 0x03),
	  LD(3, 1, 4, 0, ZU) },
	{ "movswl 4(%ebx),%eax", 32, B(0x0f, 0xbf, 0x43, 0x04),
	  LD(4, 2, 4, 0, SX | ZU) },
	{ "movsbw (%ebx),%si", 32, B(0x66, 0x0f, 0xbe, 0x33),
	  LD(4, 1, 2, 6, SX) },
	{ "movzbw (%bx),%ax", 16, B(0x0f, 0xb6, 0x07),
	  LD(3, 1, 2, 0, 0) },
	{ "movsbl (%bx),%eax", 16, B(0x66, 0x0f, 0xbe, 0x07),
	  LD(4, 1, 4, 0, SX | ZU) },
	{ "movzwl 0x1234,%edi", 16, B(0x66, 0x0f, 0xb7, 0x3e, 0x34, 0x12),
	  LD(6, 2, 4, 7, ZU) },
};

static const struct tcase movsxd[] = {
	{ "movslq (%rax),%rcx", 64, B(0x48, 0x63, 0x08),
	  LD(3, 4, 8, 1, SX) },
	{ "movslq 0x10(%rax),%r15", 64, B(0x4c, 0x63, 0x78, 0x10),
	  LD(4, 4, 8, 15, SX) },
	{ "movslq 0x10(%rip),%rsi", 64,
	  B(0x48, 0x63, 0x35, 0x10, 0x00, 0x00, 0x00),
	  LD(7, 4, 8, 6, SX) },
	{ "66 REX.W movslq (%rax),%rcx", 64, B(0x66, 0x48, 0x63, 0x08),
	  LD(4, 4, 8, 1, SX) },
	{ "movsxd without REX.W", 64, B(0x63, 0x08),
	  ERR(EINVAL) },
	{ "arpl outside 64-bit mode", 32, B(0x63, 0x08),
	  ERR(EINVAL) },
};

static const struct tcase rex[] = {
	{ "mov %r8d,(%rax)", 64, B(0x44, 0x89, 0x00),
	  ST(3, 4, 8, 0) },
	{ "mov %r15,(%r15)", 64, B(0x4d, 0x89, 0x3f),
	  ST(3, 8, 15, 0) },
	{ "mov (%r12),%r13", 64, B(0x4d, 0x8b, 0x2c, 0x24),
	  LD(4, 8, 8, 13, 0) },
	{ "mov (%r13),%eax", 64, B(0x41, 0x8b, 0x45, 0x00),
	  LD(4, 4, 4, 0, ZU) },
	{ "mov %eax,(%rax,%r9,2)", 64, B(0x42, 0x89, 0x04, 0x48),
	  ST(4, 4, 0, 0) },
	{ "mov %r11w,(%rax,%r9,2)", 64, B(0x66, 0x46, 0x89, 0x1c, 0x48),
	  ST(5, 2, 11, 0) },
	{ "mov %sil,(%rax)", 64, B(0x40, 0x88, 0x30),
	  ST(3, 1, 6, 0) },
	{ "mov (%rax),%r10b", 64, B(0x44, 0x8a, 0x10),
	  LD(3, 1, 1, 10, 0) },
	{ "REX mov (%rax),%dil", 64, B(0x40, 0x8a, 0x38),
	  LD(3, 1, 1, 7, 0) },
	{ "REX.B rm 5 mod 0 stays RIP-relative", 64,
	  B(0x41, 0x8b, 0x05, 0x10, 0x00, 0x00, 0x00),
	  LD(7, 4, 4, 0, ZU) },
	{ "REX.B rm 4 still has a SIB", 64, B(0x41, 0x8b, 0x04, 0x24),
	  LD(4, 4, 4, 0, ZU) },
	{ "REX before 66 is ignored", 64, B(0x48, 0x66, 0x89, 0x03),
	  ST(4, 2, 0, 0) },
	{ "REX.W wins over 66", 64, B(0x66, 0x48, 0x89, 0x03),
	  ST(4, 8, 0, 0) },
	{ "only the last REX counts", 64, B(0x44, 0x48, 0x89, 0x03),
	  ST(4, 8, 0, 0) },
	{ "REX before a segment prefix is ignored", 64,
	  B(0x4c, 0x3e, 0x89, 0x03),
	  ST(4, 4, 0, 0) },
	{ "48 is DEC outside 64-bit mode", 32, B(0x48, 0x89, 0x03),
	  ERR(EINVAL) },
	{ "41 is INC outside 64-bit mode", 16, B(0x41, 0x89, 0x03),
	  ERR(EINVAL) },
};

static const struct tcase high_byte[] = {
	{ "mov %ah,(%rax)", 64, B(0x88, 0x20),
	  ST(2, 1, 4, HI) },
	{ "mov %ch,(%rax)", 64, B(0x88, 0x28),
	  ST(2, 1, 5, HI) },
	{ "mov (%rax),%dh", 64, B(0x8a, 0x30),
	  LD(2, 1, 1, 6, HI) },
	{ "mov (%rax),%bh", 64, B(0x8a, 0x38),
	  LD(2, 1, 1, 7, HI) },
	{ "mov %ah,(%eax)", 32, B(0x88, 0x20),
	  ST(2, 1, 4, HI) },
	{ "mov (%bx),%bh", 16, B(0x8a, 0x3f),
	  LD(2, 1, 1, 7, HI) },
	{ "mov %spl,(%rax)", 64, B(0x40, 0x88, 0x20),
	  ST(3, 1, 4, 0) },
	{ "mov (%rax),%bpl", 64, B(0x40, 0x8a, 0x28),
	  LD(3, 1, 1, 5, 0) },
	{ "mov (%rax),%r12b", 64, B(0x44, 0x8a, 0x20),
	  LD(3, 1, 1, 12, 0) },
	{ "66 mov %ah,(%rax)", 64, B(0x66, 0x88, 0x20),
	  ST(3, 1, 4, HI) },
};

static const struct tcase sib[] = {
	{ "mov %eax,(%rbx,%rcx,1)", 64, B(0x89, 0x04, 0x0b),
	  ST(3, 4, 0, 0) },
	{ "mov %eax,(%rbx,%rcx,2)", 64, B(0x89, 0x04, 0x4b),
	  ST(3, 4, 0, 0) },
	{ "mov %eax,(%rbx,%rcx,4)", 64, B(0x89, 0x04, 0x8b),
	  ST(3, 4, 0, 0) },
	{ "mov %eax,(%rbx,%rcx,8)", 64, B(0x89, 0x04, 0xcb),
	  ST(3, 4, 0, 0) },
	{ "mov %eax,0x10(%rbx,%rcx,4)", 64, B(0x89, 0x44, 0x8b, 0x10),
	  ST(4, 4, 0, 0) },
	{ "mov %eax,0x12345678(%rbx,%rcx,8)", 64,
	  B(0x89, 0x84, 0xcb, 0x78, 0x56, 0x34, 0x12),
	  ST(7, 4, 0, 0) },
	{ "mov %eax,0x12345678(,%rcx,4)", 64,
	  B(0x89, 0x04, 0x8d, 0x78, 0x56, 0x34, 0x12),
	  ST(7, 4, 0, 0) },
	{ "mov %eax,(%rbp,%rcx,1)", 64, B(0x89, 0x44, 0x0d, 0x00),
	  ST(4, 4, 0, 0) },
	{ "mov %eax,0x100(%rbp,%rax,1)", 64,
	  B(0x89, 0x84, 0x05, 0x00, 0x01, 0x00, 0x00),
	  ST(7, 4, 0, 0) },
	{ "mov 0x12345678,%ecx", 64,
	  B(0x8b, 0x0c, 0x25, 0x78, 0x56, 0x34, 0x12),
	  LD(7, 4, 4, 1, ZU) },
	{ "mov (%rsp),%eax", 64, B(0x8b, 0x04, 0x24),
	  LD(3, 4, 4, 0, ZU) },
	{ "mov -8(%rsp,%r14,8),%r14", 64, B(0x4e, 0x8b, 0x74, 0xf4, 0xf8),
	  LD(5, 8, 8, 14, 0) },
	{ "mov %eax,0x10(%ebx,%esi,8)", 32, B(0x89, 0x44, 0xf3, 0x10),
	  ST(4, 4, 0, 0) },
	{ "mov %eax,(,%esi,2)", 32, B(0x89, 0x04, 0x75, 0x00, 0x00, 0x00, 0x00),
	  ST(7, 4, 0, 0) },
	{ "mov (%esp),%ecx", 32, B(0x8b, 0x0c, 0x24),
	  LD(3, 4, 4, 1, ZU) },
	{ "mov 0x12345678(%ebp,%edi,4),%dl", 32,
	  B(0x8a, 0x94, 0xbd, 0x78, 0x56, 0x34, 0x12),
	  LD(7, 1, 1, 2, 0) },
};

static const struct tcase disp[] = {
	{ "mov %eax,0x7f(%rbx)", 64, B(0x89, 0x43, 0x7f),
	  ST(3, 4, 0, 0) },
	{ "mov %eax,-0x80(%rbx)", 64, B(0x89, 0x43, 0x80),
	  ST(3, 4, 0, 0) },
	{ "mov %eax,0x80(%rbx)", 64, B(0x89, 0x83, 0x80, 0x00, 0x00, 0x00),
	  ST(6, 4, 0, 0) },
	{ "mov %eax,-0x12345678(%rbp)", 64,
	  B(0x89, 0x85, 0x88, 0xa9, 0xcb, 0xed),
	  ST(6, 4, 0, 0) },
	{ "mov %ecx,0x12345678", 32, B(0x89, 0x0d, 0x78, 0x56, 0x34, 0x12),
	  ST(6, 4, 1, 0) },
	{ "mov 0x10(%ebp),%ecx", 32, B(0x8b, 0x4d, 0x10),
	  LD(3, 4, 4, 1, ZU) },
	{ "mov 0x1000(%eax),%ecx", 32, B(0x8b, 0x88, 0x00, 0x10, 0x00, 0x00),
	  LD(6, 4, 4, 1, ZU) },
	{ "addr32 mov %eax,(%ebx)", 64, B(0x67, 0x89, 0x03),
	  ST(3, 4, 0, 0) },
	{ "addr32 mov %eax,0x10(%ebx,%ecx,2)", 64,
	  B(0x67, 0x89, 0x44, 0x4b, 0x10),
	  ST(5, 4, 0, 0) },
	{ "addr32 mov %eax,0x12345678(%r8d)", 64,
	  B(0x67, 0x41, 0x89, 0x80, 0x78, 0x56, 0x34, 0x12),
	  ST(8, 4, 0, 0) },
};

static const struct tcase rip_relative[] = {
	{ "mov %eax,0x12345678(%rip)", 64,
	  B(0x89, 0x05, 0x78, 0x56, 0x34, 0x12),
	  ST(6, 4, 0, 0) },
	{ "mov 0x10(%rip),%r11", 64,
	  B(0x4c, 0x8b, 0x1d, 0x10, 0x00, 0x00, 0x00),
	  LD(7, 8, 8, 11, 0) },
	{ "movb $1,0x10(%rip)", 64, B(0xc6, 0x05, 0x10, 0x00, 0x00, 0x00, 0x01),
	  IMM(7, 1, 1) },
	{ "movl $1,0x10(%rip)", 64,
	  B(0xc7, 0x05, 0x10, 0x00, 0x00, 0x00, 0x01, 0x00,
	    0x00, 0x00),
	  IMM(10, 4, 1) },
	{ "movw $-1,0x10(%rip)", 64,
	  B(0x66, 0xc7, 0x05, 0x10, 0x00, 0x00, 0x00, 0xff,
	    0xff),
	  IMM(9, 2, 0xffff) },
	{ "addr32 mov 0x10(%eip),%eax", 64,
	  B(0x67, 0x8b, 0x05, 0x10, 0x00, 0x00, 0x00),
	  LD(7, 4, 4, 0, ZU) },
	{ "movzbl 0x10(%rip),%eax", 64,
	  B(0x0f, 0xb6, 0x05, 0x10, 0x00, 0x00, 0x00),
	  LD(7, 1, 4, 0, ZU) },
};

static const struct tcase addr16[] = {
	{ "mov %cx,0x1234", 16, B(0x89, 0x0e, 0x34, 0x12),
	  ST(4, 2, 1, 0) },
	{ "mov 0x10(%bp),%ax", 16, B(0x8b, 0x46, 0x10),
	  LD(3, 2, 2, 0, 0) },
	{ "mov 0x1234(%bx,%di),%dx", 16, B(0x8b, 0x91, 0x34, 0x12),
	  LD(4, 2, 2, 2, 0) },
	{ "mov (%bp,%si),%ax", 16, B(0x8b, 0x02),
	  LD(2, 2, 2, 0, 0) },
	{ "mov -2(%bp,%di),%si", 16, B(0x8b, 0x73, 0xfe),
	  LD(3, 2, 2, 6, 0) },
	{ "mov 0x1234(%bp),%ax", 16, B(0x8b, 0x86, 0x34, 0x12),
	  LD(4, 2, 2, 0, 0) },
	{ "mov (%si),%ax", 16, B(0x8b, 0x04),
	  LD(2, 2, 2, 0, 0) },
	{ "mov (%di),%ax", 16, B(0x8b, 0x05),
	  LD(2, 2, 2, 0, 0) },
	{ "mov %bl,0x7f(%bx,%si)", 16, B(0x88, 0x58, 0x7f),
	  ST(3, 1, 3, 0) },
	{ "addr16 mov (%bx,%si),%eax", 32, B(0x67, 0x8b, 0x00),
	  LD(3, 4, 4, 0, ZU) },
	{ "addr16 mov %ecx,0x1234", 32, B(0x67, 0x89, 0x0e, 0x34, 0x12),
	  ST(5, 4, 1, 0) },
	{ "addr16 movl $1,0x1234(%bp)", 32,
	  B(0x67, 0xc7, 0x86, 0x34, 0x12, 0x01, 0x00, 0x00,
	    0x00),
	  IMM(9, 4, 1) },
	{ "addr32 mov (%eax),%ax", 16, B(0x67, 0x8b, 0x00),
	  LD(3, 2, 2, 0, 0) },
	{ "addr32 mov 0x12345678(%eax,%ebx,4),%cx", 16,
	  B(0x67, 0x8b, 0x8c, 0x98, 0x78, 0x56, 0x34, 0x12),
	  LD(8, 2, 2, 1, 0) },
	{ "addr32 mov 0x12345678,%cx", 16,
	  B(0x67, 0x8b, 0x0d, 0x78, 0x56, 0x34, 0x12),
	  LD(7, 2, 2, 1, 0) },
	{ "addr32 mov (%esp),%ax", 16, B(0x67, 0x8b, 0x04, 0x24),
	  LD(4, 2, 2, 0, 0) },
};

static const struct tcase prefixes[] = {
	{ "mov %fs:(%rax),%eax", 64, B(0x64, 0x8b, 0x00),
	  LD(3, 4, 4, 0, ZU) },
	{ "mov %gs:0x10(%rax),%rax", 64, B(0x65, 0x48, 0x8b, 0x40, 0x10),
	  LD(5, 8, 8, 0, 0) },
	{ "mov %es:(%ebx),%eax", 32, B(0x26, 0x8b, 0x03),
	  LD(3, 4, 4, 0, ZU) },
	{ "mov %cs:(%ebx),%eax", 32, B(0x2e, 0x8b, 0x03),
	  LD(3, 4, 4, 0, ZU) },
	{ "mov %ss:(%ebx),%eax", 32, B(0x36, 0x8b, 0x03),
	  LD(3, 4, 4, 0, ZU) },
	{ "mov %ds:(%ebp),%eax", 32, B(0x3e, 0x8b, 0x45, 0x00),
	  LD(4, 4, 4, 0, ZU) },
	{ "mov %es:(%di),%al", 16, B(0x26, 0x8a, 0x05),
	  LD(3, 1, 1, 0, 0) },
	{ "66 67 fs mov %ax,(%ebx)", 64, B(0x66, 0x67, 0x64, 0x89, 0x03),
	  ST(5, 2, 0, 0) },
	{ "66 66 mov %ax,(%rbx)", 64, B(0x66, 0x66, 0x89, 0x03),
	  ST(4, 2, 0, 0) },
	{ "13 prefixes, 15 bytes", 64,
	  B(0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e,
	    0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x89, 0x03),
	  ST(15, 4, 0, 0) },
	{ "15 bytes with REX, SIB, disp32, imm32", 64,
	  B(0x3e, 0x3e, 0x3e, 0x48, 0xc7, 0x84, 0xcb, 0x78,
	    0x56, 0x34, 0x12, 0xef, 0xbe, 0xad, 0xde),
	  IMM(15, 8, 0xffffffffdeadbeef) },
	{ "16 bytes", 64,
	  B(0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e,
	    0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x89, 0x03),
	  ERR(EINVAL) },
	{ "16 bytes ending in imm32", 64,
	  B(0x3e, 0x3e, 0x3e, 0x3e, 0x48, 0xc7, 0x84, 0xcb,
	    0x78, 0x56, 0x34, 0x12, 0xef, 0xbe, 0xad, 0xde),
	  ERR(EINVAL) },
};

static const struct tcase reject[] = {
	{ "mov %eax,%ebx", 64, B(0x89, 0xc3),
	  ERR(EINVAL) },
	{ "mov %ebx,%eax", 64, B(0x89, 0xd8),
	  ERR(EINVAL) },
	{ "movzbl %al,%ecx", 64, B(0x0f, 0xb6, 0xc8),
	  ERR(EINVAL) },
	{ "movslq %eax,%rcx", 64, B(0x48, 0x63, 0xc8),
	  ERR(EINVAL) },
	{ "movb $1,%al", 64, B(0xc6, 0xc0, 0x01),
	  ERR(EINVAL) },
	{ "mov %al,%bl", 16, B(0x88, 0xc3),
	  ERR(EINVAL) },
	{ "lock mov", 64, B(0xf0, 0x89, 0x03),
	  ERR(EINVAL) },
	{ "rep mov", 64, B(0xf3, 0x89, 0x03),
	  ERR(EINVAL) },
	{ "repne mov", 32, B(0xf2, 0x8b, 0x03),
	  ERR(EINVAL) },
	{ "nop", 64, B(0x90),
	  ERR(EINVAL) },
	{ "mov (%rax),%es", 64, B(0x8e, 0x00),
	  ERR(EINVAL) },
	{ "c7 /1", 64, B(0xc7, 0x08, 0x01, 0x00, 0x00, 0x00),
	  ERR(EINVAL) },
	{ "c6 /1 with REX.R", 64, B(0x4c, 0xc6, 0x08, 0x01),
	  ERR(EINVAL) },
	{ "xbegin .", 32, B(0xc7, 0xf8, 0xfa, 0xff, 0xff, 0xff),
	  ERR(EINVAL) },
	{ "movups (%rax),%xmm0", 64, B(0x0f, 0x10, 0x00),
	  ERR(EINVAL) },
	{ "popcnt (%rax),%eax", 64, B(0xf3, 0x0f, 0xb8, 0x00),
	  ERR(EINVAL) },
	{ "vmovdqu (%rax),%ymm0", 64, B(0xc5, 0xfe, 0x6f, 0x00),
	  ERR(EINVAL) },
	{ "movnti %eax,(%rax)", 64, B(0x0f, 0xc3, 0x00),
	  ERR(EINVAL) },
	{ "movbe (%rax),%eax", 64, B(0x0f, 0x38, 0xf0, 0x00),
	  ERR(EINVAL) },
	{ "salc (invalid in 64-bit mode)", 64, B(0xd6),
	  ERR(EINVAL) },
};

/*
 * ALU, TEST, NOT, NEG, INC, DEC (SDM vol. 2): memory is the destination
 * in 00/01 + 8n, 80, 81, 83 and F6, F7, FE, FF; the register in 02/03 +
 * 8n; CMP and TEST only read. 83 sign-extends its imm8 to the operand
 * size, and REX.W sign-extends the imm32 of 81 to 64 bits.
 */
static const struct tcase alu[] = {
	{ "or %eax,0x1000(%r12)", 64,
	  B(0x41, 0x09, 0x84, 0x24, 0x00, 0x10, 0x00, 0x00),
	  RMW(8, 4, 0, AXVM_X86_OP_OR, 0) },
	{ "add %cl,(%rbx)", 64, B(0x00, 0x0b),
	  RMW(2, 1, 1, AXVM_X86_OP_ADD, 0) },
	{ "adc %rdx,0x8(%rax)", 64, B(0x48, 0x11, 0x50, 0x08),
	  RMW(4, 8, 2, AXVM_X86_OP_ADC, 0) },
	{ "sbb %ax,(%rdi)", 64, B(0x66, 0x19, 0x07),
	  RMW(3, 2, 0, AXVM_X86_OP_SBB, 0) },
	{ "and %r9d,(%rsi)", 64, B(0x44, 0x21, 0x0e),
	  RMW(3, 4, 9, AXVM_X86_OP_AND, 0) },
	{ "sub %esp,(%rax)", 64, B(0x29, 0x20),
	  RMW(2, 4, 4, AXVM_X86_OP_SUB, 0) },
	{ "xor %bh,(%rdx)", 64, B(0x30, 0x3a),
	  RMW(2, 1, 7, AXVM_X86_OP_XOR, HI) },
	{ "xor %dil,(%rdx)", 64, B(0x40, 0x30, 0x3a),
	  RMW(3, 1, 7, AXVM_X86_OP_XOR, 0) },
	{ "cmp %ecx,(%rbx)", 64, B(0x39, 0x0b),
	  ALD(2, 4, 0, 1, AXVM_X86_OP_CMP, 0) },
	{ "add (%rbx),%ecx", 64, B(0x03, 0x0b),
	  ALD(2, 4, 4, 1, AXVM_X86_OP_ADD, ZU) },
	{ "or (%rbx),%r10", 64, B(0x4c, 0x0b, 0x13),
	  ALD(3, 8, 8, 10, AXVM_X86_OP_OR, 0) },
	{ "and (%rbx),%ah", 64, B(0x22, 0x23),
	  ALD(2, 1, 1, 4, AXVM_X86_OP_AND, HI) },
	{ "cmp (%rbx),%al", 64, B(0x3a, 0x03),
	  ALD(2, 1, 1, 0, AXVM_X86_OP_CMP, 0) },
	{ "orl $0x80000000,(%rbx)", 64, B(0x81, 0x0b, 0x00, 0x00, 0x00, 0x80),
	  RMWI(6, 4, AXVM_X86_OP_OR, 0x80000000) },
	{ "orq $-16,(%rbx)", 64, B(0x48, 0x83, 0x0b, 0xf0),
	  RMWI(4, 8, AXVM_X86_OP_OR, 0xfffffffffffffff0) },
	{ "andw $0x7fff,(%rbx)", 64, B(0x66, 0x81, 0x23, 0xff, 0x7f),
	  RMWI(5, 2, AXVM_X86_OP_AND, 0x7fff) },
	{ "andb $0xfe,(%rbx)", 64, B(0x80, 0x23, 0xfe),
	  RMWI(3, 1, AXVM_X86_OP_AND, 0xfe) },
	{ "addq $0x7fffffff,(%rbx)", 64,
	  B(0x48, 0x81, 0x03, 0xff, 0xff, 0xff, 0x7f),
	  RMWI(7, 8, AXVM_X86_OP_ADD, 0x7fffffff) },
	{ "subl $-1,0x4(%rbx)", 64, B(0x83, 0x6b, 0x04, 0xff),
	  RMWI(4, 4, AXVM_X86_OP_SUB, 0xffffffff) },
	{ "cmpb $0x5a,(%rbx)", 64, B(0x80, 0x3b, 0x5a),
	  RDI(3, 1, AXVM_X86_OP_CMP, 0x5a) },
	{ "cmpq $-0x80000000,(%rbx)", 64,
	  B(0x48, 0x81, 0x3b, 0x00, 0x00, 0x00, 0x80),
	  RDI(7, 8, AXVM_X86_OP_CMP, 0xffffffff80000000) },
	{ "testl $0x100,(%rbx)", 64, B(0xf7, 0x03, 0x00, 0x01, 0x00, 0x00),
	  RDI(6, 4, AXVM_X86_OP_TEST, 0x100) },
	{ "testb $0x80,(%rbx)", 64, B(0xf6, 0x03, 0x80),
	  RDI(3, 1, AXVM_X86_OP_TEST, 0x80) },
	{ "testw $0x8000,(%rbx)", 64, B(0x66, 0xf7, 0x03, 0x00, 0x80),
	  RDI(5, 2, AXVM_X86_OP_TEST, 0x8000) },
	{ "test %edx,(%rbx)", 64, B(0x85, 0x13),
	  ALD(2, 4, 0, 2, AXVM_X86_OP_TEST, 0) },
	{ "test %ch,(%rbx)", 64, B(0x84, 0x2b),
	  ALD(2, 1, 0, 5, AXVM_X86_OP_TEST, HI) },
	{ "notl (%rbx)", 64, B(0xf7, 0x13),
	  RMW(2, 4, 0, AXVM_X86_OP_NOT, 0) },
	{ "negq (%rbx)", 64, B(0x48, 0xf7, 0x1b),
	  RMW(3, 8, 0, AXVM_X86_OP_NEG, 0) },
	{ "incb (%rbx)", 64, B(0xfe, 0x03),
	  RMW(2, 1, 0, AXVM_X86_OP_INC, 0) },
	{ "decw (%rbx)", 64, B(0x66, 0xff, 0x0b),
	  RMW(3, 2, 0, AXVM_X86_OP_DEC, 0) },
	{ "incq 0x10(%rbx)", 64, B(0x48, 0xff, 0x43, 0x10),
	  RMW(4, 8, 0, AXVM_X86_OP_INC, 0) },
	{ "lock orl $0x1,(%rbx)", 64, B(0xf0, 0x83, 0x0b, 0x01),
	  RMWI(4, 4, AXVM_X86_OP_OR, 1) },
	{ "lock incl (%rbx)", 64, B(0xf0, 0xff, 0x03),
	  RMW(3, 4, 0, AXVM_X86_OP_INC, 0) },
	{ "lock notb (%rbx)", 64, B(0xf0, 0xf6, 0x13),
	  RMW(3, 1, 0, AXVM_X86_OP_NOT, 0) },
	{ "or %eax,(%ebx)", 32, B(0x09, 0x03),
	  RMW(2, 4, 0, AXVM_X86_OP_OR, 0) },
	{ "andw $0xff00,(%esi)", 32, B(0x66, 0x81, 0x26, 0x00, 0xff),
	  RMWI(5, 2, AXVM_X86_OP_AND, 0xff00) },
	{ "xor %cl,(%edi)", 32, B(0x30, 0x0f),
	  RMW(2, 1, 1, AXVM_X86_OP_XOR, 0) },
	{ "add (%ebx),%dx", 32, B(0x66, 0x03, 0x13),
	  ALD(3, 2, 2, 2, AXVM_X86_OP_ADD, 0) },
	{ "incl 0x4(%ebp)", 32, B(0xff, 0x45, 0x04),
	  RMW(3, 4, 0, AXVM_X86_OP_INC, 0) },
	{ "82 /1: orb $0x40,(%ebx)", 32, B(0x82, 0x0b, 0x40),
	  RMWI(3, 1, AXVM_X86_OP_OR, 0x40) },
	{ "or %ax,(%bx)", 16, B(0x09, 0x07),
	  RMW(2, 2, 0, AXVM_X86_OP_OR, 0) },
	{ "or %eax,(%bx,%si)", 16, B(0x66, 0x09, 0x00),
	  RMW(3, 4, 0, AXVM_X86_OP_OR, 0) },
	{ "andb $0xf,0x1234", 16, B(0x80, 0x26, 0x34, 0x12, 0x0f),
	  RMWI(5, 1, AXVM_X86_OP_AND, 0x0f) },
	{ "cmpw $-2,(%di)", 16, B(0x83, 0x3d, 0xfe),
	  RDI(3, 2, AXVM_X86_OP_CMP, 0xfffe) },
};

/*
 * XCHG with memory (locked whether or not it says LOCK), CMPXCHG, XADD,
 * and BT/BTS/BTR/BTC by register or imm8 (0F BA /4-/7): BT only reads.
 */
static const struct tcase xchg_bt[] = {
	{ "xchg %eax,(%rbx)", 64, B(0x87, 0x03),
	  RMW(2, 4, 0, AXVM_X86_OP_XCHG, 0) },
	{ "xchg %r8,(%rbx)", 64, B(0x4c, 0x87, 0x03),
	  RMW(3, 8, 8, AXVM_X86_OP_XCHG, 0) },
	{ "xchg %dh,(%rbx)", 64, B(0x86, 0x33),
	  RMW(2, 1, 6, AXVM_X86_OP_XCHG, HI) },
	{ "lock xchg %eax,(%rbx)", 64, B(0xf0, 0x87, 0x03),
	  RMW(3, 4, 0, AXVM_X86_OP_XCHG, 0) },
	{ "cmpxchg %ecx,(%rbx)", 64, B(0x0f, 0xb1, 0x0b),
	  RMW(3, 4, 1, AXVM_X86_OP_CMPXCHG, 0) },
	{ "cmpxchg %bl,(%rbx)", 64, B(0x0f, 0xb0, 0x1b),
	  RMW(3, 1, 3, AXVM_X86_OP_CMPXCHG, 0) },
	{ "lock cmpxchg %rdx,(%rbx)", 64, B(0xf0, 0x48, 0x0f, 0xb1, 0x13),
	  RMW(5, 8, 2, AXVM_X86_OP_CMPXCHG, 0) },
	{ "xadd %eax,(%rbx)", 64, B(0x0f, 0xc1, 0x03),
	  RMW(3, 4, 0, AXVM_X86_OP_XADD, 0) },
	{ "lock xadd %cx,(%rbx)", 64, B(0x66, 0xf0, 0x0f, 0xc1, 0x0b),
	  RMW(5, 2, 1, AXVM_X86_OP_XADD, 0) },
	{ "lock xadd %ecx,(%ebx)", 32, B(0xf0, 0x0f, 0xc1, 0x0b),
	  RMW(4, 4, 1, AXVM_X86_OP_XADD, 0) },
	{ "bt %eax,(%rbx)", 64, B(0x0f, 0xa3, 0x03),
	  ALD(3, 4, 0, 0, AXVM_X86_OP_BT, 0) },
	{ "bts %rcx,(%rbx)", 64, B(0x48, 0x0f, 0xab, 0x0b),
	  RMW(4, 8, 1, AXVM_X86_OP_BTS, 0) },
	{ "btr %dx,(%rbx)", 64, B(0x66, 0x0f, 0xb3, 0x13),
	  RMW(4, 2, 2, AXVM_X86_OP_BTR, 0) },
	{ "btc %esi,(%rbx)", 64, B(0x0f, 0xbb, 0x33),
	  RMW(3, 4, 6, AXVM_X86_OP_BTC, 0) },
	{ "btl $0x1f,(%rbx)", 64, B(0x0f, 0xba, 0x23, 0x1f),
	  RDI(4, 4, AXVM_X86_OP_BT, 0x1f) },
	{ "btsq $0x3f,(%rbx)", 64, B(0x48, 0x0f, 0xba, 0x2b, 0x3f),
	  RMWI(5, 8, AXVM_X86_OP_BTS, 0x3f) },
	{ "btrw $0x3,(%rbx)", 64, B(0x66, 0x0f, 0xba, 0x33, 0x03),
	  RMWI(5, 2, AXVM_X86_OP_BTR, 3) },
	{ "btcl $0x0,(%rbx)", 64, B(0x0f, 0xba, 0x3b, 0x00),
	  RMWI(4, 4, AXVM_X86_OP_BTC, 0) },
	{ "lock btsl $0x5,(%rbx)", 64, B(0xf0, 0x0f, 0xba, 0x2b, 0x05),
	  RMWI(5, 4, AXVM_X86_OP_BTS, 5) },
	{ "bts %eax,(%ebx)", 32, B(0x0f, 0xab, 0x03),
	  RMW(3, 4, 0, AXVM_X86_OP_BTS, 0) },
};

/* STOS and MOVS: address size from the mode and 67, source segment DS. */
static const struct tcase strings[] = {
	{ "stos %al,%es:(%rdi)", 64, B(0xaa),
	  STR(1, 1, AXVM_X86_OP_STOS, 8, DS, 0) },
	{ "stos %eax,%es:(%rdi)", 64, B(0xab),
	  STR(1, 4, AXVM_X86_OP_STOS, 8, DS, 0) },
	{ "stos %rax,%es:(%rdi)", 64, B(0x48, 0xab),
	  STR(2, 8, AXVM_X86_OP_STOS, 8, DS, 0) },
	{ "rep stos %eax,%es:(%rdi)", 64, B(0xf3, 0xab),
	  STR(2, 4, AXVM_X86_OP_STOS, 8, DS, RP) },
	{ "rep stos %ax,%es:(%rdi)", 64, B(0x66, 0xf3, 0xab),
	  STR(3, 2, AXVM_X86_OP_STOS, 8, DS, RP) },
	{ "repne stos (as rep)", 64, B(0xf2, 0xab),
	  STR(2, 4, AXVM_X86_OP_STOS, 8, DS, RP) },
	{ "movsb %ds:(%rsi),%es:(%rdi)", 64, B(0xa4),
	  STR(1, 1, AXVM_X86_OP_MOVS, 8, DS, 0) },
	{ "rep movsq", 64, B(0xf3, 0x48, 0xa5),
	  STR(3, 8, AXVM_X86_OP_MOVS, 8, DS, RP) },
	{ "rep movsl %fs:(%rsi),%es:(%rdi)", 64, B(0x64, 0xf3, 0xa5),
	  STR(3, 4, AXVM_X86_OP_MOVS, 8, FS, RP) },
	{ "rep stos %al,%es:(%edi)", 64, B(0x67, 0xf3, 0xaa),
	  STR(3, 1, AXVM_X86_OP_STOS, 4, DS, RP) },
	{ "rep stos %al,%es:(%edi)", 32, B(0xf3, 0xaa),
	  STR(2, 1, AXVM_X86_OP_STOS, 4, DS, RP) },
	{ "rep movsw", 32, B(0x66, 0xf3, 0xa5),
	  STR(3, 2, AXVM_X86_OP_MOVS, 4, DS, RP) },
	{ "movsl %es:(%esi),%es:(%edi)", 32, B(0x26, 0xa5),
	  STR(2, 4, AXVM_X86_OP_MOVS, 4, ES, 0) },
	{ "stos %eax,%es:(%di)", 32, B(0x67, 0xab),
	  STR(2, 4, AXVM_X86_OP_STOS, 2, DS, 0) },
	{ "rep stos %ax,%es:(%di)", 16, B(0xf3, 0xab),
	  STR(2, 2, AXVM_X86_OP_STOS, 2, DS, RP) },
	{ "movsb %cs:(%si),%es:(%di)", 16, B(0x2e, 0xa4),
	  STR(2, 1, AXVM_X86_OP_MOVS, 2, CS, 0) },
	{ "rep movsl %ds:(%esi),%es:(%edi)", 16, B(0x67, 0x66, 0xf3, 0xa5),
	  STR(4, 4, AXVM_X86_OP_MOVS, 4, DS, RP) },
	{ "rep insb (%dx),%es:(%rdi)", 64, B(0xf3, 0x6c),
	  STR(2, 1, AXVM_X86_OP_INS, 8, DS, RP) },
	{ "insw (%dx),%es:(%rdi)", 64, B(0x66, 0x6d),
	  STR(2, 2, AXVM_X86_OP_INS, 8, DS, 0) },
	{ "rex.W insl: 4 bytes", 64, B(0x48, 0x6d),
	  STR(2, 4, AXVM_X86_OP_INS, 8, DS, 0) },
	{ "rep outsl %gs:(%esi),(%dx)", 64, B(0x65, 0x67, 0xf3, 0x6f),
	  .len = 4, .size = 4, .op = AXVM_X86_OP_OUTS, .adsize = 4, .seg = 5,
	  .flags = RP },
	{ "outsb %ds:(%si),(%dx)", 16, B(0x6e),
	  .len = 1, .size = 1, .op = AXVM_X86_OP_OUTS, .adsize = 2, .seg = DS },
};

/* Where the CPU raises #UD, or the bytes mean another instruction. */
static const struct tcase reject_rmw[] = {
	{ "lock cmp %ecx,(%rbx)", 64, B(0xf0, 0x39, 0x0b),
	  ERR(EINVAL) },
	{ "lock add (%rbx),%ecx", 64, B(0xf0, 0x03, 0x0b),
	  ERR(EINVAL) },
	{ "lock test %edx,(%rbx)", 64, B(0xf0, 0x85, 0x13),
	  ERR(EINVAL) },
	{ "lock testl $1,(%rbx)", 64, B(0xf0, 0xf7, 0x03, 0x01, 0x00, 0x00, 0x00),
	  ERR(EINVAL) },
	{ "lock bt %eax,(%rbx)", 64, B(0xf0, 0x0f, 0xa3, 0x03),
	  ERR(EINVAL) },
	{ "lock stos", 64, B(0xf0, 0xab),
	  ERR(EINVAL) },
	{ "lock movzbl", 64, B(0xf0, 0x0f, 0xb6, 0x03),
	  ERR(EINVAL) },
	{ "rep add %eax,(%rbx)", 64, B(0xf3, 0x01, 0x03),
	  ERR(EINVAL) },
	{ "xacquire lock or (F2 F0)", 64, B(0xf2, 0xf0, 0x09, 0x03),
	  ERR(EINVAL) },
	{ "82 in 64-bit mode", 64, B(0x82, 0x0b, 0x40),
	  ERR(EINVAL) },
	{ "f7 /1 (TEST alias)", 64, B(0xf7, 0x0b, 0x01, 0x00, 0x00, 0x00),
	  ERR(EINVAL) },
	{ "mull (%rbx)", 64, B(0xf7, 0x23),
	  ERR(EINVAL) },
	{ "call *(%rbx)", 64, B(0xff, 0x13),
	  ERR(EINVAL) },
	{ "push (%rbx)", 64, B(0xff, 0x33),
	  ERR(EINVAL) },
	{ "0f ba /0", 64, B(0x0f, 0xba, 0x03, 0x01),
	  ERR(EINVAL) },
	{ "or %eax,%ebx", 64, B(0x09, 0xc3),
	  ERR(EINVAL) },
	{ "xchg %eax,%ebx (87 c3)", 64, B(0x87, 0xc3),
	  ERR(EINVAL) },
	{ "bts %eax,%ebx", 64, B(0x0f, 0xab, 0xc3),
	  ERR(EINVAL) },
	{ "incl %ebx (ff c3)", 64, B(0xff, 0xc3),
	  ERR(EINVAL) },
	{ "add $1,%al (04)", 64, B(0x04, 0x01),
	  ERR(EINVAL) },
	{ "lodsl", 64, B(0xad),
	  ERR(EINVAL) },
	{ "cmpsb", 64, B(0xa6),
	  ERR(EINVAL) },
	{ "bsf (%rbx),%eax", 64, B(0x0f, 0xbc, 0x03),
	  ERR(EINVAL) },
};

static const struct tcase truncated[] = {
	{ "opcode alone", 64, B(0x89),
	  ERR(ENODATA) },
	{ "a prefix alone", 64, B(0x66),
	  ERR(ENODATA) },
	{ "REX alone", 64, B(0x48),
	  ERR(ENODATA) },
	{ "0f alone", 64, B(0x0f),
	  ERR(ENODATA) },
	{ "no SIB", 64, B(0x89, 0x44),
	  ERR(ENODATA) },
	{ "no disp8", 64, B(0x89, 0x44, 0x8b),
	  ERR(ENODATA) },
	{ "disp32 cut", 64, B(0x89, 0x05, 0x78, 0x56, 0x34),
	  ERR(ENODATA) },
	{ "SIB disp32 cut", 64, B(0x89, 0x04, 0x25, 0x78, 0x56, 0x34),
	  ERR(ENODATA) },
	{ "imm32 cut", 64, B(0xc7, 0x00, 0x01, 0x00, 0x00),
	  ERR(ENODATA) },
	{ "imm16 cut", 64, B(0x66, 0xc7, 0x00, 0x01),
	  ERR(ENODATA) },
	{ "imm8 missing", 64, B(0xc6, 0x00),
	  ERR(ENODATA) },
	{ "moffs64 cut", 64,
	  B(0x48, 0xa1, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33,
	    0x22),
	  ERR(ENODATA) },
	{ "moffs32 cut", 32, B(0xa1, 0x44, 0x33, 0x22),
	  ERR(ENODATA) },
	{ "disp16 cut", 16, B(0x8b, 0x0e, 0x34),
	  ERR(ENODATA) },
	{ "mod 2 disp16 cut", 16, B(0x8b, 0x86, 0x34),
	  ERR(ENODATA) },
	{ "81 imm32 cut", 64, B(0x81, 0x0b, 0x00, 0x00, 0x00),
	  ERR(ENODATA) },
	{ "83 imm8 missing", 64, B(0x83, 0x0b),
	  ERR(ENODATA) },
	{ "0f ba imm8 missing", 64, B(0x0f, 0xba, 0x23),
	  ERR(ENODATA) },
	{ "f7 /0 imm32 cut", 64, B(0xf7, 0x03, 0x00, 0x01),
	  ERR(ENODATA) },
	{ "rep alone", 64, B(0xf3),
	  ERR(ENODATA) },
};

static const struct group groups[] = {
	{ "mov_store", mov_store, ARRAY_SIZE(mov_store) },
	{ "mov_load", mov_load, ARRAY_SIZE(mov_load) },
	{ "mov_imm", mov_imm, ARRAY_SIZE(mov_imm) },
	{ "moffs", moffs, ARRAY_SIZE(moffs) },
	{ "movzx_movsx", movzx_movsx, ARRAY_SIZE(movzx_movsx) },
	{ "movsxd", movsxd, ARRAY_SIZE(movsxd) },
	{ "rex", rex, ARRAY_SIZE(rex) },
	{ "high_byte", high_byte, ARRAY_SIZE(high_byte) },
	{ "sib", sib, ARRAY_SIZE(sib) },
	{ "disp", disp, ARRAY_SIZE(disp) },
	{ "rip_relative", rip_relative, ARRAY_SIZE(rip_relative) },
	{ "addr16", addr16, ARRAY_SIZE(addr16) },
	{ "prefixes", prefixes, ARRAY_SIZE(prefixes) },
	{ "reject", reject, ARRAY_SIZE(reject) },
	{ "alu", alu, ARRAY_SIZE(alu) },
	{ "xchg_bt", xchg_bt, ARRAY_SIZE(xchg_bt) },
	{ "strings", strings, ARRAY_SIZE(strings) },
	{ "reject_rmw", reject_rmw, ARRAY_SIZE(reject_rmw) },
	{ "truncated", truncated, ARRAY_SIZE(truncated) },
};

/* The first failure of a group, and how many there were. */
static char why[512];
static unsigned int failures, checks;

static void report(const char *name)
{
	if (failures)
		printf("FAIL unit x86_decode %s: %s (%u of %u checks failed)\n",
		       name, why, failures, checks);
	else
		printf("PASS unit x86_decode %s\n", name);
	failures = 0;
	checks = 0;
}

static unsigned int flags_of(const struct axvm_x86_insn *insn)
{
	return (insn->write ? WR : 0) | (insn->has_imm ? IM : 0) |
	       (insn->high_byte ? HI : 0) | (insn->sign_extend ? SX : 0) |
	       (insn->zero_upper ? ZU : 0) | (insn->rmw ? RM : 0) |
	       (insn->rep ? RP : 0);
}

/* Decode @n of @bytes; compare with @t. */
static void check_bytes(const struct tcase *t, const u8 *bytes,
			unsigned int n, const char *how)
{
	struct axvm_x86_insn insn;
	int ret;

	checks++;
	/* Ones everywhere: a valid bool, and no field left as it was. */
	memset(&insn, 1, sizeof(insn));
	ret = axvm_x86_decode(bytes, n, t->mode, &insn);
	if (ret != t->ret) {
		if (!failures++)
			snprintf(why, sizeof(why),
				 "%s (%u-bit%s): returned %d, want %d",
				 t->text, t->mode, how, ret, t->ret);
		return;
	}
	/* A failure leaves it all zero. */
	if (ret && (insn.len || insn.size || insn.reg || insn.dst_size ||
		    flags_of(&insn) || insn.imm || insn.op || insn.adsize ||
		    insn.seg)) {
		if (!failures++)
			snprintf(why, sizeof(why),
				 "%s (%u-bit%s): returned %d but left fields set",
				 t->text, t->mode, how, ret);
		return;
	}
	if (ret)
		return;
	if (insn.len != t->len || insn.size != t->size ||
	    insn.reg != t->reg || insn.dst_size != t->dst_size ||
	    flags_of(&insn) != t->flags || insn.imm != t->imm ||
	    insn.op != t->op ||
	    (t->adsize && (insn.adsize != t->adsize || insn.seg != t->seg))) {
		if (!failures++)
			snprintf(why, sizeof(why),
				 "%s (%u-bit%s): got len %u size %u reg %u dst_size %u flags %#x imm %#llx op %u adsize %u seg %u, want %u %u %u %u %#x %#llx %u %u %u",
				 t->text, t->mode, how, insn.len, insn.size,
				 insn.reg, insn.dst_size, flags_of(&insn),
				 insn.imm, insn.op, insn.adsize, insn.seg,
				 t->len, t->size, t->reg, t->dst_size,
				 t->flags, t->imm, t->op, t->adsize, t->seg);
	}
}

static void check(const struct tcase *t)
{
	check_bytes(t, t->bytes, t->n, "");
}

/*
 * Every accepted case again: with more bytes after it than it needs (the
 * decoder must stop at its end), and cut short by one byte or more.
 */
static void check_cut_short(void)
{
	const struct tcase *t;
	struct tcase cut;
	unsigned int g, i, n;
	u8 bytes[AXVM_X86_INSN_MAX + 1];

	for (g = 0; g < ARRAY_SIZE(groups); g++) {
		for (i = 0; i < groups[g].count; i++) {
			t = &groups[g].cases[i];
			if (t->ret)
				continue;
			memset(bytes, 0xff, sizeof(bytes));
			memcpy(bytes, t->bytes, t->n);
			check_bytes(t, bytes, sizeof(bytes), ", with 0xff after it");
			cut = *t;
			cut.ret = -ENODATA;
			for (n = 0; n < t->len; n++)
				check_bytes(&cut, t->bytes, n, ", cut short");
		}
	}
	report("cut_short");
}

/* The modes and 67 prefixes, by the address size they select. */
static const struct {
	unsigned int mode;
	bool prefix;
	unsigned int adsize;
} addressing[] = {
	{ 16, false, 16 }, { 16, true, 32 }, { 32, false, 32 },
	{ 32, true, 16 }, { 64, false, 64 }, { 64, true, 32 },
};

/* 16, 32, 64 as 0, 1, 2: an index into modrm_len and sib_len. */
static unsigned int adsize_index(unsigned int adsize)
{
	return adsize == 16 ? 0 : adsize == 32 ? 1 : 2;
}

/*
 * MOV r, r/m (8B) with every ModRM byte in every address size: its length
 * (SIB 00 after it, which adds no displacement), or a refusal for mod 3.
 */
static void check_every_modrm(void)
{
	unsigned int a, m, p, mod;
	struct tcase t;

	for (a = 0; a < ARRAY_SIZE(addressing); a++) {
		const unsigned int (*lens)[8] =
			modrm_len[adsize_index(addressing[a].adsize)];

		for (m = 0; m < 256; m++) {
			memset(&t, 0, sizeof(t));
			t.text = "8b /r, every ModRM";
			t.mode = addressing[a].mode;
			p = 0;
			if (addressing[a].prefix)
				t.bytes[p++] = 0x67;
			t.bytes[p++] = 0x8b;
			t.bytes[p++] = m;
			t.n = sizeof(t.bytes);
			mod = m >> 6;
			if (mod == 3) {
				t.ret = -EINVAL;
			} else {
				t.len = p - 1 + lens[mod][m & 7];
				t.size = t.mode == 16 ? 2 : 4;
				t.dst_size = t.size;
				t.reg = (m >> 3) & 7;
				t.flags = t.size == 4 ? ZU : 0;
			}
			check(&t);
		}
	}
	report("every_modrm");
}

/* MOV r, r/m with every SIB byte after mod 0, 1 and 2 (rm 4). */
static void check_every_sib(void)
{
	unsigned int a, mod, s, p, i;
	struct tcase t;

	for (a = 0; a < ARRAY_SIZE(addressing); a++) {
		if (addressing[a].adsize == 16)
			continue;
		i = adsize_index(addressing[a].adsize) - 1;
		for (mod = 0; mod < 3; mod++) {
			for (s = 0; s < 256; s++) {
				memset(&t, 0, sizeof(t));
				t.text = "8b /r, every SIB";
				t.mode = addressing[a].mode;
				p = 0;
				if (addressing[a].prefix)
					t.bytes[p++] = 0x67;
				t.bytes[p++] = 0x8b;
				t.bytes[p++] = mod << 6 | 1 << 3 | 4;
				t.bytes[p++] = s;
				t.n = sizeof(t.bytes);
				t.len = p - 2 + sib_len[i][mod][s & 7];
				t.size = t.mode == 16 ? 2 : 4;
				t.dst_size = t.size;
				t.reg = 1;
				t.flags = t.size == 4 ? ZU : 0;
				check(&t);
			}
		}
	}
	report("every_sib");
}

/*
 * Every REX prefix with every ModRM reg field on each opcode that has one:
 * REX.R extends the register, REX.W makes the operand 8 bytes, REX.X and
 * REX.B change nothing here, and any REX makes byte registers 4-7 SPL BPL
 * SIL DIL.
 */
static void check_every_rex(void)
{
	static const struct {
		u8 op[2];
		unsigned int oplen;
	} ops[] = {
		{ { 0x88 }, 1 }, { { 0x89 }, 1 }, { { 0x8a }, 1 },
		{ { 0x8b }, 1 }, { { 0xc6 }, 1 }, { { 0xc7 }, 1 },
		{ { 0x63 }, 1 }, { { 0x0f, 0xb6 }, 2 }, { { 0x0f, 0xb7 }, 2 },
		{ { 0x0f, 0xbe }, 2 }, { { 0x0f, 0xbf }, 2 },
	};
	unsigned int o, rex, r, p, opsize;
	struct tcase t;
	u8 op;

	for (o = 0; o < ARRAY_SIZE(ops); o++) {
		for (rex = 0x40; rex <= 0x4f; rex++) {
			for (r = 0; r < 8; r++) {
				memset(&t, 0, sizeof(t));
				t.text = "every REX";
				t.mode = 64;
				p = 0;
				t.bytes[p++] = rex;
				memcpy(&t.bytes[p], ops[o].op, ops[o].oplen);
				p += ops[o].oplen;
				/* (%rax) or (%r8) */
				t.bytes[p++] = r << 3;
				op = ops[o].op[ops[o].oplen - 1];
				opsize = rex & 8 ? 8 : 4;
				t.len = p;
				t.reg = r | (rex & 4 ? 8 : 0);
				switch (op) {
				case 0x88:
					t.size = 1;
					t.flags = WR;
					break;
				case 0x89:
					t.size = opsize;
					t.flags = WR;
					break;
				case 0x8a:
					t.size = 1;
					t.dst_size = 1;
					break;
				case 0x8b:
					t.size = opsize;
					t.dst_size = opsize;
					break;
				case 0xc6:
				case 0xc7:
					/* 0x80 0x80 0x80 0x80: a negative imm32. */
					memset(&t.bytes[p], 0x80, 4);
					t.size = op == 0xc6 ? 1 : opsize;
					t.len += op == 0xc6 ? 1 : 4;
					t.imm = op == 0xc6 ? 0x80 : opsize == 8 ?
						0xffffffff80808080ULL : 0x80808080;
					t.reg = 0;
					t.flags = WR | IM;
					if (r)
						t.ret = -EINVAL;
					break;
				case 0x63:
					t.size = 4;
					t.dst_size = 8;
					t.flags = SX;
					if (!(rex & 8))
						t.ret = -EINVAL;
					break;
				default:
					t.size = op & 1 ? 2 : 1;
					t.dst_size = opsize;
					t.flags = op & 8 ? SX : 0;
					break;
				}
				if (t.dst_size == 4)
					t.flags |= ZU;
				t.n = sizeof(t.bytes);
				check(&t);
			}
		}
	}
	report("every_rex");
}

/* Arguments: the mode, how many bytes there are. */
static void check_arguments(void)
{
	static const unsigned int bad_modes[] = { 0, 8, 15, 33, 63, 128 };
	struct tcase t = { "mov %eax,(%rbx)", 64, B(0x89, 0x03),
			   ST(2, 4, 0, 0) };
	unsigned int i;

	check_bytes(&t, t.bytes, 2, ", n 2");
	check_bytes(&t, t.bytes, AXVM_X86_INSN_MAX, ", n 15");
	check_bytes(&t, t.bytes, 1000, ", n 1000 (only 15 read)");
	t.ret = -ENODATA;
	check_bytes(&t, t.bytes, 0, ", n 0");
	t.ret = -EINVAL;
	for (i = 0; i < ARRAY_SIZE(bad_modes); i++) {
		t.mode = bad_modes[i];
		check_bytes(&t, t.bytes, t.n, ", a bad mode");
	}
	report("arguments");
}

/*
 * The CR0/CR4 writes and the MOV DRs SVM's intercepts stop
 * (axvm_x86_decode_ctl()), assembled with GNU as: op, register, gpr and
 * length; mod is ignored for MOV CR and MOV DR (SDM vol. 2: "the r/m
 * field always specifies a register").
 */
static const struct {
	const char *text;
	unsigned int mode;
	u8 bytes[AXVM_X86_INSN_MAX + 1];
	unsigned int n;
	int ret;
	unsigned int len, op, reg, gpr;
} ctl_cases[] = {
	{ "mov %eax,%cr0", 32, B(0x0f, 0x22, 0xc0), 0, 3, AXVM_X86_CR_MOV, 0, 0 },
	{ "mov %ebx,%cr4", 32, B(0x0f, 0x22, 0xe3), 0, 3, AXVM_X86_CR_MOV, 4, 3 },
	{ "mov %esi,%cr0 (16-bit)", 16, B(0x0f, 0x22, 0xc6), 0, 3,
	  AXVM_X86_CR_MOV, 0, 6 },
	{ "mov %eax,%cr0, mod 0 (as a register)", 32, B(0x0f, 0x22, 0x00), 0,
	  3, AXVM_X86_CR_MOV, 0, 0 },
	{ "66 2e mov %ecx,%cr4", 16, B(0x66, 0x2e, 0x0f, 0x22, 0xe1), 0, 5,
	  AXVM_X86_CR_MOV, 4, 1 },
	{ "mov %r9,%cr4", 64, B(0x41, 0x0f, 0x22, 0xe1), 0, 4,
	  AXVM_X86_CR_MOV, 4, 9 },
	{ "mov %rdx,%cr8", 64, B(0x44, 0x0f, 0x22, 0xc2), 0, 4,
	  AXVM_X86_CR_MOV, 8, 2 },
	{ "41 (inc %ecx) then mov %eax,%cr0, 32-bit", 32,
	  B(0x41, 0x0f, 0x22, 0xc0), ERR(EINVAL) },
	{ "lmsw %ax", 16, B(0x0f, 0x01, 0xf0), 0, 3, AXVM_X86_CR_LMSW, 0, 0 },
	{ "lmsw %di", 32, B(0x0f, 0x01, 0xf7), 0, 3, AXVM_X86_CR_LMSW, 0, 7 },
	{ "clts", 16, B(0x0f, 0x06), 0, 2, AXVM_X86_CR_CLTS, 0, 0 },
	{ "lmsw (%bx+%si): memory", 16, B(0x0f, 0x01, 0x30), ERR(EINVAL) },
	{ "smsw %ax (0f 01 /4)", 16, B(0x0f, 0x01, 0xe0), ERR(EINVAL) },
	{ "lock mov %eax,%cr0 (AMD: CR8)", 32, B(0xf0, 0x0f, 0x22, 0xc0),
	  ERR(EINVAL) },
	{ "mov %cr0,%eax (a read)", 32, B(0x0f, 0x20, 0xc0), ERR(EINVAL) },
	{ "mov %eax,%cr0 cut short", 32, B(0x0f, 0x22), ERR(ENODATA) },
	{ "mov %eax,%cr0, mode 8", 8, B(0x0f, 0x22, 0xc0), ERR(EINVAL) },
	{ "15 prefixes then mov", 32, B(0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
	  0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x0f, 0x22, 0xc0),
	  ERR(EINVAL) },
	{ "mov %dr7,%rax", 64, B(0x0f, 0x21, 0xf8), 0, 3, AXVM_X86_DR_READ,
	  7, 0 },
	{ "mov %rbx,%dr0", 64, B(0x0f, 0x23, 0xc3), 0, 3, AXVM_X86_DR_WRITE,
	  0, 3 },
	{ "mov %r9,%dr7", 64, B(0x41, 0x0f, 0x23, 0xf9), 0, 4,
	  AXVM_X86_DR_WRITE, 7, 9 },
	{ "mov %dr6,%r15", 64, B(0x41, 0x0f, 0x21, 0xf7), 0, 4,
	  AXVM_X86_DR_READ, 6, 15 },
	{ "mov %dr6,%eax", 32, B(0x0f, 0x21, 0xf0), 0, 3, AXVM_X86_DR_READ,
	  6, 0 },
	{ "f3 2e mov %esi,%dr3", 32, B(0xf3, 0x2e, 0x0f, 0x23, 0xde), 0, 5,
	  AXVM_X86_DR_WRITE, 3, 6 },
	{ "mov %edx,%dr1 (16-bit)", 16, B(0x0f, 0x23, 0xca), 0, 3,
	  AXVM_X86_DR_WRITE, 1, 2 },
	{ "REX.R: DR8 (#UD on the CPU)", 64, B(0x44, 0x0f, 0x21, 0xc0), 0, 4,
	  AXVM_X86_DR_READ, 8, 0 },
	{ "lock mov %dr0,%eax", 32, B(0xf0, 0x0f, 0x21, 0xc0), ERR(EINVAL) },
	{ "mov %dr0,%eax cut short", 32, B(0x0f, 0x21), ERR(ENODATA) },
};

static void check_ctl_moves(void)
{
	struct axvm_x86_ctl_insn w;
	unsigned int i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(ctl_cases); i++) {
		checks++;
		memset(&w, 0xff, sizeof(w));
		ret = axvm_x86_decode_ctl(ctl_cases[i].bytes, ctl_cases[i].n,
					  ctl_cases[i].mode, &w);
		if (ret != ctl_cases[i].ret ||
		    (ret && (w.len || w.op || w.reg || w.gpr)) ||
		    (!ret && (w.len != ctl_cases[i].len ||
			      w.op != ctl_cases[i].op ||
			      w.reg != ctl_cases[i].reg ||
			      w.gpr != ctl_cases[i].gpr))) {
			if (!failures++)
				snprintf(why, sizeof(why),
					 "%s: returned %d len %u op %u reg %u gpr %u, want %d %u %u %u %u",
					 ctl_cases[i].text, ret, w.len, w.op,
					 w.reg, w.gpr, ctl_cases[i].ret,
					 ctl_cases[i].len, ctl_cases[i].op,
					 ctl_cases[i].reg, ctl_cases[i].gpr);
		}
	}
	report("ctl_move");
}

int main(void)
{
	unsigned int g, i, total = 0;

	for (g = 0; g < ARRAY_SIZE(groups); g++) {
		for (i = 0; i < groups[g].count; i++)
			check(&groups[g].cases[i]);
		total += groups[g].count;
		report(groups[g].name);
	}
	check_cut_short();
	check_every_modrm();
	check_every_sib();
	check_every_rex();
	check_arguments();
	check_ctl_moves();
	fflush(stdout);
	fprintf(stderr, "x86_decode: %u listed encodings\n", total);
	return 0;
}
