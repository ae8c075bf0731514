# SPDX-License-Identifier: GPL-2.0
#
# make                 axvm.ko against KDIR, vmctl and the selftests
# make demo            boot the arm64 emulated machine and a Linux guest in it
# make check           the whole test suite on every lane (LANES=... for some)
# make lint            checkpatch --strict, W=1 and sparse over kmod/
#
# Cross builds: make ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- KDIR=...

KDIR ?= /lib/modules/$(shell uname -r)/build
ARCH ?= $(shell uname -m | sed -e 's/aarch64/arm64/' -e 's/riscv64/riscv/')
CROSS_COMPILE ?=
# Userspace outputs, one directory per architecture.
OUT ?= $(CURDIR)/build/$(ARCH)
# kselftest_harness.h comes from a kernel source tree.
LINUX_SRC ?= $(firstword $(wildcard $(KDIR)/source) $(KDIR))
KSFT_DIR ?= $(LINUX_SRC)/tools/testing/selftests

USER_CC := $(CROSS_COMPILE)gcc
USER_CFLAGS := -O2 -g -Wall -Wextra -Wno-unused-parameter -Wno-sign-compare -static \
	       -I$(CURDIR)/uapi -pthread

SELFTESTS := api_test bad_args_test guest_lib_test guest_run_test \
	     linux_boot_test memory_test module_test vm_test vmctl_test
ifneq ($(filter x86 x86_64,$(ARCH)),)
SELFTESTS += kvm_coexist_test x86_test x86_irqchip_test x86_host_test
endif
ifeq ($(ARCH),arm64)
SELFTESTS += arm64_test arm64_gic_test
endif
ifeq ($(ARCH),riscv)
SELFTESTS += riscv64_test riscv64_plic_test
endif
# Benchmarks print figures and assert nothing; init runs them last.
BENCHES := exit_bench

.PHONY: all module vmctl selftests guests init linux-guest demo check lint \
	clean

all: module vmctl selftests

module:
	@test -d $(KDIR) || { echo "KDIR $(KDIR) does not exist: install the kernel headers or pass KDIR=" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) ARCH=$(ARCH) CROSS_COMPILE=$(CROSS_COMPILE) modules

# vmctl's device trees use libfdt as the kernel tree carries it.
LIBFDT_DIR ?= $(LINUX_SRC)/scripts/dtc/libfdt
LIBFDT_OBJS := $(addprefix $(OUT)/libfdt/,fdt.o fdt_ro.o fdt_rw.o fdt_sw.o \
		fdt_wip.o fdt_strerror.o fdt_empty_tree.o fdt_addresses.o)

$(OUT)/libfdt/%.o: $(LIBFDT_DIR)/%.c
	@test -f $(LIBFDT_DIR)/libfdt.h || { echo "no libfdt under $(LIBFDT_DIR): set LINUX_SRC to a kernel source tree" >&2; exit 1; }
	@mkdir -p $(OUT)/libfdt
	$(USER_CC) -O2 -I$(LIBFDT_DIR) -c -o $@ $<

$(OUT)/libfdt.a: $(LIBFDT_OBJS)
	$(CROSS_COMPILE)ar rcs $@ $^

vmctl: $(OUT)/vmctl
$(OUT)/vmctl: tools/vmctl/*.c tools/vmctl/*.h uapi/linux/axvm.h $(OUT)/libfdt.a
	@mkdir -p $(OUT)
	$(USER_CC) $(USER_CFLAGS) -I$(LIBFDT_DIR) -o $@ tools/vmctl/*.c \
		$(OUT)/libfdt.a

include selftests/guests/guests.mk

# The guest-code library (selftests/lib/) is linked into every selftest.
TEST_LIB_SRCS := $(wildcard selftests/lib/*.c selftests/lib/*.S)
TEST_LIB_HDRS := $(wildcard selftests/lib/*.h)

selftests: $(addprefix $(OUT)/selftests/,$(SELFTESTS)) \
	   $(addprefix $(OUT)/bench/,$(BENCHES)) $(OUT)/reboot_spin
# /init runs it last: vCPUs running while it powers the machine off.
$(OUT)/reboot_spin: selftests/reboot_spin.c selftests/axvm_util.h \
		    uapi/linux/axvm.h $(TEST_LIB_SRCS) $(TEST_LIB_HDRS)
	@mkdir -p $(OUT)
	$(USER_CC) $(USER_CFLAGS) -Iselftests/lib -o $@ $< $(TEST_LIB_SRCS)
$(OUT)/bench/%: selftests/%.c selftests/axvm_util.h uapi/linux/axvm.h \
		$(TEST_LIB_SRCS) $(TEST_LIB_HDRS)
	@mkdir -p $(OUT)/bench
	$(USER_CC) $(USER_CFLAGS) -Iselftests/lib -o $@ $< $(TEST_LIB_SRCS)

$(OUT)/selftests/%: selftests/%.c selftests/axvm_util.h uapi/linux/axvm.h \
		    selftests/linux_guest/disk.h $(TEST_LIB_SRCS) $(TEST_LIB_HDRS)
	@test -f $(KSFT_DIR)/kselftest_harness.h || { echo "no kselftest_harness.h under $(KSFT_DIR): set LINUX_SRC to a kernel source tree" >&2; exit 1; }
	@mkdir -p $(OUT)/selftests
	$(USER_CC) $(USER_CFLAGS) -I$(KSFT_DIR) -Iselftests/lib -o $@ $< \
		$(TEST_LIB_SRCS)

init: $(OUT)/init
$(OUT)/init: selftests/init/init.c selftests/init/init_util.h \
		selftests/linux_guest/disk.h
	@mkdir -p $(OUT)
	$(USER_CC) $(USER_CFLAGS) -o $@ $<

# /init of the Linux guest that linux_boot_test boots under vmctl;
# build-lane.sh packs it into the guest's initramfs.
linux-guest: $(OUT)/linux_guest/init
$(OUT)/linux_guest/init: selftests/linux_guest/init.c \
		selftests/linux_guest/disk.h selftests/init/init_util.h
	@mkdir -p $(OUT)/linux_guest
	$(USER_CC) $(USER_CFLAGS) -o $@ $<

demo:
	selftests/harness/demo.sh

check:
	selftests/harness/check.sh $(LANES)

lint:
	selftests/harness/lint.sh

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean 2>/dev/null
	rm -rf build out
