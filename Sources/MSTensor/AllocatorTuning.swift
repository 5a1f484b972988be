#if canImport(Glibc)
import CMalloc
#endif

/// Allocator settings for a training process.
///
/// Activations are tens of MiB each and are allocated and freed every layer. By default glibc
/// serves such blocks with `mmap` and returns them on `free`, so every new tensor is
/// page-faulted in again (measured: a 32 MiB copy took ~40 ms instead of ~5 ms). Keeping large
/// blocks on the heap and never trimming it lets freed memory be reused at full speed.
public enum AllocatorTuning {
    /// Serves every allocation from the heap and keeps freed memory (glibc only; a no-op
    /// elsewhere). Call once at process start, before large allocations.
    public static func retainFreedMemory() {
        #if canImport(Glibc)
        _ = mallopt(M_MMAP_MAX, 0)
        _ = mallopt(M_TRIM_THRESHOLD, Int32.max)
        #endif
    }
}
