/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest side of the selftest library: what code running inside a test VM
 * may use. The guest runs this very binary, identity mapped (see
 * test_vm.h), so guest functions are ordinary C functions of the test.
 *
 * Rules for guest code:
 *  - mark every guest function GUEST_CODE;
 *  - call no libc function (memcpy, printf, ...): libc uses FP/SIMD
 *    registers, which trap on arm64, and thread-local state the guest
 *    lacks; with -O2 the compiler may also turn a copy or clearing loop
 *    into a memcpy/memset call, so keep such loops short or use volatile;
 *  - host data the guest reads is a snapshot taken by test_vm_create():
 *    use sync_global_to_guest() / sync_global_from_guest() to move it.
 *
 * On riscv64 guest code may use the F/D registers (sstatus.FS starts
 * Initial), but exception handlers may not: the vectors save only x1-x31.
 *
 * On x86_64 GUEST_CODE compiles without SSE and x87 (general registers
 * only), since the exception stubs save only the general registers; an
 * always_inline helper that guest code calls must be GUEST_INLINE, or
 * GCC refuses to inline it (target option mismatch). Handlers run on the
 * interrupted stack, below its red zone.
 */
#ifndef AXVM_SELFTEST_GUEST_H
#define AXVM_SELFTEST_GUEST_H

#include <stdint.h>

/* 1 where guest code can run: elsewhere test_vm_create() is EOPNOTSUPP. */
#if defined(__aarch64__) || (defined(__riscv) && __riscv_xlen == 64) || \
	defined(__x86_64__)
#define TEST_HAVE_GUEST_LIB	1
#else
#define TEST_HAVE_GUEST_LIB	0
#endif

#ifdef __aarch64__
/* No FP/SIMD: the backend traps it, and vectors do not save it. */
#define GUEST_CODE	__attribute__((noinline, target("general-regs-only")))
#elif defined(__x86_64__)
/*
 * No SSE/x87: the exception stubs do not save them. No stack protector
 * either, should the compiler default to it: its canary is at %fs:0x28
 * and the guest's FS base is 0.
 */
#ifdef __has_attribute
#if __has_attribute(no_stack_protector)
#define __GUEST_NO_SSP		1
#endif
#endif
#ifdef __GUEST_NO_SSP
#define GUEST_CODE							\
	__attribute__((noinline, target("general-regs-only"),		\
		       no_stack_protector))
#else
#define GUEST_CODE	__attribute__((noinline, target("general-regs-only")))
#endif
#else
#define GUEST_CODE	__attribute__((noinline))
#endif

/* An inline helper for guest code: "static inline GUEST_INLINE ...". */
#ifdef __x86_64__
#define GUEST_INLINE							\
	__attribute__((always_inline, target("general-regs-only")))
#else
#define GUEST_INLINE	__attribute__((always_inline))
#endif

/*
 * Guest to host calls. The guest passes a struct ucall on its stack to
 * the host with a hypercall; expr and file point at string literals of
 * the binary, which the host reads in its own copy. The hypercall:
 *  arm64:   hvc #0, x0 = UCALL_FID, x1 = &uc;
 *  riscv64: ecall, a7 = UCALL_EID, a6 = 0 (function id), a0 = &uc;
 *  x86_64:  vmmcall, rax = UCALL_X86_NR, rbx = &uc.
 * UCALL_HYPERCALL_NR is the axvm_run.hypercall.nr of such an exit; &uc is
 * its args[0].
 */
#define UCALL_FID	0xc600a5a5ULL	/* SMCCC vendor-specific hypervisor */
#define UCALL_EID	0x08a5a5a5ULL	/* SBI experimental extension space */
#define UCALL_X86_NR	0x0a5a5a5aULL
#define UCALL_MAX_ARGS	6

enum {
	UCALL_NONE,
	UCALL_SYNC,
	UCALL_ASSERT,
	UCALL_DONE,
};

struct ucall {
	uint64_t cmd;
	uint64_t args[UCALL_MAX_ARGS];
	const char *expr;
	const char *file;
	uint64_t line;
	uint64_t nargs;		/* how many of args[] the guest filled */
};

