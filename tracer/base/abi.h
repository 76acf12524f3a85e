/* abi.h: the calling conventions arguments are read under (the ISA layer reads them). */
#ifndef MAPVIZ_BASE_ABI_H
#define MAPVIZ_BASE_ABI_H

enum call_abi {
	ABI_C,       /* the platform's C ABI (System V on x86-64) */
	ABI_GO_REGS  /* Go's register ABI (ABIInternal, Go 1.17 on amd64) */
};

#endif
