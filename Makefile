# SPDX-License-Identifier: GPL-2.0
#
# make                 axvm.ko against KDIR, vmctl and the selftests
# make demo            boot the arm64 emulated machine and a Linux guest in it
# make check           the whole test suite on every lane (LANES=... for some)
# make lint            checkpatch --strict, W=1 and sparse over kmod/
# make dkms-install    axvm.ko through DKMS (root; see README "Install")
# make install         vmctl, the udev rule and the axvm group (root)
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

# One version, dkms.conf's; kmod/Kbuild gives it to MODULE_VERSION.
VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"$$/\1/p' $(CURDIR)/dkms.conf)
PREFIX ?= /usr/local
UDEVDIR ?= /etc/udev/rules.d
DKMS_SRC ?= /usr/src

SELFTESTS := api_test bad_args_test guest_fuzz_test guest_lib_test \
	     guest_memory_test guest_run_test ioctl_fuzz_test ipi_test \
	     linux_boot_test memory_test module_test pin_test translate_test \
	     vcpu_state_test vm_test vmctl_test fault_test
ifneq ($(filter x86 x86_64,$(ARCH)),)
SELFTESTS += kvm_coexist_test x86_test x86_irqchip_test x86_host_test \
	     x86_mmio_test
endif
ifeq ($(ARCH),arm64)
SELFTESTS += arm64_test arm64_gic_test arm64_gicv2_test arm64_kvm_test
endif
ifeq ($(ARCH),riscv)
SELFTESTS += riscv64_test riscv64_plic_test
endif
# Benchmarks print figures and assert nothing; init runs them last.
BENCHES := exit_bench mem_bench

.PHONY: all module vmctl selftests guests init linux-guest debian-guest demo \
	check lint \
	clean dkms-source dkms-install dkms-uninstall install uninstall \
	no-selftests

# The selftests need kselftest_harness.h, which headers packages lack.
all: module vmctl $(if $(wildcard $(KSFT_DIR)/kselftest_harness.h),selftests,no-selftests)

no-selftests:
	@echo "selftests not built: no kselftest_harness.h under $(KSFT_DIR); give LINUX_SRC= a kernel source tree (Debian: linux-source-6.1)"

module:
	@test -d $(KDIR) || { echo "KDIR $(KDIR) does not exist: install the kernel headers or pass KDIR=" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) ARCH=$(ARCH) CROSS_COMPILE=$(CROSS_COMPILE) modules

# vmctl's device trees use libfdt: Debian's libfdt-dev for a native
# build where it is installed, else the copy in a kernel source tree
# (cross builds, LINUX_SRC=).
LIBFDT_DIR ?= $(LINUX_SRC)/scripts/dtc/libfdt
ifeq ($(CROSS_COMPILE)$(wildcard /usr/include/libfdt.h),/usr/include/libfdt.h)
LIBFDT_CFLAGS :=
LIBFDT_LIB := -lfdt
LIBFDT_DEP :=
else ifneq ($(wildcard $(LIBFDT_DIR)/libfdt.h),)
LIBFDT_OBJS := $(addprefix $(OUT)/libfdt/,fdt.o fdt_ro.o fdt_rw.o fdt_sw.o \
		fdt_wip.o fdt_strerror.o fdt_empty_tree.o fdt_addresses.o)
LIBFDT_CFLAGS := -I$(LIBFDT_DIR)
LIBFDT_LIB := $(OUT)/libfdt.a
LIBFDT_DEP := $(OUT)/libfdt.a
else
LIBFDT_DEP := no-libfdt
endif

.PHONY: no-libfdt
no-libfdt:
	@echo "vmctl needs libfdt: install libfdt-dev (apt install libfdt-dev), or give LINUX_SRC= a kernel source tree" >&2
	@exit 1

$(OUT)/libfdt/%.o: $(LIBFDT_DIR)/%.c
	@mkdir -p $(OUT)/libfdt
	$(USER_CC) -O2 -I$(LIBFDT_DIR) -c -o $@ $<

