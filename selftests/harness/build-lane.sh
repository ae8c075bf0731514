#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build everything one kernel's lanes boot: the kernel (cached), axvm.ko
# against it, vmctl, the selftests and init, packed into an initramfs.
# For Debian's own kernels (debian-amd64, debian-arm64) the kernel is
# downloaded (debian-kernel.sh) and axvm.ko is built through DKMS against
# Debian's headers, as the README's install does; userspace and the
# Linux guest image are the test kernel's of the same architecture.
# Usage: build-lane.sh arm64|riscv64|x86_64|x86_64-debug|debian-amd64|debian-arm64
# Prints the output directory.

. "$(dirname "$0")/lib.sh"

H=$AXVM_ROOT/selftests/harness
k=$1
base=$(base_kernel "$k")
# The Linux guest image is always the base kernel's (x86_64-debug lanes
# boot guests without KASAN); axvm.ko builds against the lane's own.
kdir=$(kernel_build "$base")
case $k in
debian-*) mkdir= ;;
*) mkdir=$(kernel_build "$k") ;;
esac
src=$(linux_src)
arch=$(kernel_arch "$k")
cc=$(cross_compile "$k")
out=$AXVM_OUT/$k
mkdir -p "$out"

case $k in
debian-*)
	darch=${k#debian-}
	info=$("$H/debian-kernel.sh" "$darch" bookworm both) ||
		die "$k: cannot fetch Debian's kernel"
	droot=$(debian_field root "$info")
	kver=$(debian_field kver "$info")
	image=$(debian_field kernel "$info")
	headers=$(debian_field headers "$info")
	"$H/dkms-check.sh" "$kver" "$headers" "$darch" >"$out/dkms-results"
	if grep '^FAIL' "$out/dkms-results" >&2; then
		die "$k: axvm.ko does not build through DKMS against $kver"
	fi
	ko=$AXVM_OUT/dkms/$kver/axvm.ko
	kvm_mods=$droot/lib/modules/$kver/kernel
	# What the test kernels build in and the suite needs: the msr
	# driver, and the PSP driver kvm-amd links against.
	[ "$darch" = amd64 ] &&
		boot_mods="arch/x86/kernel/msr.ko drivers/crypto/ccp/ccp.ko"
	# Shared with the test kernel's lanes: make rebuilds what changed.
	user=$AXVM_OUT/$base/user
	;;
*)
	# The module builds in a copy of the sources: kbuild writes its
	# objects next to them, and each architecture needs its own.
	rm -rf "$out/mod"
	mkdir -p "$out/mod"
	cp -r "$AXVM_ROOT/Kbuild" "$AXVM_ROOT/dkms.conf" "$AXVM_ROOT/kmod" \
		"$AXVM_ROOT/uapi" "$out/mod/"
	make -s -C "$mkdir" M="$out/mod" ARCH="$arch" CROSS_COMPILE="$cc" \
		W=1 modules >"$out/module-build.log" 2>&1 ||
		{ cat "$out/module-build.log" >&2; die "$k: axvm.ko does not build"; }
	if grep -q "warning:" "$out/module-build.log"; then
		cat "$out/module-build.log" >&2
		die "$k: axvm.ko builds with warnings"
	fi
	ko=$out/mod/kmod/axvm.ko
	image=$mkdir/$(kernel_image "$k")
	kvm_mods=$mkdir
	user=$out/user
	rm -rf "$user"
	;;
esac

make -s -C "$AXVM_ROOT" OUT="$user" ARCH="$arch" CROSS_COMPILE="$cc" \
	LINUX_SRC="$src" vmctl selftests guests init linux-guest \
	debian-guest >&2 ||
	die "$k: userspace does not build"

gen=$AXVM_CACHE/bin/gen_init_cpio
if [ ! -x "$gen" ]; then
	mkdir -p "$AXVM_CACHE/bin"
	gcc -O2 -o "$gen" "$src/usr/gen_init_cpio.c"
fi

