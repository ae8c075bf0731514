#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build axvm through DKMS as the README's install does (make dkms-source,
# dkms add, dkms build) against Debian's own linux-headers-amd64, in a
# private DKMS tree (nothing is installed into the system's), and check
# what the built module tells depmod and modprobe.
# Usage: dkms-check.sh [kver headers-dir [amd64|arm64]]
#	(default: the system's linux-headers-amd64); arm64 cross-builds.
# Prints PASS/FAIL lines like parse.awk; the module is left in
# $AXVM_OUT/dkms/<kver>/axvm.ko.

. "$(dirname "$0")/lib.sh"

darch=${3:-amd64}
if [ $# -ge 2 ]; then
	kver=$1
	kdir=$2
else
	hdr=$(dpkg-query -W -f='${Depends}' linux-headers-amd64 |
	      grep -o 'linux-headers-[^ ,]*-amd64' | head -1)
	kver=${hdr#linux-headers-}
	kdir=/lib/modules/$kver/build
fi
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$AXVM_ROOT/dkms.conf")
tmp=$AXVM_OUT/dkms/$kver
rm -rf "$tmp"
mkdir -p "$tmp/src" "$tmp/tree" "$tmp/root/lib/modules/$kver"

make -s -C "$AXVM_ROOT" dkms-source DKMS_SRC="$tmp/src" >/dev/null

# What the package holds: sources only, never a clone's build/ or out/
# (checked once, with the default headers).
extra=$(cd "$tmp/src/axvm-$ver" &&
	find . -type f ! -name '*.[chS]' ! -name '*.inc' ! -name Kbuild \
	     ! -name dkms.conf)
if [ -n "$extra" ]; then
	echo "dkms source has: $extra" >&2
	echo "FAIL dkms source holds only the module's sources"
elif [ $# -lt 2 ]; then
	echo "PASS dkms source holds only the module's sources"
fi

# DKMS runs the kernel's make, which takes ARCH and CROSS_COMPILE from the
# environment, as on a user's arm64 machine it would need neither.
dkms_arch=()
if [ "$darch" = arm64 ]; then
	export ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-
	dkms_arch=(-a aarch64)
fi

# The README's "make" with a headers package and Debian's libfdt-dev, no
# kernel source tree: vmctl builds, the selftests are skipped with a note.
if [ "$darch" != amd64 ]; then
	:	# vmctl's cross build needs a kernel tree's libfdt, not this
elif out=$(make -s -C "$AXVM_ROOT" KDIR="$kdir" OUT="$tmp/user" vmctl \
	 no-selftests 2>&1) && [ -x "$tmp/user/vmctl" ] &&
   echo "$out" | grep -q "selftests not built"; then
	echo "PASS headers-only build vmctl $kver"
else
	echo "$out" >&2
	echo "FAIL headers-only build vmctl $kver"
fi

d=(--sourcetree "$tmp/src" --dkmstree "$tmp/tree" --kernelsourcedir "$kdir")
ko=
if [ ! -d "$kdir" ]; then
	echo "FAIL dkms build $kver (no headers at '$kdir')"
elif dkms add -m axvm -v "$ver" "${d[@]}" >"$tmp/dkms.log" 2>&1 &&
     dkms build -m axvm -v "$ver" -k "$kver" "${dkms_arch[@]}" "${d[@]}" \
	>>"$tmp/dkms.log" 2>&1 &&
     ko=$(find "$tmp/tree" -name axvm.ko | head -1) && [ -n "$ko" ] &&
     modinfo -F vermagic "$ko" | grep -q "^$kver " &&
     mlog=$(find "$tmp/tree" -name make.log | head -1) && [ -n "$mlog" ] &&
     ! grep -q "warning:" "$mlog"; then
	echo "PASS dkms build $kver"
else
	find "$tmp" -name dkms.log -o -name make.log |
		xargs tail -20 >&2 2>/dev/null || true
	echo "FAIL dkms build $kver"
	ko=
fi
[ -n "$ko" ] || exit 0
cp "$ko" "$tmp/axvm.ko"

# MODULE_VERSION is dkms.conf's, so "dkms status" and modinfo agree.
if [ "$(modinfo -F version "$ko")" = "$ver" ]; then
	echo "PASS dkms module version $ver $kver"
else
	echo "FAIL dkms module version $ver $kver (modinfo: $(modinfo -F version "$ko"))"
fi

# depmod puts /dev/axvm in modules.devname (kmod static-nodes makes the
# node at boot) and maps the node's char-major alias to axvm, so that its
# first open loads the module.
m=$tmp/root/lib/modules/$kver
mkdir -p "$m/updates/dkms"
cp "$ko" "$m/updates/dkms/"
if depmod -b "$tmp/root" "$kver" 2>"$tmp/depmod.log" &&
   grep -q '^axvm axvm c10:246$' "$m/modules.devname" &&
   modprobe -d "$tmp/root" -S "$kver" --show-depends char-major-10-246 |
	grep -q '/axvm\.ko'; then
	echo "PASS dkms devname alias $kver"
else
	cat "$tmp/depmod.log" "$m/modules.devname" >&2 2>/dev/null || true
	echo "FAIL dkms devname alias $kver"
fi
