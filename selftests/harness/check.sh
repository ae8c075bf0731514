#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The whole test suite: style gates, a DKMS build against Debian's
# headers, host unit tests, and the kselftest suite on every lane. The
# last line is "N passed, N failed" (", N skipped" when any).
# Usage: check.sh [lane...]   (lanes: arm64 riscv64 x86-svm x86-vmx,
# arm64-el1 riscv64-noh x86-nosvm where the load must be refused, and
# Debian's own kernels: x86-svm-debian, arm64-debian and its
# kvm-arm.mode lanes -none, -nvhe, -protected (the last two refused);
# naming lanes runs only those, without the style and DKMS checks)

. "$(dirname "$0")/lib.sh"

H=$AXVM_ROOT/selftests/harness
start=$(date +%s)
lanes=${*:-$ALL_LANES}
full=0
[ $# = 0 ] && full=1
results=$AXVM_OUT/check-results
mkdir -p "$AXVM_OUT"
: >"$results"

# Even a failed set-up ends with the summary line.
"$H/deps.sh" all || echo "FAIL setup Debian packages" >>"$results"

# The lanes Bochs runs (x86-vmx) take one host thread for about as long
# as all the others together (2124 s of a CI run): from as soon as their
# kernel is built they run beside the checks and the QEMU lanes, which
# keep the other CPU. Their output and results join at the end. The
# debug lanes come last: their fuzzers keep two CPUs busy (arm64's took
# 1569 s beside Bochs, 711 s alone), the other lanes about one.
fg=
bg=
heavy=
for lane in $lanes; do
	if [ "$lane" = x86-vmx ]; then
		bg="$bg $lane"
	elif kernel_is_debug "$(lane_kernel "$lane")" &&
	     [ -z "$(refusal_errno "$lane")" ]; then
		heavy="$heavy $lane"
	else
		fg="$fg $lane"
	fi
done
fg="$fg$heavy"
bg_pid=
trap '[ -n "$bg_pid" ] && kill -- -"$bg_pid" 2>/dev/null; true' EXIT
if [ -n "$bg" ]; then
	k=$(lane_kernel x86-vmx)
	if "$H/build-lane.sh" "$k" >/dev/null; then
		export AXVM_BUILT=$k
		: >"$results.bg"
		log "lanes$bg run beside the others; their output comes last"
		# Its own process group, which the trap stops on an early exit.
		setsid "$H/lanes.sh" "$results.bg" $bg >"$AXVM_OUT/lanes-bg.out" 2>&1 &
		bg_pid=$!
	else
		for lane in $bg; do
			echo "FAIL $lane build (kernel, module or userspace)" >>"$results"
		done
	fi
fi

if [ $full = 1 ]; then
	log "harness self-test"
	"$H/parse-test.sh" >>"$results" || true
	log "style gates"
	"$H/lint.sh" >>"$results" || true
	log "DKMS build against linux-headers-amd64"
	"$H/dkms-check.sh" >>"$results" || true
	# Debian 13's kernel (6.12), as bookworm-backports builds it.
	for a in amd64 arm64; do
		log "DKMS build against Debian's 6.12 linux-headers-$a"
		if info=$("$H/debian-kernel.sh" "$a" bookworm-backports headers); then
			"$H/dkms-check.sh" "$(debian_field kver "$info")" \
				"$(debian_field headers "$info")" "$a" \
				>>"$results" || true
		else
			echo "FAIL dkms fetch Debian 6.12 headers $a" >>"$results"
		fi
	done
	log "host unit tests"
	"$H/unit.sh" >>"$results" || true
fi

[ -n "$fg" ] && { "$H/lanes.sh" "$results" $fg || true; }
if [ -n "$bg_pid" ]; then
	wait "$bg_pid" || true
	bg_pid=
	cat "$AXVM_OUT/lanes-bg.out" >&2
	cat "$results.bg" >>"$results"
fi

pass=$(grep -c '^PASS' "$results" || true)
fail=$(grep -c '^FAIL' "$results" || true)
skip=$(grep -c '^SKIP' "$results" || true)
echo
grep '^FAIL\|^SKIP' "$results" || true
for lane in $(for l in $lanes; do echo "$l $l-reboot"; done); do
	f=$AXVM_OUT/results/$lane
	[ -f "$f" ] || continue
	read -r _ p fl s < <(tail -1 "$f")
	echo "lane $lane: $p passed, $fl failed, $s skipped, $(cat "$f.secs")s"
done
for lane in $lanes; do
	f=$AXVM_OUT/logs/$lane.log
	[ -f "$f" ] &&
		grep -a '^bench: \|^# linux_boot: arch=\|^# debian_guest: arch=' "$f" |
		sed "s/^/$lane /" || true
done
echo "total time $(( $(date +%s) - start ))s; logs in $AXVM_OUT/logs"
line="$pass passed, $fail failed"
[ "$skip" -gt 0 ] && line="$line, $skip skipped"
echo "$line"
[ "$fail" = 0 ]
