#ifndef MSTRAIN_CFFTW_SHIM_H
#define MSTRAIN_CFFTW_SHIM_H
/* FFTW 3, single precision (fftwf_*): the split-array guru interface and its new-array execute. */
#include <fftw3.h>
#endif
