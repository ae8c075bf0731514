// SPDX-License-Identifier: GPL-2.0
/*
 * reboot_spin FD: a VM whose vCPUs (one per online CPU, up to four) run
 * without end, each exiting to this process in a loop, for /init to
 * power the machine off under them. Once every vCPU has run, one byte
 * goes to FD; the process then waits for the end. The reboot notifier
 * takes virtualization back from every CPU while the vCPUs run: each
 * RUN must then fail with EIO, and the kernel must print no splat on the
 * way down (the lane's health check reads the log to its end).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "axvm_util.h"
#include "test_vm.h"

#define MAX_VCPUS	4

static atomic_int started;

GUEST_CODE static void guest_spin(void)
{
	uint64_t i, j;

	for (i = 0;; i++) {
		for (j = 0; j < 1024; j++)
			asm volatile("" : : : "memory");
		GUEST_SYNC(i);
	}
}

static void *vcpu_thread(void *arg)
{
	struct test_vcpu *v = arg;
	bool counted = false;
	int ret;

	for (;;) {
		ret = test_vcpu_run_exit(v);
		if (ret != AXVM_EXIT_HYPERCALL)
			break;
		if (!counted) {
			counted = true;
			atomic_fetch_add(&started, 1);
		}
	}
	printf("reboot_spin: vCPU %u: %s\n", v->id,
	       ret < 0 ? strerror(-ret) : "exit");
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t threads[MAX_VCPUS];
	struct test_vm *vm;
	int fd, i, n;

	if (argc != 2)
		return 2;
	fd = atoi(argv[1]);
	n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n > MAX_VCPUS)
		n = MAX_VCPUS;
	vm = test_vm_create();
	if (!vm) {
		perror("reboot_spin: test_vm_create");
		return 1;
	}
	for (i = 0; i < n; i++) {
		struct test_vcpu *v = test_vcpu_add_default(vm, i, guest_spin,
							    0);

		if (!v || pthread_create(&threads[i], NULL, vcpu_thread, v)) {
			fprintf(stderr, "reboot_spin: vCPU %d failed\n", i);
			return 1;
		}
	}
	while (atomic_load(&started) < n)
		usleep(1000);
	if (write(fd, "r", 1) != 1)
		return 1;
	close(fd);
	for (i = 0; i < n; i++)
		pthread_join(threads[i], NULL);
	/* Everything ran down: wait for the power-off. */
	for (;;)
		pause();
}
