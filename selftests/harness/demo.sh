#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The main job: boot the arm64 emulated machine (QEMU virt, VHE), load
# axvm.ko there and boot that machine's own kernel as a two-vCPU Linux
# guest with vmctl, showing the guest's console. AXVM-DEMO-OK when the
# guest's /init printed its result line and powered off.

. "$(dirname "$0")/lib.sh"

H=$AXVM_ROOT/selftests/harness
"$H/deps.sh" demo
out=$("$H/build-lane.sh" arm64)

# The demo boots the same initramfs with init told to run only vmctl.
timeout --kill-after=10 300 qemu-system-aarch64 \
	-M virt,virtualization=on,gic-version=3 -cpu max -smp 2 -m 1G \
	-display none -serial stdio -monitor none -no-reboot \
	-kernel "$out/kernel" -initrd "$out/initramfs.cpio" \
	-append "console=ttyAMA0 loglevel=3 panic=-1 axvm.demo=1" </dev/null |
	tee "$AXVM_OUT/demo.log" | grep -v '^dmesg: '
grep -q '^AXVM-DEMO-OK' "$AXVM_OUT/demo.log"
