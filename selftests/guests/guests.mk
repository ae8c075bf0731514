# SPDX-License-Identifier: GPL-2.0
# Bare-metal guests for vmctl's lane tests, one image per ACTION, as raw
# binaries (.bin) and ELF executables (.elf). Included by the Makefile,
# which sets ARCH, OUT, USER_CC and CROSS_COMPILE.

GUEST_DIR := $(OUT)/guests
comma := ,
GUEST_FLAGS := -nostdlib -static -no-pie -Wl,-n -Wl,--no-warn-rwx-segments -Wl,--build-id=none -Wl,-z,norelro \
	       -Wl,-z,noexecstack -Wl,-z,max-page-size=4096

ifeq ($(ARCH),arm64)
GUEST_SRC := selftests/guests/guest_arm64.S
GUEST_LOAD := 0x80000000
GUEST_ACTIONS := POWEROFF RESET SPIN UNHANDLED SMP IPI
endif
ifeq ($(ARCH),riscv)
GUEST_SRC := selftests/guests/guest_riscv64.S
GUEST_LOAD := 0x80000000
GUEST_ACTIONS := POWEROFF RESET SPIN CRASH UNHANDLED SMP DBCN IPI
# Zicsr: binutils 2.38 on want it named for the IPI action's CSRs.
GUEST_FLAGS += -march=rv64imac_zicsr -mabi=lp64
endif
ifneq ($(filter x86 x86_64,$(ARCH)),)
GUEST_SRC := selftests/guests/guest_x86.S
GUEST_LOAD := 0x10000
GUEST_ACTIONS := POWEROFF RESET SPIN CRASH UNHANDLED IPI
endif

GUEST_IMAGES := $(foreach a,$(GUEST_ACTIONS),$(GUEST_DIR)/$(a).bin \
		$(GUEST_DIR)/$(a).elf)
# arm64, riscv64: POWEROFF as a static PIE linked at 0 (ET_DYN), which
# vmctl places and whose RELATIVE relocations it applies.
# x86: a Multiboot kernel, a 32-bit ELF as such kernels are.
ifeq ($(filter x86 x86_64,$(ARCH)),)
GUEST_PIE := $(GUEST_DIR)/PIE.elf
else
GUEST_PIE := $(GUEST_DIR)/MULTIBOOT.elf
endif

guests: $(GUEST_IMAGES) $(GUEST_DIR)/VBLK.elf $(GUEST_PIE)

# The virtio-blk driver in C: freestanding, no FP or vector registers.
VBLK_FLAGS := -O2 -ffreestanding -fno-stack-protector -fno-pic \
	      -fno-asynchronous-unwind-tables -mgeneral-regs-only
ifeq ($(ARCH),riscv)
VBLK_FLAGS := -O2 -ffreestanding -fno-stack-protector -fno-pic \
	      -fno-asynchronous-unwind-tables -mcmodel=medany
endif
ifneq ($(filter x86 x86_64,$(ARCH)),)
# 32-bit code (vmctl starts ELF images in protected mode), in an ELF64
# container as vmctl loads them.
$(GUEST_DIR)/VBLK.elf: selftests/guests/vblk.c selftests/guests/vblk.h \
		       selftests/guests/vblk_start.S selftests/guests/guests.mk
	@mkdir -p $(GUEST_DIR)
	$(USER_CC) -m32 $(VBLK_FLAGS) $(GUEST_FLAGS) -Wl,-m,elf_i386 \
		-Wl,-Ttext=0x100000 -o $@.32 selftests/guests/vblk_start.S \
		selftests/guests/vblk.c
	$(CROSS_COMPILE)objcopy -I elf32-i386 -O elf64-x86-64 $@.32 $@
$(GUEST_DIR)/MULTIBOOT.elf: selftests/guests/multiboot.c \
			    selftests/guests/multiboot_start.S \
			    selftests/guests/guests.mk
	@mkdir -p $(GUEST_DIR)
	$(USER_CC) -m32 $(VBLK_FLAGS) $(GUEST_FLAGS) -Wl,-m,elf_i386 \
		-Wl,-Ttext=0x100000 -o $@ selftests/guests/multiboot_start.S \
		selftests/guests/multiboot.c
else
$(GUEST_DIR)/VBLK.elf: selftests/guests/vblk.c selftests/guests/vblk.h \
		       selftests/guests/vblk_start.S selftests/guests/guests.mk
	@mkdir -p $(GUEST_DIR)
	$(USER_CC) $(VBLK_FLAGS) $(GUEST_FLAGS) -Wl,-Ttext=$(GUEST_LOAD) \
		-o $@ selftests/guests/vblk_start.S selftests/guests/vblk.c
endif

# x86: the raw images run in real mode, the ELF ones in 32-bit mode at 1 MiB.
ifneq ($(filter x86 x86_64,$(ARCH)),)
$(GUEST_DIR)/%.bin: $(GUEST_SRC) selftests/guests/guests.mk
	@mkdir -p $(GUEST_DIR)
	$(USER_CC) $(GUEST_FLAGS) -DACTION=ACTION_$* -Wl,-Ttext=0 \
		-o $(GUEST_DIR)/$*.real $<
	$(CROSS_COMPILE)objcopy -O binary -j .text $(GUEST_DIR)/$*.real $@
$(GUEST_DIR)/%.elf: $(GUEST_SRC) selftests/guests/guests.mk
	@mkdir -p $(GUEST_DIR)
	$(USER_CC) $(GUEST_FLAGS) -DMODE32 -DACTION=ACTION_$* \
		-Wl,-Ttext=0x100000 -o $@ $<
else
$(GUEST_DIR)/%.elf: $(GUEST_SRC) selftests/guests/guests.mk
	@mkdir -p $(GUEST_DIR)
	$(USER_CC) $(GUEST_FLAGS) -DACTION=ACTION_$* \
		-Wl,-Ttext=$(GUEST_LOAD) -o $@ $<
$(GUEST_DIR)/%.bin: $(GUEST_DIR)/%.elf
	$(CROSS_COMPILE)objcopy -O binary $< $@
$(GUEST_PIE): $(GUEST_SRC) selftests/guests/guests.mk
	@mkdir -p $(GUEST_DIR)
	$(USER_CC) $(filter-out -no-pie -static -Wl$(comma)-n,$(GUEST_FLAGS)) \
		-static-pie -Wl,--no-dynamic-linker -DPIE \
		-DACTION=ACTION_POWEROFF -o $@ $<
endif