$(OUT)/libfdt.a: $(LIBFDT_OBJS)
	$(CROSS_COMPILE)ar rcs $@ $^

vmctl: $(OUT)/vmctl
$(OUT)/vmctl: tools/vmctl/*.c tools/vmctl/*.h uapi/linux/axvm.h dkms.conf \
	      $(LIBFDT_DEP)
	@mkdir -p $(OUT)
	$(USER_CC) $(USER_CFLAGS) $(LIBFDT_CFLAGS) -DVMCTL_VERSION='"$(VERSION)"' \
		-o $@ tools/vmctl/*.c $(LIBFDT_LIB)

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

$(OUT)/selftests/%: selftests/%.c selftests/axvm_util.h uapi/linux/axvm.h dkms.conf \
		    selftests/linux_guest/disk.h $(TEST_LIB_SRCS) $(TEST_LIB_HDRS)
	@test -f $(KSFT_DIR)/kselftest_harness.h || { echo "no kselftest_harness.h under $(KSFT_DIR): set LINUX_SRC to a kernel source tree" >&2; exit 1; }
	@mkdir -p $(OUT)/selftests
	$(USER_CC) $(USER_CFLAGS) -DAXVM_PACKAGE_VERSION='"$(VERSION)"' \
		-I$(KSFT_DIR) -Iselftests/lib -o $@ $< $(TEST_LIB_SRCS)

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

# /init and /sbin/init of the Debian guest (Debian's own kernel) that
# linux_boot_test boots; build-lane.sh packs it and its disk.
debian-guest: $(OUT)/linux_guest/debian_init
$(OUT)/linux_guest/debian_init: selftests/linux_guest/debian_init.c \
		selftests/init/init_util.h
	@mkdir -p $(OUT)/linux_guest
	$(USER_CC) $(USER_CFLAGS) -o $@ $<

demo:
	selftests/harness/demo.sh

check:
	selftests/harness/check.sh $(LANES)

lint:
	selftests/harness/lint.sh

# DKMS gets the module's sources and nothing else (no build/, out/ or
# objects): they go to $(DKMS_SRC)/axvm-$(VERSION), where "dkms add" looks.
dkms-source:
	@test -n "$(VERSION)" || { echo "no PACKAGE_VERSION in dkms.conf" >&2; exit 1; }
	rm -rf $(DKMS_SRC)/axvm-$(VERSION)
	mkdir -p $(DKMS_SRC)/axvm-$(VERSION)
	find Kbuild dkms.conf kmod uapi -type f \( -name Kbuild -o -name dkms.conf \
		-o -name '*.[chS]' -o -name '*.inc' \) ! -name '*.mod.c' \
		-exec cp --parents -t $(DKMS_SRC)/axvm-$(VERSION) {} +

dkms-install: dkms-source
	-dkms remove axvm/$(VERSION) --all >/dev/null 2>&1
	dkms add axvm/$(VERSION)
	dkms install axvm/$(VERSION)

dkms-uninstall:
	-dkms remove axvm/$(VERSION) --all
	rm -rf $(DKMS_SRC)/axvm-$(VERSION)

# /dev/axvm to the axvm group, 0660, as /dev/kvm is the kvm group's.
install: vmctl
	install -D -m 0755 $(OUT)/vmctl $(DESTDIR)$(PREFIX)/bin/vmctl
	install -D -m 0644 tools/install/60-axvm.rules $(DESTDIR)$(UDEVDIR)/60-axvm.rules
ifeq ($(DESTDIR),)
	getent group axvm >/dev/null || groupadd --system axvm
	-udevadm control --reload
	-udevadm trigger --action=change --sysname-match=axvm
endif

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/vmctl $(DESTDIR)$(UDEVDIR)/60-axvm.rules

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean 2>/dev/null
	rm -rf build out