#if defined(__riscv) && __riscv_xlen == 64
/*
 * A trap frame as riscv64_vectors.S lays it out. regs[0] reads 0 and
 * regs[2] is sp before the trap; neither is written back.
 */
struct ex_regs {
	uint64_t regs[32];	/* x0-x31 */
	uint64_t pc;		/* sepc: where sret returns */
	uint64_t status;	/* sstatus */
	uint64_t cause;		/* scause: bit 63 set for an interrupt */
	uint64_t tval;		/* stval */
};
#elif defined(__x86_64__)
/*
 * An exception frame as x86_64_vectors.S lays it out: the general
 * registers in the order of struct axvm_regs, then what the stub and the
 * CPU pushed. regs[4] is RSP before the exception, as is rsp; only the
 * latter is written back (by iretq), with rip, cs, rflags and ss.
 */
struct ex_regs {
	uint64_t regs[16];	/* RAX RCX RDX RBX RSP RBP RSI RDI R8-R15 */
	uint64_t vector;
	uint64_t error_code;	/* 0 for vectors without one */
	uint64_t rip;		/* where iretq returns */
	uint64_t cs;
	uint64_t rflags;
	uint64_t rsp;
	uint64_t ss;
};
#else
/* An exception frame as the vectors lay it out; see aarch64_vectors.S. */
struct ex_regs {
	uint64_t regs[31];	/* x0-x30 */
	uint64_t sp;		/* SP before the exception */
	uint64_t pc;		/* ELR_EL1: where eret returns */
	uint64_t pstate;	/* SPSR_EL1 */
	uint64_t esr;
	uint64_t far;
};
#endif

typedef void (*guest_handler_t)(struct ex_regs *regs);

/*
 * Exception handlers: IRQs at the current EL (arm64 vector 5; riscv64
 * scause bit 63 set; x86_64 vectors 32-255) and synchronous exceptions
 * (riscv64: every other scause; x86_64: vectors 0-31, NMI included).
 * NULL reports any such exception as an unexpected one. The
 * host sets them with test_vm_set_*_handler(); a guest may too.
 */
extern guest_handler_t guest_irq_handler;
extern guest_handler_t guest_sync_handler;

void guest_ucall(uint64_t cmd, const char *expr, const char *file,
		 uint64_t line, uint64_t nargs, uint64_t a0, uint64_t a1,
		 uint64_t a2, uint64_t a3);
/* The same, then again forever: the host must not resume the guest. */
void guest_ucall_final(uint64_t cmd, const char *expr, const char *file,
		       uint64_t line, uint64_t nargs, uint64_t a0, uint64_t a1,
		       uint64_t a2, uint64_t a3) __attribute__((noreturn));

/*
 * Up to four values, each cast to u64, zeros after the last. The leading
 * "_" keeps the argument lists non-empty when no value is given.
 */
#define __GUEST_NARGS(...)	__GUEST_NTH(_, ##__VA_ARGS__, 4, 3, 2, 1, 0)
#define __GUEST_NTH(_x, _1, _2, _3, _4, n, ...)	n
#define __GUEST_A0(_x, a, ...)			((uint64_t)(a))
#define __GUEST_A1(_x, _a, b, ...)		((uint64_t)(b))
#define __GUEST_A2(_x, _a, _b, c, ...)		((uint64_t)(c))
#define __GUEST_A3(_x, _a, _b, _c, d, ...)	((uint64_t)(d))
#define __GUEST_ARG0(...)	__GUEST_A0(_, ##__VA_ARGS__, 0, 0, 0, 0)
#define __GUEST_ARG1(...)	__GUEST_A1(_, ##__VA_ARGS__, 0, 0, 0, 0)
#define __GUEST_ARG2(...)	__GUEST_A2(_, ##__VA_ARGS__, 0, 0, 0, 0)
#define __GUEST_ARG3(...)	__GUEST_A3(_, ##__VA_ARGS__, 0, 0, 0, 0)

