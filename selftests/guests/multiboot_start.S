/* SPDX-License-Identifier: GPL-2.0 */
/*
 * multiboot.c's entry: the Multiboot header (0.6.96, 3.1: magic, flags,
 * checksum, 32-bit aligned in the first 8192 bytes), a stack, and
 * mb_main(EAX, EBX) as section 3.2 hands them over.
 */
#define MB_MAGIC	0x1badb002
#define MB_FLAGS	0x3		/* page-aligned modules, memory info */

	.text
	.balign	4
mb_header:
	.long	MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)

	.globl	_start
_start:
	mov	$stack_top, %esp
	push	%ebx
	push	%eax
	call	mb_main
1:	hlt
	jmp	1b

	.bss
	.balign	16
	.skip	4096
stack_top:
