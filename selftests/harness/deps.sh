#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Install the Debian 12 packages the build, the demo and the tests need,
# when any is missing. Usage: deps.sh [all|demo]

. "$(dirname "$0")/lib.sh"

common="build-essential bc bison flex libssl-dev libelf-dev cpio kmod e2fsprogs
	xz-utils linux-source-6.1 perl"
arm64="qemu-system-arm gcc-aarch64-linux-gnu libc6-dev-arm64-cross"
riscv64="qemu-system-misc opensbi gcc-riscv64-linux-gnu
	 libc6-dev-riscv64-cross"
x86="qemu-system-x86 bochs bochsbios vgabios isolinux syslinux-common
     genisoimage"
checks="sparse dkms linux-headers-amd64 device-tree-compiler libfdt-dev
	dwarves"

case ${1:-all} in
demo) want="$common $arm64" ;;
*) want="$common $arm64 $riscv64 $x86 $checks" ;;
esac

missing=
for p in $want; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

log "installing Debian packages:$missing"
sudo=
[ "$(id -u)" = 0 ] || sudo=sudo
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q >/dev/null
# shellcheck disable=SC2086
$sudo apt-get install -y -q --no-install-recommends $missing >/dev/null ||
	die "apt-get install failed for:$missing"