#define __GUEST_UCALL(fn, cmd, expr, ...)				\
	fn(cmd, expr, __FILE__, __LINE__, __GUEST_NARGS(__VA_ARGS__),	\
	   __GUEST_ARG0(__VA_ARGS__), __GUEST_ARG1(__VA_ARGS__),	\
	   __GUEST_ARG2(__VA_ARGS__), __GUEST_ARG3(__VA_ARGS__))

/* Stop and hand the host up to four values; the host resumes the guest. */
#define GUEST_SYNC(...)							\
	__GUEST_UCALL(guest_ucall, UCALL_SYNC, 0, ##__VA_ARGS__)

#define GUEST_DONE()	__GUEST_UCALL(guest_ucall_final, UCALL_DONE, 0)

/* Up to four values may follow the condition, for the host to print. */
#define GUEST_ASSERT(cond, ...)						\
do {									\
	if (!(cond))							\
		__GUEST_UCALL(guest_ucall_final, UCALL_ASSERT, #cond,	\
			      ##__VA_ARGS__);				\
} while (0)

#define GUEST_ASSERT_EQ(a, b)						\
do {									\
	uint64_t __ga = (uint64_t)(a), __gb = (uint64_t)(b);		\
									\
	if (__ga != __gb)						\
		__GUEST_UCALL(guest_ucall_final, UCALL_ASSERT,		\
			      #a " == " #b, __ga, __gb);		\
} while (0)

#define GUEST_FAIL(msg)							\
	__GUEST_UCALL(guest_ucall_final, UCALL_ASSERT, msg)

#ifdef __aarch64__

/* aarch64_vectors.S: the table VBAR_EL1 points at. */
extern char guest_vectors[];
/* Called by the vectors; regs->pc and regs->pstate are written back. */
void guest_exception(struct ex_regs *regs, int vector);

/*
 * SMCCC calls; under SMCCC 1.0 the callee may clobber x0-x17. "memory"
 * because the arguments often point at guest memory.
 */
static inline __attribute__((always_inline))
uint64_t guest_hvc(uint64_t fid, uint64_t a1, uint64_t a2, uint64_t a3,
		   uint64_t a4, uint64_t a5)
{
	register uint64_t x0 asm("x0") = fid;
	register uint64_t x1 asm("x1") = a1;
	register uint64_t x2 asm("x2") = a2;
	register uint64_t x3 asm("x3") = a3;
	register uint64_t x4 asm("x4") = a4;
	register uint64_t x5 asm("x5") = a5;

	asm volatile("hvc #0"
		     : "+r" (x0), "+r" (x1), "+r" (x2), "+r" (x3),
		       "+r" (x4), "+r" (x5)
		     :
		     : "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13",
		       "x14", "x15", "x16", "x17", "memory");
	return x0;
}

static inline __attribute__((always_inline))
uint64_t guest_smc(uint64_t fid, uint64_t a1, uint64_t a2, uint64_t a3,
		   uint64_t a4, uint64_t a5)
{
	register uint64_t x0 asm("x0") = fid;
	register uint64_t x1 asm("x1") = a1;
	register uint64_t x2 asm("x2") = a2;
	register uint64_t x3 asm("x3") = a3;
	register uint64_t x4 asm("x4") = a4;
	register uint64_t x5 asm("x5") = a5;

	asm volatile("smc #0"
		     : "+r" (x0), "+r" (x1), "+r" (x2), "+r" (x3),
		       "+r" (x4), "+r" (x5)
		     :
		     : "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13",
		       "x14", "x15", "x16", "x17", "memory");
	return x0;
}

#define UCALL_HYPERCALL_NR	UCALL_FID

static inline __attribute__((always_inline))
void guest_ucall_hypercall(struct ucall *uc)
{
	guest_hvc(UCALL_FID, (uintptr_t)uc, 0, 0, 0, 0);
}

/*
 * MMIO: one plain load or store each (no pair, no writeback), so that a
 * trapped access has a valid syndrome the host can decode.
 */
static inline __attribute__((always_inline))
uint8_t readb(const volatile void *addr)
{
	uint8_t v;

	asm volatile("ldrb %w0, [%1]" : "=r" (v) : "r" (addr) : "memory");
	return v;
}

static inline __attribute__((always_inline))
uint16_t readw(const volatile void *addr)
{
	uint16_t v;

	asm volatile("ldrh %w0, [%1]" : "=r" (v) : "r" (addr) : "memory");
	return v;
}

static inline __attribute__((always_inline))
uint32_t readl(const volatile void *addr)
{
	uint32_t v;

	asm volatile("ldr %w0, [%1]" : "=r" (v) : "r" (addr) : "memory");
	return v;
}

static inline __attribute__((always_inline))
uint64_t readq(const volatile void *addr)
{
	uint64_t v;

	asm volatile("ldr %x0, [%1]" : "=r" (v) : "r" (addr) : "memory");
	return v;
}

static inline __attribute__((always_inline))
void writeb(uint8_t v, volatile void *addr)
{
	asm volatile("strb %w0, [%1]" : : "rZ" (v), "r" (addr) : "memory");
}

static inline __attribute__((always_inline))
void writew(uint16_t v, volatile void *addr)
{
	asm volatile("strh %w0, [%1]" : : "rZ" (v), "r" (addr) : "memory");
}

static inline __attribute__((always_inline))
void writel(uint32_t v, volatile void *addr)
{
	asm volatile("str %w0, [%1]" : : "rZ" (v), "r" (addr) : "memory");
}

static inline __attribute__((always_inline))
void writeq(uint64_t v, volatile void *addr)
{
	asm volatile("str %x0, [%1]" : : "rZ" (v), "r" (addr) : "memory");
}

/* Any name the assembler knows, or s<op0>_<op1>_c<n>_c<m>_<op2>. */
#define read_sysreg(r)							\
({									\
	uint64_t __rv;							\
									\
	asm volatile("mrs %0, " #r : "=r" (__rv));			\
	__rv;								\
})

#define write_sysreg(v, r)						\
do {									\
	uint64_t __wv = (uint64_t)(v);					\
									\
	asm volatile("msr " #r ", %x0" : : "rZ" (__wv));		\
} while (0)

static inline __attribute__((always_inline)) void isb(void)
{
	asm volatile("isb" : : : "memory");
}

static inline __attribute__((always_inline)) void wfi(void)
{
	asm volatile("wfi" : : : "memory");
}

static inline __attribute__((always_inline)) void local_irq_enable(void)
{
	asm volatile("msr daifclr, #2" : : : "memory");
}

static inline __attribute__((always_inline)) void local_irq_disable(void)
{
	asm volatile("msr daifset, #2" : : : "memory");
}

/* @n turns of a loop that nothing exits in, and the compiler keeps. */
static inline __attribute__((always_inline)) void guest_busy_loop(uint64_t n)
{
	uint64_t i;

	for (i = 0; i < n; i++)
		asm volatile("" : : : "memory");
}

/* How many guest_busy_loop() turns take @ticks of the virtual counter. */
static inline __attribute__((always_inline))
uint64_t guest_busy_calibrate(uint64_t ticks)
{
	uint64_t start = read_sysreg(cntvct_el0), n = 0;

	do {
		guest_busy_loop(1024);
		n += 1024;
	} while (read_sysreg(cntvct_el0) - start < ticks);
	return n;
}

#elif defined(__riscv) && __riscv_xlen == 64

/* riscv64_vectors.S: where stvec points (direct mode). */
extern char guest_vectors[];
/*
 * riscv64_vectors.S: an SBI entry point (resume_addr, start_addr) with
 * the stack top in a1; it calls guest_resume_fn, which the guest sets.
 */
extern char guest_resume_entry[];
extern void (*guest_resume_fn)(uint64_t hartid, uint64_t opaque);
/* Called by the vectors; regs->pc and regs->status are written back. */
void guest_exception(struct ex_regs *regs);

#define SSTATUS_SIE		(1UL << 1)
#define SSTATUS_SPIE		(1UL << 5)
#define SSTATUS_SPP		(1UL << 8)
#define SSTATUS_FS		(3UL << 13)

/* scause: interrupts (bit 63 set) and bits of sie/sip. */
#define SCAUSE_IRQ		(1UL << 63)
#define IRQ_S_SOFT		1
#define IRQ_S_TIMER		5
#define IRQ_S_EXT		9

/* scause: synchronous exceptions. */
#define EXC_INST_MISALIGNED	0
#define EXC_INST_ILLEGAL	2
#define EXC_BREAKPOINT		3
#define EXC_LOAD_MISALIGNED	4
#define EXC_STORE_MISALIGNED	6
#define EXC_ECALL_U		8
#define EXC_INST_PAGE_FAULT	12
#define EXC_LOAD_PAGE_FAULT	13
#define EXC_STORE_PAGE_FAULT	15

struct sbiret {
	long error;
	long value;
};

/*
 * An SBI call: a7 = @eid, a6 = @fid, a0-a5 the arguments; a0 comes back
 * as error, a1 as value, the other registers are preserved. "memory"
 * because the arguments often point at guest memory.
 */
static inline __attribute__((always_inline))
struct sbiret sbi_ecall(unsigned long eid, unsigned long fid,
			unsigned long arg0, unsigned long arg1,
			unsigned long arg2, unsigned long arg3,
			unsigned long arg4, unsigned long arg5)
{
	register unsigned long a0 asm("a0") = arg0;
	register unsigned long a1 asm("a1") = arg1;
	register unsigned long a2 asm("a2") = arg2;
	register unsigned long a3 asm("a3") = arg3;
	register unsigned long a4 asm("a4") = arg4;
	register unsigned long a5 asm("a5") = arg5;
	register unsigned long a6 asm("a6") = fid;
	register unsigned long a7 asm("a7") = eid;
	struct sbiret ret;

	asm volatile("ecall"
		     : "+r" (a0), "+r" (a1)
		     : "r" (a2), "r" (a3), "r" (a4), "r" (a5), "r" (a6),
		       "r" (a7)
		     : "memory");
	ret.error = a0;
	ret.value = a1;
	return ret;
}

#define UCALL_HYPERCALL_NR	UCALL_EID

static inline __attribute__((always_inline))
void guest_ucall_hypercall(struct ucall *uc)
{
	sbi_ecall(UCALL_EID, 0, (uintptr_t)uc, 0, 0, 0, 0, 0);
}

/*
 * MMIO: one plain load or store each, never compressed, so that a
 * trapped access is always a 4-byte instruction the host can decode.
 */
#define __GUEST_NORVC(insn)						\
	".option push\n\t.option norvc\n\t" insn "\n\t.option pop"

static inline __attribute__((always_inline))
uint8_t readb(const volatile void *addr)
{
	uint8_t v;

	asm volatile(__GUEST_NORVC("lbu %0, 0(%1)")
		     : "=r" (v) : "r" (addr) : "memory");
	return v;
}

static inline __attribute__((always_inline))
uint16_t readw(const volatile void *addr)
{
	uint16_t v;

	asm volatile(__GUEST_NORVC("lhu %0, 0(%1)")
		     : "=r" (v) : "r" (addr) : "memory");
	return v;
}

static inline __attribute__((always_inline))
uint32_t readl(const volatile void *addr)
{
	uint32_t v;

	asm volatile(__GUEST_NORVC("lwu %0, 0(%1)")
		     : "=r" (v) : "r" (addr) : "memory");
	return v;
}

static inline __attribute__((always_inline))
uint64_t readq(const volatile void *addr)
{
	uint64_t v;

	asm volatile(__GUEST_NORVC("ld %0, 0(%1)")
		     : "=r" (v) : "r" (addr) : "memory");
	return v;
}

static inline __attribute__((always_inline))
void writeb(uint8_t v, volatile void *addr)
{
	asm volatile(__GUEST_NORVC("sb %z0, 0(%1)")
		     : : "rJ" (v), "r" (addr) : "memory");
}

static inline __attribute__((always_inline))
void writew(uint16_t v, volatile void *addr)
{
	asm volatile(__GUEST_NORVC("sh %z0, 0(%1)")
		     : : "rJ" (v), "r" (addr) : "memory");
}

static inline __attribute__((always_inline))
void writel(uint32_t v, volatile void *addr)
{
	asm volatile(__GUEST_NORVC("sw %z0, 0(%1)")
		     : : "rJ" (v), "r" (addr) : "memory");
}

static inline __attribute__((always_inline))
void writeq(uint64_t v, volatile void *addr)
{
	asm volatile(__GUEST_NORVC("sd %z0, 0(%1)")
		     : : "rJ" (v), "r" (addr) : "memory");
}

/* CSRs by name (sstatus, satp, time, ...) or number; macros expand. */
#define __GUEST_STR(x)		#x
#define __GUEST_XSTR(x)		__GUEST_STR(x)

#define csr_read(csr)							\
({									\
	unsigned long __rv;						\
									\
	asm volatile("csrr %0, " __GUEST_XSTR(csr)			\
		     : "=r" (__rv) : : "memory");			\
	__rv;								\
})

#define csr_write(csr, v)						\
do {									\
	unsigned long __wv = (unsigned long)(v);			\
									\
	asm volatile("csrw " __GUEST_XSTR(csr) ", %0"			\
		     : : "rK" (__wv) : "memory");			\
} while (0)

#define csr_set(csr, v)							\
do {									\
	unsigned long __sv = (unsigned long)(v);			\
									\
	asm volatile("csrs " __GUEST_XSTR(csr) ", %0"			\
		     : : "rK" (__sv) : "memory");			\
} while (0)

#define csr_clear(csr, v)						\
do {									\
	unsigned long __cv = (unsigned long)(v);			\
									\
	asm volatile("csrc " __GUEST_XSTR(csr) ", %0"			\
		     : : "rK" (__cv) : "memory");			\
} while (0)

static inline __attribute__((always_inline)) void wfi(void)
{
	asm volatile("wfi" : : : "memory");
}

static inline __attribute__((always_inline)) void local_irq_enable(void)
{
	csr_set(sstatus, SSTATUS_SIE);
}

static inline __attribute__((always_inline)) void local_irq_disable(void)
{
	csr_clear(sstatus, SSTATUS_SIE);
}

#elif defined(__x86_64__)

/*
 * x86_64_vectors.S: 256 stubs of GUEST_VECTOR_STUB_SIZE bytes each, the
 * targets of the IDT's gates.
 */
extern char guest_vectors[];
#define GUEST_VECTOR_STUB_SIZE	16
/* Called by the stubs; the frame but regs[4] is written back. */
void guest_exception(struct ex_regs *regs);

/* Exception vectors (struct ex_regs.vector). */
#define DE_VECTOR		0
#define DB_VECTOR		1
#define NMI_VECTOR		2
#define BP_VECTOR		3
#define UD_VECTOR		6
#define NM_VECTOR		7
#define DF_VECTOR		8
#define GP_VECTOR		13
#define PF_VECTOR		14
#define MF_VECTOR		16
#define AC_VECTOR		17
#define XM_VECTOR		19

#define X86_RFLAGS_IF		(1ULL << 9)
#define X86_CR0_PE		(1ULL << 0)
#define X86_CR0_WP		(1ULL << 16)
#define X86_CR0_PG		(1ULL << 31)
#define X86_CR4_PAE		(1ULL << 5)

/*
 * A hypercall: rax = @nr, rbx, rcx, rdx, rsi the arguments (the exit's
 * args[0-3]); rax comes back (the exit's ret), the other registers are
 * preserved. "memory" because the arguments often point at guest memory.
 */
static inline GUEST_INLINE
uint64_t guest_vmmcall(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2,
		       uint64_t a3)
{
	uint64_t ret;

	asm volatile("vmmcall"
		     : "=a" (ret)
		     : "a" (nr), "b" (a0), "c" (a1), "d" (a2), "S" (a3)
		     : "memory");
	return ret;
}

/* The same call with Intel's VMCALL, which only VMX hosts take. */
static inline GUEST_INLINE
uint64_t guest_vmcall(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2,
		      uint64_t a3)
{
	uint64_t ret;

	asm volatile("vmcall"
		     : "=a" (ret)
		     : "a" (nr), "b" (a0), "c" (a1), "d" (a2), "S" (a3)
		     : "memory");
	return ret;
}

#define UCALL_HYPERCALL_NR	UCALL_X86_NR

static inline GUEST_INLINE void guest_ucall_hypercall(struct ucall *uc)
{
	guest_vmmcall(UCALL_X86_NR, (uintptr_t)uc, 0, 0, 0);
}

/*
 * MMIO: one MOV each between a general register and memory (88, 89, 8A,
 * 8B, with 66 or REX.W for the width), which the host decodes.
 */
static inline GUEST_INLINE uint8_t readb(const volatile void *addr)
{
	uint8_t v;

	asm volatile("movb (%1), %b0" : "=r" (v) : "r" (addr) : "memory");
	return v;
}

static inline GUEST_INLINE uint16_t readw(const volatile void *addr)
{
	uint16_t v;

	asm volatile("movw (%1), %w0" : "=r" (v) : "r" (addr) : "memory");
	return v;
}

static inline GUEST_INLINE uint32_t readl(const volatile void *addr)
{
	uint32_t v;

	asm volatile("movl (%1), %k0" : "=r" (v) : "r" (addr) : "memory");
	return v;
}

static inline GUEST_INLINE uint64_t readq(const volatile void *addr)
{
	uint64_t v;

	asm volatile("movq (%1), %q0" : "=r" (v) : "r" (addr) : "memory");
	return v;
}

static inline GUEST_INLINE void writeb(uint8_t v, volatile void *addr)
{
	asm volatile("movb %b0, (%1)" : : "r" (v), "r" (addr) : "memory");
}

static inline GUEST_INLINE void writew(uint16_t v, volatile void *addr)
{
	asm volatile("movw %w0, (%1)" : : "r" (v), "r" (addr) : "memory");
}

static inline GUEST_INLINE void writel(uint32_t v, volatile void *addr)
{
	asm volatile("movl %k0, (%1)" : : "r" (v), "r" (addr) : "memory");
}

static inline GUEST_INLINE void writeq(uint64_t v, volatile void *addr)
{
	asm volatile("movq %q0, (%1)" : : "r" (v), "r" (addr) : "memory");
}

/* Port I/O, in and out with the port in DX. */
static inline GUEST_INLINE uint8_t inb(uint16_t port)
{
	uint8_t v;

	asm volatile("in %w1, %b0" : "=a" (v) : "d" (port) : "memory");
	return v;
}

static inline GUEST_INLINE uint16_t inw(uint16_t port)
{
	uint16_t v;

	asm volatile("in %w1, %w0" : "=a" (v) : "d" (port) : "memory");
	return v;
}

static inline GUEST_INLINE uint32_t inl(uint16_t port)
{
	uint32_t v;

	asm volatile("in %w1, %k0" : "=a" (v) : "d" (port) : "memory");
	return v;
}

static inline GUEST_INLINE void outb(uint8_t v, uint16_t port)
{
	asm volatile("out %b0, %w1" : : "a" (v), "d" (port) : "memory");
}

static inline GUEST_INLINE void outw(uint16_t v, uint16_t port)
{
	asm volatile("out %w0, %w1" : : "a" (v), "d" (port) : "memory");
}

static inline GUEST_INLINE void outl(uint32_t v, uint16_t port)
{
	asm volatile("out %k0, %w1" : : "a" (v), "d" (port) : "memory");
}

static inline GUEST_INLINE
void cpuid(uint32_t leaf, uint32_t subleaf, uint32_t *eax, uint32_t *ebx,
	   uint32_t *ecx, uint32_t *edx)
{
	asm volatile("cpuid"
		     : "=a" (*eax), "=b" (*ebx), "=c" (*ecx), "=d" (*edx)
		     : "a" (leaf), "c" (subleaf)
		     : "memory");
}

/* MSRs the kernel does not keep exit to userspace (AXVM_EXIT_SYSREG). */
static inline GUEST_INLINE uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	asm volatile("rdmsr" : "=a" (lo), "=d" (hi) : "c" (msr) : "memory");
	return (uint64_t)hi << 32 | lo;
}

static inline GUEST_INLINE void wrmsr(uint32_t msr, uint64_t v)
{
	asm volatile("wrmsr"
		     : : "c" (msr), "a" ((uint32_t)v), "d" ((uint32_t)(v >> 32))
		     : "memory");
}

static inline GUEST_INLINE uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	asm volatile("rdtsc" : "=a" (lo), "=d" (hi) : : "memory");
	return (uint64_t)hi << 32 | lo;
}

static inline GUEST_INLINE uint64_t read_cr0(void)
{
	uint64_t v;

	asm volatile("movq %%cr0, %0" : "=r" (v) : : "memory");
	return v;
}

static inline GUEST_INLINE uint64_t read_cr2(void)
{
	uint64_t v;

	asm volatile("movq %%cr2, %0" : "=r" (v) : : "memory");
	return v;
}

static inline GUEST_INLINE uint64_t read_cr3(void)
{
	uint64_t v;

	asm volatile("movq %%cr3, %0" : "=r" (v) : : "memory");
	return v;
}

static inline GUEST_INLINE uint64_t read_cr4(void)
{
	uint64_t v;

	asm volatile("movq %%cr4, %0" : "=r" (v) : : "memory");
	return v;
}

static inline GUEST_INLINE void hlt(void)
{
	asm volatile("hlt" : : : "memory");
}

/*
 * sti holds interrupts off for one more instruction: one already pending
 * is taken during the hlt, not before it, and so cannot be missed.
 */
static inline GUEST_INLINE void safe_halt(void)
{
	asm volatile("sti; hlt" : : : "memory");
}

static inline GUEST_INLINE void local_irq_enable(void)
{
	asm volatile("sti" : : : "memory");
}

static inline GUEST_INLINE void local_irq_disable(void)
{
	asm volatile("cli" : : : "memory");
}

#else /* neither arm64 nor riscv64 nor x86_64 */

/*
 * No guest library here: test_vm_create() fails with EOPNOTSUPP. These
 * stubs only let the guest half of a test compile, so that it can skip.
 */
static inline uint64_t guest_hvc(uint64_t fid, uint64_t a1, uint64_t a2,
				 uint64_t a3, uint64_t a4, uint64_t a5)
{
	return ~0ULL;
}

static inline uint64_t guest_smc(uint64_t fid, uint64_t a1, uint64_t a2,
				 uint64_t a3, uint64_t a4, uint64_t a5)
{
	return ~0ULL;
}

static inline uint64_t __guest_no_read(const volatile void *addr)
{
	return 0;
}

static inline void __guest_no_write(uint64_t v, volatile void *addr)
{
}

#define readb(a)		((uint8_t)__guest_no_read(a))
#define readw(a)		((uint16_t)__guest_no_read(a))
#define readl(a)		((uint32_t)__guest_no_read(a))
#define readq(a)		__guest_no_read(a)
#define writeb(v, a)		__guest_no_write(v, a)
#define writew(v, a)		__guest_no_write(v, a)
#define writel(v, a)		__guest_no_write(v, a)
#define writeq(v, a)		__guest_no_write(v, a)
#define read_sysreg(r)		0ULL
#define write_sysreg(v, r)	((void)(v))
#define isb()			do { } while (0)
#define wfi()			do { } while (0)
#define local_irq_enable()	do { } while (0)
#define local_irq_disable()	do { } while (0)

#define UCALL_HYPERCALL_NR	UCALL_FID
#define guest_ucall_hypercall(uc)	((void)(uc))

#endif /* __aarch64__, riscv64, x86_64 */

#endif /* AXVM_SELFTEST_GUEST_H */
