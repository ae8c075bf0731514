/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The sequence the arm64 guest-exit path runs against Spectre-v2 and
 * Spectre-BHB (spectre.c decides it per CPU, entry.S runs it). A word of
 * flags and a loop count, shared by C and the assembly.
 */
#ifndef AXVM_ARM64_SPECTRE_H
#define AXVM_ARM64_SPECTRE_H

/* SMCCC ARCH_WORKAROUND_1 at EL3 (Spectre-v2 only). */
#define AXVM_ARM64_SEQ_WA1_BIT		0
/* SMCCC ARCH_WORKAROUND_3 at EL3 (Spectre-BHB, and v2 with it). */
#define AXVM_ARM64_SEQ_WA3_BIT		1
/* CLRBHB (FEAT_CLRBHB, HINT #22), then ISB. */
#define AXVM_ARM64_SEQ_CLRBHB_BIT	2
/* The branchy loop, K taken branches. */
#define AXVM_ARM64_SEQ_LOOP_BIT		3
/* K: bits 39:16 (cores need at most 132; tests force far more). */
#define AXVM_ARM64_SEQ_K_SHIFT		16
#define AXVM_ARM64_SEQ_K_WIDTH		24
#define AXVM_ARM64_SEQ_K_MAX		((1 << AXVM_ARM64_SEQ_K_WIDTH) - 1)

#endif /* AXVM_ARM64_SPECTRE_H */
