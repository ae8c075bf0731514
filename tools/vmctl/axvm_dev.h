/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMCTL_AXVM_DEV_H
#define VMCTL_AXVM_DEV_H

/*
 * Open the axvm device @dev and check that it speaks vmctl's API version.
 * Returns the fd, or -1 after one line on stderr saying what to do: load
 * the module, join the axvm group, enroll the Secure Boot key.
 */
int axvm_dev_open(const char *dev);

#endif
