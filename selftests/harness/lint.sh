#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Style gates: checkpatch --strict from the kernel tree over the C sources,
# and a W=1 + sparse (C=1) build of kmod/ for each of the three kernels.
# Any finding fails. Prints PASS/FAIL lines like parse.awk.

. "$(dirname "$0")/lib.sh"

src=$(linux_src)
cd "$AXVM_ROOT"
status=0

# The kernel's arm64 sysreg helpers (sys_reg_Op0, ...) are CamelCase.
kernel_files=$(git ls-files 'kmod/*.[ch]' 'uapi/*.h')
# Userspace code uses C99 types and plain attributes, as kselftests do.
user_files=$(git ls-files 'tools/vmctl/*.[ch]' 'selftests/*.[ch]' \
	     'selftests/init/*.c')
user_ignore=PREFER_KERNEL_TYPES,BIT_MACRO,PREFER_DEFINED_ATTRIBUTE_MACRO,VOLATILE
checkpatch() {
	"$src/scripts/checkpatch.pl" --strict --no-tree --quiet \
		--ignore "SPDX_LICENSE_TAG,CAMELCASE${1:+,$1}" -f $2 2>&1
}
# shellcheck disable=SC2086
if out=$(checkpatch "" "$kernel_files") &&
   out=$(checkpatch "$user_ignore" "$user_files"); then
	echo "PASS lint checkpatch --strict"
else
	echo "$out" | head -60 >&2
	echo "FAIL lint checkpatch --strict"
	status=1
fi

# The uAPI header alone, as C11 and C++, with every padding explicit.
uapi_ok=1
for lang in "c -std=c11" "c++ -std=c++11"; do
	# shellcheck disable=SC2086
	printf '#include <linux/axvm.h>\n' |
		gcc -x $lang -Wall -Wextra -Wpadded -pedantic -Werror \
		    -I"$AXVM_ROOT/uapi" -fsyntax-only - || uapi_ok=0
done
if [ $uapi_ok = 1 ]; then
	echo "PASS lint uapi header standalone C11/C++ no implicit padding"
else
	echo "FAIL lint uapi header standalone C11/C++ no implicit padding"
	status=1
fi

# Debian's sparse 0.6.4 cannot parse the riscv -march string of 6.1
# (multi-letter Z extensions): hand it the base ISA instead.
mkdir -p "$AXVM_OUT/lint"
sparse_riscv=$AXVM_OUT/lint/sparse-riscv
cat >"$sparse_riscv" <<'WRAP'
#!/bin/bash
args=()
for a in "$@"; do
	case $a in -march=rv64*) a=-march=rv64imafdc ;; esac
	args+=("$a")
done
exec sparse "${args[@]}"
WRAP
chmod +x "$sparse_riscv"

for k in ${LINT_KERNELS:-arm64 riscv64 x86_64}; do
	check=sparse
	[ "$k" = riscv64 ] && check=$sparse_riscv
	kdir=$(kernel_build "$k")
	d=$AXVM_OUT/lint/$k
	rm -rf "$d"
	mkdir -p "$d"
	cp -r Kbuild dkms.conf kmod uapi "$d/"
	if out=$(make -s -C "$kdir" M="$d" ARCH="$(kernel_arch "$k")" \
		 CROSS_COMPILE="$(cross_compile "$k")" W=1 C=1 \
		 CHECK="$check" modules 2>&1) &&
	   ! echo "$out" | grep -q "warning\|error"; then
		echo "PASS lint W=1+sparse $k"
	else
		echo "$out" | head -40 >&2
		echo "FAIL lint W=1+sparse $k"
		status=1
	fi
done
exit $status
