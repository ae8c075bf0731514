# SPDX-License-Identifier: GPL-2.0
# Shared settings for the axvm test harness; sourced, never run.

set -eu

AXVM_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
AXVM_CACHE=${AXVM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/axvm}
AXVM_OUT=${AXVM_OUT:-$AXVM_ROOT/out}
JOBS=${JOBS:-$(nproc)}

LINUX_TARBALL=/usr/src/linux-source-6.1.tar.xz

log() { printf '[axvm] %s\n' "$*" >&2; }
die() { printf '[axvm] error: %s\n' "$*" >&2; exit 1; }

# Kernel architecture names of the kernels and their toolchains.
kernel_arch() {
	case $1 in
	arm64|debian-arm64) echo arm64 ;;
	riscv64) echo riscv ;;
	x86_64|x86_64-debug|debian-amd64) echo x86_64 ;;
	*) die "unknown kernel: $1" ;;
	esac
}

cross_compile() {
	case $1 in
	arm64|debian-arm64) echo aarch64-linux-gnu- ;;
	riscv64) echo riscv64-linux-gnu- ;;
	x86_64|x86_64-debug|debian-amd64) echo "" ;;
	esac
}

kernel_image() {
	case $1 in
	arm64|riscv64) echo arch/$(kernel_arch "$1")/boot/Image ;;
	x86_64|x86_64-debug) echo arch/x86/boot/bzImage ;;
	esac
}

# The config fragments of a test kernel, merged in this order over
# allnoconfig. The debug kernels add debug.config: the arm64 lane kernel
# is one (its lanes are the arm64 debug lanes; arm64-debian runs the
# suite on a production kernel), and x86 has two, x86_64 for the Bochs
# lane and the Linux guests, x86_64-debug for the x86-svm lane.
kernel_configs() {
	local c=$AXVM_ROOT/selftests/configs
	case $1 in
	arm64) echo "$c/common.config $c/arm64.config $c/debug.config" ;;
	riscv64) echo "$c/common.config $c/riscv64.config" ;;
	x86_64) echo "$c/common.config $c/x86_64.config" ;;
	x86_64-debug) echo "$c/common.config $c/x86_64.config $c/debug.config" ;;
	*) die "unknown kernel: $1" ;;
	esac
}

# Kernels with debug.config: their lanes scan for leaks with kmemleak,
# run the fuzzers and the fault-injection tests, and give each test more
# time (KASAN and lockdep slow them down).
kernel_is_debug() {
	case $1 in
	arm64|x86_64-debug) return 0 ;;
	*) return 1 ;;
	esac
}

ALL_LANES="arm64 riscv64 x86-svm x86-vmx arm64-gicv2 arm64-el1 riscv64-noh x86-nosvm
	   x86-svm-debian arm64-debian arm64-debian-none arm64-debian-nvhe
	   arm64-debian-protected"

# The kernel a lane boots: a test kernel built here, or Debian's own
# (debian-amd64, debian-arm64: linux-image-<arch> of bookworm, with axvm
# built by DKMS against linux-headers-<arch>).
lane_kernel() {
	case $1 in
	arm64) echo arm64 ;;
	riscv64) echo riscv64 ;;
	x86-svm) echo x86_64-debug ;;
	x86-vmx) echo x86_64 ;;
	arm64-el1|arm64-gicv2) echo arm64 ;;
	riscv64-noh) echo riscv64 ;;
	x86-nosvm) echo x86_64 ;;
	x86-svm-debian) echo debian-amd64 ;;
	arm64-debian*) echo debian-arm64 ;;
	*) die "unknown lane: $1 (lanes:" $ALL_LANES")" ;;
	esac
}

# One "name=value" line of debian-kernel.sh's output ($2): the value.
debian_field() {
	sed -n "s/^$1=//p" <<<"$2"
}

# The test kernel whose userspace, test guests and Linux guest image a
# kernel's lanes use (Debian's kernels bring only themselves and axvm.ko).
base_kernel() {
	case $1 in
	debian-amd64|x86_64-debug) echo x86_64 ;;
	debian-arm64) echo arm64 ;;
	*) echo "$1" ;;
	esac
}

# Unpacked linux-source-6.1, shared by every kernel build, keyed by the
# Debian package version.
linux_src() {
	local ver dir
	ver=$(dpkg-query -W -f='${Version}' linux-source-6.1)
	dir=$AXVM_CACHE/src/$ver/linux-source-6.1
	if [ ! -f "$dir/.axvm-unpacked" ]; then
		log "unpacking linux-source-6.1 $ver"
		rm -rf "$AXVM_CACHE/src/$ver"
		mkdir -p "$AXVM_CACHE/src/$ver"
		tar -C "$AXVM_CACHE/src/$ver" -xf "$LINUX_TARBALL"
		touch "$dir/.axvm-unpacked"
	fi
	echo "$dir"
}

# Lanes whose machine has no usable virtualization: the load must fail
# with this errno and log line.
refusal_errno() {
	case $1 in
	arm64-el1|arm64-debian-nvhe|arm64-debian-protected) echo -95 ;;	# EOPNOTSUPP
	riscv64-noh|x86-nosvm) echo -19 ;;	# ENODEV
	esac
}

refusal_message() {
	case $1 in
	arm64-el1|arm64-debian-nvhe|arm64-debian-protected)
		echo "axvm: the kernel runs at EL1" ;;
	riscv64-noh) echo "axvm: the CPU has no H extension" ;;
	x86-nosvm) echo "axvm: the CPU has neither VMX nor SVM" ;;
	esac
}

# Cache directory of one kernel build: keyed by the source version, the
# config fragments and the script that builds it.
kernel_dir() {
	local k=$1 ver key
	ver=$(dpkg-query -W -f='${Version}' linux-source-6.1)
	# shellcheck disable=SC2046
	key=$(cat $(kernel_configs "$k") \
		  "$AXVM_ROOT/selftests/harness/kernel.sh" |
	      sha256sum | cut -c1-16)
	echo "$AXVM_CACHE/kernels/$k-$ver-$key"
}

# The test kernel's build directory, built first when it is not cached.
# One build per cache directory at a time: a second caller (a lint run
# next to a lane build, another clone) waits for the first instead of
# wiping its tree.
kernel_build() {
	local dir
	dir=$(kernel_dir "$1")
	mkdir -p "$(dirname "$dir")"
	flock "$dir.lock" "$AXVM_ROOT/selftests/harness/kernel.sh" "$1"
}
