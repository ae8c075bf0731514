#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The result parser against made-up console logs: a splat, a crash, a
# binary cut short, a timeout or a wrong refusal must each fail the lane.
# Prints PASS/FAIL lines like parse.awk.

. "$(dirname "$0")/lib.sh"

# MODE=reboot and DEBUG=1 in the environment as run-lane.sh passes them.
parse() {
	awk -v lane=t -v expect_errno="${2:-}" -v expect_msg="${3:-}" \
	    -v mode="${MODE:-suite}" -v debug="${DEBUG:-0}" \
	    -f "$AXVM_ROOT/selftests/harness/parse.awk" <<<"$1"
}

# case name, expected "COUNTS p f s", log text, [errno, message]
expect() {
	local got
	got=$(parse "$3" "${4:-}" "${5:-}" | tail -1)
	if [ "$got" = "$2" ]; then
		echo "PASS harness parse $1"
	else
		echo "FAIL harness parse $1 (want '$2', got '$got')"
	fi
}

good="AXVM-INSMOD 0 ok
AXVM-BEGIN a_test
TAP version 13
1..3
ok 1 f.one
ok 2 # SKIP needs a guest
not ok 3 f.three
AXVM-END a_test exit=1 0.1s
AXVM-RMMOD 0 ok
AXVM-SPIN running
AXVM-DONE
reboot: Power down"

expect healthy "COUNTS 3 1 1" "$good"
expect splat "COUNTS 2 2 1" "${good/AXVM-RMMOD/dmesg: WARNING: CPU: 0 PID: 1 at x.c:1
AXVM-RMMOD}"
expect lockdep "COUNTS 2 2 1" "${good/AXVM-RMMOD/dmesg: WARNING: possible circular locking dependency detected
AXVM-RMMOD}"
expect cpu-model-warning-no-splat "COUNTS 3 1 1" "${good/AXVM-RMMOD/dmesg: RETBleed: WARNING: Spectre v2 mitigation leaves CPU vulnerable to RETBleed attacks, data leaks possible!
AXVM-RMMOD}"
expect guest-console-splat "COUNTS 3 1 1" "${good/not ok 3/# guest| Kernel panic - not syncing: x
# guest| WARNING: CPU: 0 PID: 1 at x.c:1
not ok 3}"
expect crash-before-done "COUNTS 1 3 1" "${good%%AXVM-DONE*}"
expect binary-cut-short "COUNTS 3 1 1" "${good/not ok 3 f.three/}"
expect timeout "COUNTS 3 1 1" "${good/not ok 3 f.three
AXVM-END a_test exit=1/AXVM-END a_test timeout}"
expect crash-exit-status "COUNTS 4 1 1" "${good/not ok 3 f.three
AXVM-END a_test exit=1/ok 3 f.three
AXVM-END a_test signal=11}"
expect insmod-failed "COUNTS 0 1 0" "AXVM-INSMOD -19 No such device
AXVM-DONE"
# A failing test's result line says why: its assertion, not the next
# test's, and not a passing test's log line.
got=$(parse "${good/not ok 3/#  RUN           f.two ...
# selftests/a_test.c:9:two:Expected 1 (1) == x (2)
#  RUN           f.three ...
# selftests/a_test.c:12:three:3 steps
# selftests/a_test.c:14:three:Expected 0 (0) == errors (1)
# selftests/a_test.c:15:three:vCPU 0: exit mmio
# selftests/a_test.c:16:three:Expected 2 (2) == n (1)
# selftests/a_test.c:17:three:one line too many
not ok 3}" | grep '^FAIL t a_test')
if [ "$got" = "FAIL t a_test f.three (a_test.c:14:three:Expected 0 (0) == errors (1) | a_test.c:15:three:vCPU 0: exit mmio | a_test.c:16:three:Expected 2 (2) == n (1))" ]; then
	echo "PASS harness parse fail-reason"
else
	echo "FAIL harness parse fail-reason (got '$got')"
fi
expect rmmod-failed "COUNTS 1 2 1" "${good/AXVM-RMMOD 0 ok/AXVM-RMMOD -11 busy}"
expect power-off-splat "COUNTS 1 3 1" "${good/reboot: Power down/invalid opcode: 0000 [#1] PREEMPT SMP
Call Trace:
reboot: Power down}"
expect power-off-vcpus-not-started "COUNTS 2 2 1" "${good/AXVM-SPIN running/AXVM-SPIN failed}"
expect power-off-never "COUNTS 2 2 1" "${good%reboot: Power down}"
refusal="AXVM-REFUSE -19 No such device
dmesg: axvm: the CPU has no H extension
AXVM-DONE"
expect refusal "COUNTS 2 0 0" "$refusal" -19 "axvm: the CPU has no H extension"
expect refusal-wrong-errno "COUNTS 1 1 0" "$refusal" -95 "axvm: the CPU has no H extension"
expect refusal-no-message "COUNTS 1 1 0" "$refusal" -19 "axvm: something else"

# A reboot lane: the restart replaces the power-off, and what the next
# boot prints (Bochs boots again) is not read.
reboot="AXVM-INSMOD 0 ok
AXVM-RMMOD 0 ok
AXVM-SPIN running
AXVM-DONE
reboot: Restarting system"
MODE=reboot expect reboot "COUNTS 2 0 0" "$reboot"
MODE=reboot expect reboot-never "COUNTS 1 1 0" "${reboot%reboot: Restarting system}"
MODE=reboot expect reboot-splat "COUNTS 0 2 0" "${reboot/reboot: Restarting/BUG: unable to handle page fault
reboot: Restarting}"
MODE=reboot expect reboot-next-boot-ignored "COUNTS 2 0 0" "$reboot
AXVM-INIT start, 2 CPUs online
AXVM-INSMOD -16 busy"
MODE=reboot expect reboot-power-off-is-not-one "COUNTS 1 1 0" "${reboot/Restarting system/Power down}"

# Debug lanes: both kmemleak scans must have run and found nothing.
leakfree="${good/AXVM-RMMOD 0 ok/AXVM-KMEMLEAK suite 0
AXVM-RMMOD 0 ok
AXVM-KMEMLEAK rmmod 0}"
DEBUG=1 expect kmemleak-clean "COUNTS 5 1 1" "$leakfree"
DEBUG=1 expect kmemleak-leak "COUNTS 4 2 1" "${leakfree/rmmod 0/rmmod 2}"
DEBUG=1 expect kmemleak-no-scan "COUNTS 4 2 1" "${leakfree/AXVM-KMEMLEAK suite 0
/}"
DEBUG=1 expect kmemleak-unavailable "COUNTS 4 2 1" "${leakfree/suite 0/suite unavailable}"
