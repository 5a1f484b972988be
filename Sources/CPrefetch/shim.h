#ifndef MSTRAIN_CPREFETCH_SHIM_H
#define MSTRAIN_CPREFETCH_SHIM_H
/* Software prefetch (GCC/Clang's __builtin_prefetch: read, keep in all cache levels), which
   Swift has no spelling for. A hint: it never faults, whatever the address. */
static inline void mstrain_prefetch(const void *address) { __builtin_prefetch(address, 0, 3); }
#endif
