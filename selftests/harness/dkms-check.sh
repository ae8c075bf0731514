#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build axvm through DKMS against Debian's own linux-headers-amd64, in a
# private DKMS tree (nothing is installed into the system's).
# Prints PASS/FAIL lines like parse.awk.

. "$(dirname "$0")/lib.sh"

hdr=$(dpkg-query -W -f='${Depends}' linux-headers-amd64 |
      grep -o 'linux-headers-[^ ,]*-amd64' | head -1)
kver=${hdr#linux-headers-}
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$AXVM_ROOT/dkms.conf")
tmp=$AXVM_OUT/dkms
rm -rf "$tmp"
mkdir -p "$tmp/src/axvm-$ver" "$tmp/tree"
cp -r "$AXVM_ROOT/Kbuild" "$AXVM_ROOT/Makefile" "$AXVM_ROOT/dkms.conf" \
      "$AXVM_ROOT/kmod" "$AXVM_ROOT/uapi" "$tmp/src/axvm-$ver/"

d=(--sourcetree "$tmp/src" --dkmstree "$tmp/tree")
if [ -z "$kver" ] || [ ! -d "/lib/modules/$kver/build" ]; then
	echo "FAIL dkms build linux-headers-amd64 (headers for '$kver' not installed)"
elif dkms add -m axvm -v "$ver" "${d[@]}" >"$tmp/dkms.log" 2>&1 &&
     dkms build -m axvm -v "$ver" -k "$kver" "${d[@]}" >>"$tmp/dkms.log" 2>&1 &&
     ko=$(find "$tmp/tree" -name axvm.ko | head -1) && [ -n "$ko" ] &&
     modinfo -F vermagic "$ko" | grep -q "^$kver "; then
	echo "PASS dkms build linux-headers-$kver"
else
	tail -20 "$tmp/dkms.log" "$tmp/tree"/axvm/"$ver"/build/make.log 2>/dev/null >&2
	echo "FAIL dkms build linux-headers-$kver"
fi
