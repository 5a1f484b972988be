#ifndef MSTRAIN_CMALLOC_SHIM_H
#define MSTRAIN_CMALLOC_SHIM_H
/* glibc's allocator controls (mallopt), which Swift's Glibc module does not export. */
#include <malloc.h>
#endif
