#ifndef MSTRAIN_CTRANSPOSE_SHIM_H
#define MSTRAIN_CTRANSPOSE_SHIM_H
/* An 8×8 block transpose of floats, which Swift's SIMD types have no shuffles for:
   destination[c * destinationStride + r] = source[r * sourceStride + c] for r, c < 8.
   AVX: eight loads, 24 shuffles, eight stores; elsewhere a plain loop. */
#if defined(__AVX__)
#include <immintrin.h>
static inline void mstrain_transpose8x8(const float *source, long sourceStride, float *destination, long destinationStride) {
    __m256 r0 = _mm256_loadu_ps(source), r1 = _mm256_loadu_ps(source + sourceStride);
    __m256 r2 = _mm256_loadu_ps(source + 2 * sourceStride), r3 = _mm256_loadu_ps(source + 3 * sourceStride);
    __m256 r4 = _mm256_loadu_ps(source + 4 * sourceStride), r5 = _mm256_loadu_ps(source + 5 * sourceStride);
    __m256 r6 = _mm256_loadu_ps(source + 6 * sourceStride), r7 = _mm256_loadu_ps(source + 7 * sourceStride);
    /* Pairs of rows interleaved, then pairs of pairs, then the 128-bit halves swapped. */
    __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
    __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
    __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
    __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
    __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    _mm256_storeu_ps(destination, _mm256_permute2f128_ps(u0, u4, 0x20));
    _mm256_storeu_ps(destination + destinationStride, _mm256_permute2f128_ps(u1, u5, 0x20));
    _mm256_storeu_ps(destination + 2 * destinationStride, _mm256_permute2f128_ps(u2, u6, 0x20));
    _mm256_storeu_ps(destination + 3 * destinationStride, _mm256_permute2f128_ps(u3, u7, 0x20));
    _mm256_storeu_ps(destination + 4 * destinationStride, _mm256_permute2f128_ps(u0, u4, 0x31));
    _mm256_storeu_ps(destination + 5 * destinationStride, _mm256_permute2f128_ps(u1, u5, 0x31));
    _mm256_storeu_ps(destination + 6 * destinationStride, _mm256_permute2f128_ps(u2, u6, 0x31));
    _mm256_storeu_ps(destination + 7 * destinationStride, _mm256_permute2f128_ps(u3, u7, 0x31));
}
#else
static inline void mstrain_transpose8x8(const float *source, long sourceStride, float *destination, long destinationStride) {
    for (long r = 0; r < 8; r++)
        for (long c = 0; c < 8; c++) destination[c * destinationStride + r] = source[r * sourceStride + c];
}
#endif
#endif
