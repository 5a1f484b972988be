import ArgumentParser
import Foundation
import MSTensor

/// Runs `body`; an error a user can cause becomes one line on standard error and exit code 1,
/// with no stack trace.
func runReportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as ValidationError {
        throw error
    } catch let error as ExitCode {
        throw error
    } catch {
        FileHandle.standardError.write(Data("error: \(error)\n".utf8))
        throw ExitCode.failure
    }
}

/// Sets the BLAS thread count: `requested`, else `OPENBLAS_NUM_THREADS` if the user set it,
/// else every core.
func configureThreads(_ requested: Int?) {
    if let requested { BLAS.threadCount = max(1, requested); return }
    if ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"] != nil { return }
    BLAS.threadCount = ProcessInfo.processInfo.activeProcessorCount
}

/// "kernel Haswell, 2 threads".
enum BLASInfo {
    static var description: String { "kernel \(BLAS.coreName), \(BLAS.threadCount) thread(s)" }
}
