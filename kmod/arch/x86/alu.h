/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The arithmetic of the instructions the MMIO emulation completes for
 * the guest (decode.h): the result and the six status flags, as the
 * Intel SDM, volume 1, section 3.4.3 and appendix A, and each
 * instruction's page in volume 2 define them.
 *
 * Built on the host too, by selftests/unit/x86_alu_test.c, which checks
 * every op against the host CPU's own instructions.
 */
#ifndef AXVM_X86_ALU_H
#define AXVM_X86_ALU_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <stdbool.h>
typedef unsigned long long u64;
#endif

#define AXVM_X86_CF		0x001ULL
#define AXVM_X86_PF		0x004ULL
#define AXVM_X86_AF		0x010ULL
#define AXVM_X86_ZF		0x040ULL
#define AXVM_X86_SF		0x080ULL
#define AXVM_X86_OF		0x800ULL
#define AXVM_X86_DF		0x400ULL
#define AXVM_X86_STATUS_FLAGS	(AXVM_X86_CF | AXVM_X86_PF | AXVM_X86_AF | \
				 AXVM_X86_ZF | AXVM_X86_SF | AXVM_X86_OF)

/**
 * axvm_x86_alu() - one ALU, TEST, NOT, NEG, INC, DEC or BT* operation
 * @op: an &enum axvm_x86_op from AXVM_X86_OP_ADD to AXVM_X86_OP_DEC, or
 *	AXVM_X86_OP_BT to AXVM_X86_OP_BTC.
 * @dst: the first operand (the destination, or the bit string of BT*).
 * @src: the second operand (unused by NOT, NEG, INC, DEC), or the bit
 *	offset of BT*, taken modulo the operand's width.
 * @size: the operand size in bytes: 1, 2, 4 or 8.
 * @rflags: the guest's RFLAGS: CF is read by ADC and SBB; the status
 *	flags the op defines are updated; the others, and those the SDM
 *	leaves undefined (AF after AND, OR, XOR, TEST; all but CF after
 *	BT*), are left as they were.
 *
 * Return: the result, @size bytes wide (the bits above clear); for CMP,
 * TEST and BT the result is computed but not stored by the caller.
 */
u64 axvm_x86_alu(unsigned int op, u64 dst, u64 src, unsigned int size,
		 u64 *rflags);

#endif /* AXVM_X86_ALU_H */
