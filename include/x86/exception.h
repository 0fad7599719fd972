/* Exception vectors (Intel SDM Vol. 3A, 6.3.1, Table 6-1) and the page-fault error code bits keyhole reads. */
#ifndef KEYHOLE_X86_EXCEPTION_H
#define KEYHOLE_X86_EXCEPTION_H

#define EXC_DE 0
#define EXC_DB 1
#define EXC_NMI 2
#define EXC_BP 3
#define EXC_UD 6
#define EXC_DF 8
#define EXC_GP 13
#define EXC_PF 14
#define EXC_COUNT 32 /* vectors 0-31 are the architecture's */

#define PF_ERR_PRESENT (1u << 0)
#define PF_ERR_WRITE (1u << 1)

#endif
