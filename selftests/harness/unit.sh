#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Host unit tests: build every selftests/unit/*_test.c with the host's gcc
# and run it. A test links the module sources named on a " * Links:" line
# of its header comment, with their directories on the include path, and
# prints its own PASS/FAIL lines; a test that does not build, exits with
# an error or prints no result is a FAIL line here.
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

for t in "$@"; do
	[ -f "$t" ] || { echo "FAIL unit $t missing"; continue; }
	name=$(basename "$t" _test.c)
	srcs=()
	incs=()
	for s in $(sed -n 's/^ \* Links: //p' "$t"); do
		srcs+=("$s")
		incs+=("-I$(dirname "$s")")
	done
	if ! gcc -O2 -Wall -Wextra -Werror "${incs[@]}" -o "$out/$name" \
	     "$t" "${srcs[@]}" >"$out/$name.build.log" 2>&1; then
		cat "$out/$name.build.log" >&2
		echo "FAIL unit $name build"
		continue
	fi
	status=0
	"$out/$name" >"$out/$name.out" || status=$?
	cat "$out/$name.out"
	if [ $status != 0 ]; then
		echo "FAIL unit $name exit status $status"
	elif ! grep -q '^PASS\|^FAIL' "$out/$name.out"; then
		echo "FAIL unit $name printed no results"
	fi
done
