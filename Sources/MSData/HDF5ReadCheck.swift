import Foundation

/// Dataset files come from anywhere, and a damaged one can make the HDF5 library itself crash
/// (SIGSEGV) or loop while it parses the file's metadata, before any check of ours runs. So a
/// program reads such a file completely once in a child process first: if HDF5 crashes or hangs
/// there, the parent reports the file as damaged instead of crashing. When the child reads the
/// file (or ends with a clean error, which the parent then meets again and reports itself), the
/// parent goes on with the same reads, which HDF5 performs identically on the same bytes.
public enum HDF5ReadCheck {
    /// Reads everything the program reads from a dataset file: the description (root attributes,
    /// each split's shape and type) and every sample of every non-empty split. This is what the
    /// child process runs.
    public static func readDataset(at path: String) throws {
        let description = try DatasetDescription(path: path)
        for split in description.splits where split.count > 0 {
            _ = try ImageDataset(path: path, split: split.split, memoryBudgetBytes: 0).pixelStatistics()
        }
    }

    /// Seconds the child may take for a file of `bytes`: 10 s plus 1 s per 50 MB.
    public static func timeLimit(bytes: Int) -> Double { 10 + Double(bytes) / 50e6 }

    /// Runs `command + [path]` as a child process, which must call `readDataset(at: path)` and
    /// exit 0, or 1 or 64 after a clean error. Throws `DataError.damaged` if it dies by a signal,
    /// ends with another status or runs past `seconds` (default `timeLimit` of the file's size;
    /// it is then killed), and `.readCheckFailed` if it cannot be started. The child's output
    /// is discarded.
    public static func inChildProcess(_ path: String, command: [String], seconds: Double? = nil) throws {
        precondition(!command.isEmpty, "HDF5ReadCheck: empty command")
        let bytes = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        let limit = seconds ?? timeLimit(bytes: bytes)
        var environment = ProcessInfo.processInfo.environment
        environment["SWIFT_BACKTRACE"] = "enable=no"   // a crash ends the child at once
        let child = try spawn(command + [path], environment: environment, path: path)
        let deadline = Date(timeIntervalSinceNow: limit)
        var status: Int32 = 0
        while true {
            let finished = waitpid(child, &status, WNOHANG)
            if finished == child { break }
            guard finished == 0 || errno == EINTR else {
                throw DataError.readCheckFailed(path: path, reason: "waiting for the child failed: \(String(cString: strerror(errno)))")
            }
            guard Date() < deadline else {
                kill(child, SIGKILL)
                _ = waitpid(child, &status, 0)
                throw DataError.damaged(path: path, reason: String(format: "reading it did not end within %.0f s", limit))
            }
            usleep(5_000)
        }
        let signal = status & 0x7f, exitStatus = (status >> 8) & 0xff   // WTERMSIG, WEXITSTATUS
        if signal != 0 { throw DataError.damaged(path: path, reason: "reading it crashed with signal \(signal)") }
        if ![0, 1, 64].contains(exitStatus) {
            throw DataError.damaged(path: path, reason: "reading it ended with status \(exitStatus)")
        }
    }

    /// Starts `arguments` (the first is the executable's path) with standard input, output and
    /// error on /dev/null. Returns its process id.
    private static func spawn(_ arguments: [String], environment: [String: String], path: String) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for descriptor: Int32 in [0, 1, 2] {
            posix_spawn_file_actions_addopen(&actions, descriptor, "/dev/null", descriptor == 0 ? O_RDONLY : O_WRONLY, 0)
        }
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var child: pid_t = 0
        let result = posix_spawn(&child, arguments[0], &actions, nil, argv, envp)
        guard result == 0 else {
            throw DataError.readCheckFailed(path: path, reason: "cannot start \(arguments[0]): \(String(cString: strerror(result)))")
        }
        return child
    }
}
