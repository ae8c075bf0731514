# SPDX-License-Identifier: GPL-2.0
# Turn one lane's console log into results. Prints one line per test:
#   PASS|FAIL|SKIP <lane> <binary> <test> [reason]
# and a last line: COUNTS <passed> <failed> <skipped>.
# A lane is healthy when the module loaded and unloaded, every binary
# finished, init reached AXVM-DONE and no kernel splat was printed; that
# is one more test, "<lane> lane-health".

function result(kind, bin, name, why) {
	printf "%s %s %s %s%s\n", kind, lane, bin, name, why == "" ? "" : " (" why ")"
	if (kind == "PASS") pass++
	else if (kind == "FAIL") fail++
	else skip++
}

function problem(why) {
	problems = problems (problems == "" ? "" : "; ") why
}

BEGIN { pass = fail = skip = 0; bin = ""; done = 0; insmod = rmmod = "" }

{ sub(/\r$/, "") }

# A reboot lane (mode=reboot) ends at the restart: Bochs boots again.
restarted { next }

# Kernel splats, wherever they show (console or the dmesg dump), but
# not in a guest's console that a test prints as "# guest| " lines: the
# test judges those itself (linux_boot_test). "WARNING:" only where a
# WARN() or lockdep report starts its line, not in a message about the
# CPU model ("RETBleed: WARNING: ...").
!/^# guest\| / && (/^(dmesg: )?WARNING:/ || /(BUG:|Oops|invalid opcode:|Kernel panic|Unable to handle kernel|general protection fault|kernel BUG at|possible circular locking|inconsistent lock state|possible recursive locking|UBSAN:|KASAN:|INFO: task .* blocked|soft lockup|hard LOCKUP|Call trace:|Call Trace:)/) {
	if (!splat)
		problem("kernel splat: " $0)
	splat = 1
	if (spin != "" && !spin_splat)
		spin_splat = $0
}

# The power-off under running vCPUs that ends every lane (init's
# spin_vcpus_for_power_off()): vCPUs started, the kernel powered off.
/^AXVM-SPIN / { spin = $2 }
mode != "reboot" && spin == "running" && /reboot: Power down/ { powered = 1 }
mode == "reboot" && spin == "running" && /reboot: Restarting system/ { powered = 1 }
mode == "reboot" && /reboot: Restarting system/ { restarted = 1 }

# Debug lanes: kmemleak's scans after the suite and after rmmod.
/^AXVM-KMEMLEAK / { leaks[$2] = $3 }

# Refusal lanes: the load must fail with the expected errno and line.
/^AXVM-REFUSE / { refused = $2 }
expect_msg != "" && index($0, expect_msg) { refuse_msg = 1 }

/^AXVM-INSMOD / { insmod = $2; if ($2 != 0) problem("insmod failed: " $0) }
/^AXVM-RMMOD / { rmmod = $2; if ($2 != 0) problem("rmmod failed: " $0) }
/^AXVM-DONE/ { done = 1 }

/^AXVM-BEGIN / { bin = $2; plan = -1; seen = 0; bfail = 0; next }

bin != "" && /^1\.\.[0-9]+/ { plan = substr($1, 4) + 0; next }

# What a failing test said: its first assertion or timeout line and the
# two lines it printed next (the TH_LOG that says what the guest did, or
# a second assertion), so that a summary (a CI log) tells why without
# the console. Log lines before the first assertion are a passing
# stretch's, and left out.
bin != "" && /^#  RUN / { said = ""; nsaid = 0; next }
bin != "" && nsaid < 3 && /^# / && \
    (/(:[0-9]+:.*(Expected|Which is)|Test terminated|timeout)/ || \
     (nsaid && /\.c:[0-9]+:/)) {
	line = substr($0, 3)
	sub(/^[^ ]*selftests\//, "", line)
	said = said (nsaid ? " | " : "") substr(line, 1, 200)
	nsaid++
}

bin != "" && /^ok [0-9]+ # SKIP/ {
	why = $0; sub(/^ok [0-9]+ # SKIP ?/, "", why)
	result("SKIP", bin, "test" $2, why); seen++; next
}
bin != "" && /^ok [0-9]+ / { result("PASS", bin, $3); seen++; next }
bin != "" && /^not ok [0-9]+ / {
	result("FAIL", bin, $4, said); said = ""; nsaid = 0; seen++; bfail++; next
}

/^AXVM-END / {
	status = $3
	if (plan < 0 || seen < plan) {
		missing = plan < 0 ? 1 : plan - seen
		result("FAIL", $2, "incomplete", missing " test(s) without a result, " status)
	} else if (status != "exit=0" && bfail == 0) {
		result("FAIL", $2, "exit-status", status)
	}
	bin = ""
	next
}

END {
	if (expect_errno != "") {
		if (refused == expect_errno && refuse_msg)
			result("PASS", "module", "refused-load")
		else
			result("FAIL", "module", "refused-load",
			       "want errno " expect_errno " and \"" expect_msg \
			       "\", got " (refused == "" ? "no result" : refused) \
			       (refuse_msg ? "" : " without the log line"))
		insmod = "refuse lane"
	}
	if (bin != "")
		problem("binary " bin " never finished")
	if (insmod == "")
		problem("init never loaded the module (no AXVM-INSMOD line)")
	if (!done)
		problem("the guest did not reach AXVM-DONE (crash, hang or timeout)")
	end = mode == "reboot" ? "reboot" : "power-off"
	if (expect_errno == "" && rmmod == "0") {
		if (spin == "running" && powered && !spin_splat)
			result("PASS", "lane", end "-under-vcpus")
		else
			result("FAIL", "lane", end "-under-vcpus",
			       spin != "running" ? "vCPUs not started: AXVM-SPIN " spin : \
			       spin_splat != "" ? "splat: " spin_splat : \
			       mode == "reboot" ? "no \"reboot: Restarting system\" after it" : \
			       "no \"reboot: Power down\" after it")
	}
	if (debug == 1) {
		n = split("suite rmmod", phases, " ")
		for (i = 1; i <= n; i++) {
			p = phases[i]
			if (leaks[p] == "0")
				result("PASS", "lane", "kmemleak-" p)
			else
				result("FAIL", "lane", "kmemleak-" p,
				       leaks[p] == "" ? "no scan" : \
				       leaks[p] == "unavailable" ? "no kmemleak in the kernel" : \
				       leaks[p] " unreferenced objects")
		}
	}
	if (problems == "")
		result("PASS", "lane", "lane-health")
	else
		result("FAIL", "lane", "lane-health", problems)
	printf "COUNTS %d %d %d\n", pass, fail, skip
}
