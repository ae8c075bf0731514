#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build and run lanes one after the other: each lane's kernel, module
# and userspace once (build-lane.sh), its suite boot, and for lanes that
# load axvm a second boot that reboots under vCPUs. Result lines go to
# RESULTS; kernels named in AXVM_BUILT count as built already.
# Usage: lanes.sh RESULTS lane...

. "$(dirname "$0")/lib.sh"

H=$AXVM_ROOT/selftests/harness
results=$1
shift
built=" ${AXVM_BUILT:-} "

# One boot of a lane; a boot that left no results is a failure too.
run() {
	local name=${*: -1}
	[ $# = 2 ] && name=$2-reboot
	rm -f "$AXVM_OUT/results/$name"
	"$H/run-lane.sh" "$@" || true
	if [ -f "$AXVM_OUT/results/$name" ]; then
		grep -v '^COUNTS' "$AXVM_OUT/results/$name" >>"$results" || true
	else
		echo "FAIL $name lane (run-lane.sh left no results)" >>"$results"
	fi
}

for lane in "$@"; do
	k=$(lane_kernel "$lane")
	case $built in
	*" $k "*) ;;
	*)
		if ! "$H/build-lane.sh" "$k" >/dev/null; then
			echo "FAIL $lane build (kernel, module or userspace)" >>"$results"
			continue
		fi
		# Debian's kernels: the DKMS install's own checks count too.
		[ -f "$AXVM_OUT/$k/dkms-results" ] &&
			cat "$AXVM_OUT/$k/dkms-results" >>"$results"
		built="$built$k " ;;
	esac
	log "lane $lane"
	run "$lane"
	if [ -z "$(refusal_errno "$lane")" ]; then
		log "lane $lane-reboot"
		run --reboot "$lane"
	fi
done