# The Linux guest that linux_boot_test and the demo boot under vmctl:
# this same kernel with a gzip'd initramfs holding only its /init.
{
	echo "dir /dev 0755 0 0"
	echo "nod /dev/console 0600 0 0 c 5 1"
	echo "dir /proc 0755 0 0"
	echo "dir /sys 0755 0 0"
	echo "file /init $user/linux_guest/init 0755 0 0"
} >"$out/linux-guest.list"
"$gen" "$out/linux-guest.list" >"$out/linux-guest.cpio"
gzip -9 -n -f "$out/linux-guest.cpio"

# The transitive closure in Debian's modules.dep ($1) of the modules
# named in $2 (no .ko), dependencies first: a path per line. Built-in
# ones are not in it and need no loading.
module_closure() {
	awk -v roots="$2" '
	function name(p) {
		sub(/.*\//, "", p)
		sub(/\.ko(\.(xz|gz|zst))?$/, "", p)
		gsub(/-/, "_", p)
		return p
	}
	function visit(m,	n, i, d) {
		if (m in done)
			return
		done[m] = 1
		n = split(deps[m], d, " ")
		for (i = 1; i <= n; i++)
			visit(name(d[i]))
		print path[m]
	}
	{
		sub(/:$/, "", $1)
		m = name($1)
		path[m] = $1
		$1 = ""
		deps[m] = $0
	}
	END {
		n = split(roots, r, " ")
		for (i = 1; i <= n; i++) {
			if (!(r[i] in path)) {
				print "no module " r[i] >"/dev/stderr"
				exit 1
			}
			visit(r[i])
		}
	}' "$1"
}

# The Debian guest of linux_boot_test: Debian's own kernel, an initramfs
# with its virtio transports, virtio-blk and ext4 (crc32c_generic: ext4
# asks the crypto API for crc32c at mount, and nothing can modprobe it)
# and the stage-1 /init, and an ext4 disk with the stage-2 /sbin/init
# and a seed made here. Without the download the lane still builds, and
# the test fails for want of /debian.
debian_guest() {
	local darch info root kver kimg dir=$out/debian-guest stage m
	local roots="virtio_mmio virtio_pci virtio_blk ext4 crc32c_generic"

	rm -rf "$dir"
	case $base in
	arm64) darch=arm64 ;;
	x86_64) darch=amd64 ;;
	*) return 0 ;;
	esac
	if ! info=$("$H/debian-kernel.sh" "$darch" bookworm image); then
		log "warning: no Debian $darch kernel: the lane has no /debian guest"
		return 0
	fi
	root=$(debian_field root "$info")
	kver=$(debian_field kver "$info")
	kimg=$(debian_field image "$info")
	[ -n "$kimg" ] || kimg=$(debian_field kernel "$info")
	mkdir -p "$dir/modules" "$dir/disk/sbin" "$dir/disk/dev" \
		 "$dir/disk/proc" "$dir/disk/sys"
	module_closure "$root/lib/modules/$kver/modules.dep" "$roots" \
		>"$dir/modules.paths" || die "$k: Debian $kver lacks a guest module"
	: >"$dir/modules/order"
	while read -r m; do
		case $m in
		*.xz) xz -dc "$root/lib/modules/$kver/$m" ;;
		*.gz) gzip -dc "$root/lib/modules/$kver/$m" ;;
		*.zst) zstd -dcq "$root/lib/modules/$kver/$m" ;;
		*) cat "$root/lib/modules/$kver/$m" ;;
		esac >"$dir/modules/$(basename "${m%.ko*}").ko"
		echo "$(basename "${m%.ko*}").ko" >>"$dir/modules/order"
	done <"$dir/modules.paths"
	stage=$user/linux_guest/debian_init
	{
		echo "dir /dev 0755 0 0"
		echo "nod /dev/console 0600 0 0 c 5 1"
		echo "dir /proc 0755 0 0"
		echo "dir /sys 0755 0 0"
		echo "dir /newroot 0755 0 0"
		echo "file /init $stage 0755 0 0"
		echo "dir /modules 0755 0 0"
		for m in $(cat "$dir/modules/order") order; do
			echo "file /modules/$m $dir/modules/$m 0644 0 0"
		done
	} >"$dir/initramfs.list"
	"$gen" "$dir/initramfs.list" | gzip -9 -n >"$dir/initramfs.cpio.gz"
	cp "$stage" "$dir/disk/sbin/init"
	od -An -tx4 -N4 /dev/urandom | tr -d ' ' >"$dir/seed"
	cp "$dir/seed" "$dir/disk/seed"
	PATH=$PATH:/usr/sbin:/sbin mkfs.ext4 -q -F -E root_owner=0:0 \
		-d "$dir/disk" "$dir/root.img" 16M >&2 ||
		die "$k: mkfs.ext4 of the Debian guest's disk failed"
	echo "$kver" >"$dir/kver"
	case $darch in
	arm64) ln -sf "$kimg" "$dir/Image" ;;
	amd64) ln -sf "$kimg" "$dir/vmlinuz" ;;
	esac
}
debian_guest

