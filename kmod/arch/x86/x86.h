/* SPDX-License-Identifier: GPL-2.0 */
/* Inside the x86 backend: the VMX and SVM halves and what they share. */
#ifndef AXVM_X86_H
#define AXVM_X86_H

#include "../../axvm.h"

int axvm_vmx_probe(void);
void axvm_vmx_release(void);
int axvm_vmx_cpu_enable(void);
void axvm_vmx_cpu_disable(void);

int axvm_svm_probe(void);
void axvm_svm_release(void);
int axvm_svm_cpu_enable(void);
void axvm_svm_cpu_disable(void);

#endif /* AXVM_X86_H */
