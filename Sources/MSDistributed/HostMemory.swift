import Foundation

/// The memory this process's host lets its processes use.
public enum HostMemory {
    /// The host's physical memory, or the memory limit of the control group the process runs
    /// in when that is lower (a Slurm job's `--mem`, a container's limit): cgroup v2's
    /// `memory.max`, else cgroup v1's `memory.limit_in_bytes`.
    public static func limitBytes() -> Int {
        let physical = Int(clamping: ProcessInfo.processInfo.physicalMemory)
        let limits = ["/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"].compactMap { path -> Int? in
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
            return Int(text.trimmingCharacters(in: .whitespacesAndNewlines))   // "max" (no limit) gives nil
        }
        return ([physical] + limits).filter { $0 > 0 }.min()!
    }
}