{
	echo "dir /dev 0755 0 0"
	echo "nod /dev/console 0600 0 0 c 5 1"
	echo "dir /proc 0755 0 0"
	echo "dir /sys 0755 0 0"
	echo "dir /selftests 0755 0 0"
	echo "file /init $user/init 0755 0 0"
	echo "file /vmctl $user/vmctl 0755 0 0"
	echo "file /reboot_spin $user/reboot_spin 0755 0 0"
	echo "file /axvm.ko $ko 0644 0 0"
	if [ -n "${boot_mods:-}" ]; then
		echo "dir /modules 0755 0 0"
		: >"$out/modules.order"
		for m in $boot_mods; do
			echo "file /modules/$(basename "$m") $kvm_mods/$m 0644 0 0"
			basename "$m" >>"$out/modules.order"
		done
		echo "file /modules/order $out/modules.order 0644 0 0"
	fi
	# x86 tests load the kernel's own KVM modules to check coexistence.
	if [ "$arch" = x86_64 ]; then
		echo "dir /kvm 0755 0 0"
		for m in virt/lib/irqbypass.ko arch/x86/kvm/kvm.ko \
			 arch/x86/kvm/kvm-amd.ko arch/x86/kvm/kvm-intel.ko; do
			echo "file /kvm/$(basename "$m") $kvm_mods/$m 0644 0 0"
		done
	fi
	for t in "$user"/selftests/*; do
		echo "file /selftests/$(basename "$t") $t 0755 0 0"
	done
	echo "dir /guests 0755 0 0"
	for g in "$user"/guests/*.bin "$user"/guests/*.elf; do
		echo "file /guests/$(basename "$g") $g 0644 0 0"
	done
	echo "dir /linux 0755 0 0"
	echo "file /linux/$(basename "$(kernel_image "$base")") $kdir/$(kernel_image "$base") 0644 0 0"
	echo "file /linux/initramfs.cpio.gz $out/linux-guest.cpio.gz 0644 0 0"
	if [ -f "$out/debian-guest/kver" ]; then
		echo "dir /debian 0755 0 0"
		for f in Image vmlinuz initramfs.cpio.gz root.img kver seed; do
			[ ! -e "$out/debian-guest/$f" ] ||
				echo "file /debian/$f $out/debian-guest/$f 0644 0 0"
		done
	fi
	echo "dir /bench 0755 0 0"
	for t in "$user"/bench/*; do
		echo "file /bench/$(basename "$t") $t 0755 0 0"
	done
	# Extra files a caller wants in the guest (the demo's script).
	for f in ${AXVM_INITRD_EXTRA:-}; do
		echo "file /$(basename "$f") $f 0755 0 0"
	done
} >"$out/initramfs.list"
"$gen" "$out/initramfs.list" >"$out/initramfs.cpio"
cp "$image" "$out/kernel"
echo "$out"
