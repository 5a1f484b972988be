import Foundation
#if canImport(Glibc)
import CMalloc
#endif

/// The memory this process uses (Linux and glibc; 0 where unknown).
public enum ProcessMemory {
    /// Bytes allocated and not yet freed, over every arena and every `mmap`ed block (glibc's
    /// `mallinfo2`: `uordblks + hblkhd`).
    public static var allocatedBytes: Int {
        #if canImport(Glibc)
        let info = mallinfo2()
        return Int(info.uordblks + info.hblkhd)
        #else
        return 0
        #endif
    }

    /// Returns the allocator's free memory to the system (glibc's `malloc_trim(0)`), so that
    /// the resident size is about what is allocated.
    public static func releaseFreedMemory() {
        #if canImport(Glibc)
        _ = malloc_trim(0)
        #endif
    }

    /// Sets the peak resident size to the current one (writes 5 to /proc/self/clear_refs);
    /// false when the system does not allow it.
    public static func resetPeakResident() -> Bool {
        guard let file = FileHandle(forWritingAtPath: "/proc/self/clear_refs") else { return false }
        defer { try? file.close() }
        return (try? file.write(contentsOf: Data("5".utf8))) != nil
    }

    /// Resident set size now (`VmRSS` of /proc/self/status).
    public static var residentBytes: Int { statusField("VmRSS:") }

    /// Peak resident set size so far (`VmHWM` of /proc/self/status).
    public static var peakResidentBytes: Int { statusField("VmHWM:") }

    /// A `kB` field of /proc/self/status, in bytes.
    private static func statusField(_ name: String) -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix(name) }),
              let kibibytes = Int(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
        return kibibytes * 1024
    }
}
