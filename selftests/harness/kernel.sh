#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build (or reuse from the cache) the minimal test kernel for one arch.
# Usage: kernel.sh arm64|riscv64|x86_64|x86_64-debug ; prints the build directory.

. "$(dirname "$0")/lib.sh"

k=$1
out=$(kernel_dir "$k")
if [ -f "$out/.axvm-built" ]; then
	echo "$out"
	exit 0
fi

src=$(linux_src)
arch=$(kernel_arch "$k")
cc=$(cross_compile "$k")
log "building the $k test kernel in $out (takes several minutes)"
rm -rf "$out"
mkdir -p "$out"
kmake() { make -s -C "$src" O="$out" ARCH="$arch" CROSS_COMPILE="$cc" "$@"; }
kmake allnoconfig >/dev/null
"$src/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" \
	$(kernel_configs "$k") >"$out/merge.log"
kmake olddefconfig >/dev/null

# Every option the fragments ask for must survive olddefconfig.
missing=0
while read -r line; do
	case $line in
	CONFIG_*=*)
		if ! grep -qx "$line" "$out/.config"; then
			log "$k: fragment option not in final config: $line"
			missing=1
		fi ;;
	"# CONFIG_"*" is not set")
		opt=${line#\# }; opt=${opt%% *}
		if grep -q "^$opt=" "$out/.config"; then
			log "$k: fragment disables $opt but it is set"
			missing=1
		fi ;;
	esac
done < <(cat $(kernel_configs "$k"))
[ $missing = 0 ] || die "$k: config fragment does not apply"

kmake -j"$JOBS" "$(basename "$(kernel_image "$k")")" modules >"$out/build.log" 2>&1 ||
	{ tail -30 "$out/build.log" >&2; die "$k: kernel build failed"; }
touch "$out/.axvm-built"
echo "$out"
