#ifndef MSTRAIN_COPENBLAS_SHIM_H
#define MSTRAIN_COPENBLAS_SHIM_H
#include <cblas.h>
/* Declared by OpenBLAS's cblas.h as well; repeated so the module surface is explicit. */
char *openblas_get_corename(void);
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
#endif
