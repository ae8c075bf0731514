/* SPDX-License-Identifier: GPL-2.0 */
/* What vblk.c needs from its architecture's glue (vblk_<arch>.S). */
#ifndef VBLK_H
#define VBLK_H

#if defined(__aarch64__)
#define VBLK_VIRTIO_BASE	0x0a000000UL
#elif defined(__riscv)
#define VBLK_VIRTIO_BASE	0x10001000UL
#else
#define VBLK_VIRTIO_BASE	0xd0000000UL
#endif

void vblk_putc(char c);
__attribute__((noreturn)) void vblk_poweroff(void);
void vblk_main(const void *dtb);

#endif /* VBLK_H */
