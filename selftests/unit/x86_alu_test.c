// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit test of the MMIO emulation's arithmetic (kmod/arch/x86/alu.c)
 * against the CPU it runs on: each op at each width is run by the host's
 * own instruction on the same operands and incoming flags, and the result
 * and every status flag the SDM defines for it must agree. Undefined
 * flags (AF after the logic ops, all but CF after BT*) must be left as
 * they came in. Prints one "PASS unit x86_alu <op>" or "FAIL unit x86_alu
 * <op>: <why>" line per op.
 * Links: kmod/arch/x86/alu.c
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "alu.h"
#include "decode.h"

#ifndef __x86_64__
int main(void)
{
	printf("SKIP unit x86_alu: the host is not x86_64\n");
	return 0;
}
#else

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

typedef u64 (*host_fn)(u64 d, u64 s, u64 *flags);

/*
 * RFLAGS in, the instruction, RFLAGS out. The stack pointer steps over
 * the red zone with LEA, which leaves the flags alone.
 */
#define HOST(op, sfx, T, insn)						\
static u64 host_##op##_##sfx(u64 d, u64 s, u64 *flags)			\
{									\
	T dd = d, ss = s;						\
	unsigned long f = *flags;					\
									\
	asm volatile("lea -128(%%rsp), %%rsp\n\t"			\
		     "push %[f]\n\tpopf\n\t"				\
		     insn "\n\t"					\
		     "pushf\n\tpop %[f]\n\t"				\
		     "lea 128(%%rsp), %%rsp"				\
		     : [d] "+r" (dd), [f] "+r" (f)			\
		     : [s] "r" (ss) : "cc", "memory");			\
	*flags = f;							\
	return (uint64_t)dd;						\
}

/* BT* have no byte form. */
HOST(add, 1, uint8_t, "addb %[s], %[d]")
HOST(add, 2, uint16_t, "addw %[s], %[d]")
HOST(add, 4, uint32_t, "addl %[s], %[d]")
HOST(add, 8, uint64_t, "addq %[s], %[d]")
HOST(or, 1, uint8_t, "orb %[s], %[d]")
HOST(or, 2, uint16_t, "orw %[s], %[d]")
HOST(or, 4, uint32_t, "orl %[s], %[d]")
HOST(or, 8, uint64_t, "orq %[s], %[d]")
HOST(adc, 1, uint8_t, "adcb %[s], %[d]")
HOST(adc, 2, uint16_t, "adcw %[s], %[d]")
HOST(adc, 4, uint32_t, "adcl %[s], %[d]")
HOST(adc, 8, uint64_t, "adcq %[s], %[d]")
HOST(sbb, 1, uint8_t, "sbbb %[s], %[d]")
HOST(sbb, 2, uint16_t, "sbbw %[s], %[d]")
HOST(sbb, 4, uint32_t, "sbbl %[s], %[d]")
HOST(sbb, 8, uint64_t, "sbbq %[s], %[d]")
HOST(and, 1, uint8_t, "andb %[s], %[d]")
HOST(and, 2, uint16_t, "andw %[s], %[d]")
HOST(and, 4, uint32_t, "andl %[s], %[d]")
HOST(and, 8, uint64_t, "andq %[s], %[d]")
HOST(sub, 1, uint8_t, "subb %[s], %[d]")
HOST(sub, 2, uint16_t, "subw %[s], %[d]")
HOST(sub, 4, uint32_t, "subl %[s], %[d]")
HOST(sub, 8, uint64_t, "subq %[s], %[d]")
HOST(xor, 1, uint8_t, "xorb %[s], %[d]")
HOST(xor, 2, uint16_t, "xorw %[s], %[d]")
HOST(xor, 4, uint32_t, "xorl %[s], %[d]")
HOST(xor, 8, uint64_t, "xorq %[s], %[d]")
HOST(cmp, 1, uint8_t, "cmpb %[s], %[d]")
HOST(cmp, 2, uint16_t, "cmpw %[s], %[d]")
HOST(cmp, 4, uint32_t, "cmpl %[s], %[d]")
HOST(cmp, 8, uint64_t, "cmpq %[s], %[d]")
HOST(test, 1, uint8_t, "testb %[s], %[d]")
HOST(test, 2, uint16_t, "testw %[s], %[d]")
HOST(test, 4, uint32_t, "testl %[s], %[d]")
HOST(test, 8, uint64_t, "testq %[s], %[d]")
HOST(not, 1, uint8_t, "notb %[d]")
HOST(not, 2, uint16_t, "notw %[d]")
HOST(not, 4, uint32_t, "notl %[d]")
HOST(not, 8, uint64_t, "notq %[d]")
HOST(neg, 1, uint8_t, "negb %[d]")
HOST(neg, 2, uint16_t, "negw %[d]")
HOST(neg, 4, uint32_t, "negl %[d]")
HOST(neg, 8, uint64_t, "negq %[d]")
HOST(inc, 1, uint8_t, "incb %[d]")
HOST(inc, 2, uint16_t, "incw %[d]")
HOST(inc, 4, uint32_t, "incl %[d]")
HOST(inc, 8, uint64_t, "incq %[d]")
HOST(dec, 1, uint8_t, "decb %[d]")
HOST(dec, 2, uint16_t, "decw %[d]")
HOST(dec, 4, uint32_t, "decl %[d]")
HOST(dec, 8, uint64_t, "decq %[d]")
HOST(bt, 2, uint16_t, "btw %[s], %[d]")
HOST(bt, 4, uint32_t, "btl %[s], %[d]")
HOST(bt, 8, uint64_t, "btq %[s], %[d]")
HOST(bts, 2, uint16_t, "btsw %[s], %[d]")
HOST(bts, 4, uint32_t, "btsl %[s], %[d]")
HOST(bts, 8, uint64_t, "btsq %[s], %[d]")
HOST(btr, 2, uint16_t, "btrw %[s], %[d]")
HOST(btr, 4, uint32_t, "btrl %[s], %[d]")
HOST(btr, 8, uint64_t, "btrq %[s], %[d]")
HOST(btc, 2, uint16_t, "btcw %[s], %[d]")
HOST(btc, 4, uint32_t, "btcl %[s], %[d]")
HOST(btc, 8, uint64_t, "btcq %[s], %[d]")

#define ALL4(op)	{ host_##op##_1, host_##op##_2, host_##op##_4, host_##op##_8 }
#define ALL3(op)	{ NULL, host_##op##_2, host_##op##_4, host_##op##_8 }

static const struct {
	const char *name;
	unsigned int op;
	host_fn fn[4];		/* by size 1, 2, 4, 8 */
	bool stores;		/* the result is the instruction's */
	u64 undefined;		/* status flags the SDM leaves undefined */
} ops[] = {
	{ "add", AXVM_X86_OP_ADD, ALL4(add), true, 0 },
	{ "or", AXVM_X86_OP_OR, ALL4(or), true, AXVM_X86_AF },
	{ "adc", AXVM_X86_OP_ADC, ALL4(adc), true, 0 },
	{ "sbb", AXVM_X86_OP_SBB, ALL4(sbb), true, 0 },
	{ "and", AXVM_X86_OP_AND, ALL4(and), true, AXVM_X86_AF },
	{ "sub", AXVM_X86_OP_SUB, ALL4(sub), true, 0 },
	{ "xor", AXVM_X86_OP_XOR, ALL4(xor), true, AXVM_X86_AF },
	{ "cmp", AXVM_X86_OP_CMP, ALL4(cmp), false, 0 },
	{ "test", AXVM_X86_OP_TEST, ALL4(test), false, AXVM_X86_AF },
	{ "not", AXVM_X86_OP_NOT, ALL4(not), true, 0 },
	{ "neg", AXVM_X86_OP_NEG, ALL4(neg), true, 0 },
	{ "inc", AXVM_X86_OP_INC, ALL4(inc), true, 0 },
	{ "dec", AXVM_X86_OP_DEC, ALL4(dec), true, 0 },
	{ "bt", AXVM_X86_OP_BT, ALL3(bt), false,
	  AXVM_X86_STATUS_FLAGS & ~AXVM_X86_CF },
	{ "bts", AXVM_X86_OP_BTS, ALL3(bts), true,
	  AXVM_X86_STATUS_FLAGS & ~AXVM_X86_CF },
	{ "btr", AXVM_X86_OP_BTR, ALL3(btr), true,
	  AXVM_X86_STATUS_FLAGS & ~AXVM_X86_CF },
	{ "btc", AXVM_X86_OP_BTC, ALL3(btc), true,
	  AXVM_X86_STATUS_FLAGS & ~AXVM_X86_CF },
};

/* The edges of every width, and their neighbours. */
static const u64 edges[] = {
	0, 1, 2, 0x7f, 0x80, 0x81, 0xff, 0x100, 0x7fff, 0x8000, 0xffff,
	0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ULL,
	0x7fffffffffffffffULL, 0x8000000000000000ULL, 0xffffffffffffffffULL,
	0x0f, 0x10, 0xf0, 0x5a5a5a5a5a5a5a5aULL,
};

static u64 rng = 0x9e3779b97f4a7c15ULL;

static u64 next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

int main(void)
{
	static const unsigned int sizes[] = { 1, 2, 4, 8 };
	unsigned int o, z, i, n = ARRAY_SIZE(edges), bad, checks = 0;
	char why[256];

	for (o = 0; o < ARRAY_SIZE(ops); o++) {
		bad = 0;
		for (z = 0; z < 4; z++) {
			if (!ops[o].fn[z])
				continue;
			for (i = 0; i < n * n * 2 + 20000; i++) {
				unsigned int size = sizes[z];
				u64 d, s, in, hf, ef, hr, er, cmp;

				if (i < n * n * 2) {
					d = edges[i / 2 % n];
					s = edges[i / 2 / n];
				} else {
					d = next();
					s = next();
					/* Small values reach the carries too. */
					if (i & 1)
						s &= 0xff;
				}
				/* IF and the reserved bit 1 set; CF, ZF... from i. */
				in = 0x202 | (i & 1 ? AXVM_X86_STATUS_FLAGS : 0);
				hf = in;
				ef = in;
				hr = ops[o].fn[z](d, s, &hf);
				er = axvm_x86_alu(ops[o].op, d, s, size, &ef);
				checks++;
				cmp = AXVM_X86_STATUS_FLAGS & ~ops[o].undefined;
				if ((ops[o].stores && hr != er) ||
				    ((hf ^ ef) & cmp) ||
				    ((in ^ ef) & ops[o].undefined)) {
					if (!bad++)
						snprintf(why, sizeof(why),
							 "%s size %u d %#llx s %#llx flags in %#llx: host %#llx flags %#llx, alu %#llx flags %#llx",
							 ops[o].name, size, d, s,
							 in, hr, hf, er, ef);
				}
			}
		}
		if (bad)
			printf("FAIL unit x86_alu %s: %s (%u wrong)\n",
			       ops[o].name, why, bad);
		else
			printf("PASS unit x86_alu %s\n", ops[o].name);
	}
	fprintf(stderr, "x86_alu: %u checks\n", checks);
	return 0;
}
#endif
