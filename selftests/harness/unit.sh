#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Host unit tests: build every selftests/unit/*_test.c with the host's gcc
# and run it. A test links the sources named on a " * Links:" line of its
# header comment, with their directories on the include path; the word
# "libfdt" there links the kernel tree's libfdt. Tests either print their
# own PASS/FAIL lines or use kselftest_harness.h, whose TAP results become
# PASS/FAIL/SKIP lines here. A test that does not build, exits with an
# error or prints no result is a FAIL line.
# Usage: unit.sh [name...]   (x86_decode for selftests/unit/x86_decode_test.c)

. "$(dirname "$0")/lib.sh"

out=$AXVM_OUT/unit
mkdir -p "$out"
cd "$AXVM_ROOT"

if [ $# = 0 ]; then
	shopt -s nullglob
	set -- selftests/unit/*_test.c
else
	set -- "${@/#/selftests/unit/}"
	set -- "${@/%/_test.c}"
fi

src=$(linux_src)
ksft=$src/tools/testing/selftests
fdtdir=$src/scripts/dtc/libfdt

# libfdt once, as the kernel tree has it, without this file's -Werror.
libfdt() {
	local s
	if [ ! -f "$out/libfdt.a" ]; then
		mkdir -p "$out/libfdt"
		for s in "$fdtdir"/fdt*.c; do
			gcc -O2 -I"$fdtdir" -c -o "$out/libfdt/$(basename "$s" .c).o" "$s" ||
				return 1
		done
		ar rcs "$out/libfdt.a" "$out"/libfdt/*.o
	fi
}

for t in "$@"; do
	[ -f "$t" ] || { echo "FAIL unit $t missing"; continue; }
	name=$(basename "$t" _test.c)
	srcs=()
	incs=("-I$ksft" -Iuapi)
	libs=()
	for s in $(sed -n 's/^ \* Links: //p' "$t"); do
		if [ "$s" = libfdt ]; then
			libfdt || { echo "FAIL unit $name libfdt build"; continue 2; }
			incs+=("-I$fdtdir")
			libs+=("$out/libfdt.a")
			continue
		fi
		srcs+=("$s")
		incs+=("-I$(dirname "$s")")
	done
	if ! gcc -O2 -Wall -Wextra -Wno-unused-parameter -Wno-sign-compare \
	     -Werror -pthread "${incs[@]}" \
	     -o "$out/$name" "$t" "${srcs[@]}" "${libs[@]}" \
	     >"$out/$name.build.log" 2>&1; then
		cat "$out/$name.build.log" >&2
		echo "FAIL unit $name build"
		continue
	fi
	status=0
	(cd "$out" && "./$name") >"$out/$name.out" 2>&1 || status=$?
	# kselftest TAP to result lines; own PASS/FAIL lines pass through.
	sed -n -e '/^PASS\|^FAIL/{p;d}' \
	       -e "s/^ok [0-9]* .*# SKIP \(.*\)/SKIP unit $name \1/p" \
	       -e "/# SKIP/!s/^ok [0-9]* \(.*\)/PASS unit $name \1/p" \
	       -e "s/^not ok [0-9]* \(.*\)/FAIL unit $name \1/p" \
	       "$out/$name.out"
	if [ $status != 0 ]; then
		grep '^#' "$out/$name.out" | tail -20 >&2 || true
		echo "FAIL unit $name exit status $status"
	elif ! grep -q '^PASS\|^FAIL\|^ok\|^not ok' "$out/$name.out"; then
		echo "FAIL unit $name printed no results"
	fi
done
