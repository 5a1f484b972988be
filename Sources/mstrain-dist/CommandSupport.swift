import ArgumentParser
import Foundation
import MSDistributed
import MSTensor
import MSTrain

/// Runs `body`; an error a user can cause becomes one line on standard error and the exit status
/// of its kind (`ExitStatus`), with no stack trace.
func runReportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as ValidationError {
        throw error
    } catch let error as ExitCode {
        throw error
    } catch {
        FileHandle.standardError.write(Data("error: \(error)\n".utf8))
        throw ExitStatus.exitCode(for: error)
    }
}

/// Sets the BLAS thread count: `requested`, else `OPENBLAS_NUM_THREADS` if the user set it,
/// else every core for a single process and one thread per rank under MPI.
func configureThreads(_ requested: Int?, ranks: Int = 1) {
    if let requested { BLAS.threadCount = max(1, requested); return }
    if let value = EnvironmentSettings.blasThreads() {
        BLAS.threadCount = max(1, value)
        return
    }
    BLAS.threadCount = ranks > 1 ? 1 : ProcessInfo.processInfo.activeProcessorCount
}

extension TrainingOptions {
    /// The resolved configuration, with its data file checked (read once in a child process, then
    /// its layout against the options), before MPI starts: an error is
    /// printed once, by launch rank 0, and every rank exits with 64 (invalid options) or the
    /// status of the data file's problem (`ExitStatus`; 65 for options the data cannot take).
    func resolveBeforeLaunch(launchRank: Int) throws -> TrainingConfiguration {
        func report(_ error: Error) {
            if launchRank == 0 { FileHandle.standardError.write(Data("error: \(error)\n".utf8)) }
        }
        let configuration: TrainingConfiguration
        do { configuration = try resolve() } catch {
            report(error)
            throw ExitCode.validationFailure
        }
        do {
            if let data = configuration.data {
                try checkDatasetInChildProcess(data)
                try configuration.checkData(at: data)
            }
        } catch {
            // Options that this data cannot take (too many levels for its size, say) are a
            // mismatch with the data file, reported as such.
            report(error)
            throw error is ConfigurationError ? ExitCode(ExitStatus.dataError) : ExitStatus.exitCode(for: error)
        }
        return configuration
    }
}

/// The communicator for this launch; an error starting it is printed by rank `rank` 0 only.
func makeCommunicatorReportingErrors(rank: Int) throws -> any Communicator {
    do { return try makeCommunicator() } catch {
        if rank == 0 { FileHandle.standardError.write(Data("error: \(error)\n".utf8)) }
        throw ExitCode.failure
    }
}

/// Runs `body` on every rank. A thrown error ends the whole job with the exit status of its kind
/// (`ExitStatus`): with one rank it is printed as one line; with several, the failing rank
/// prints it and aborts every rank (no rank is left waiting in a collective). A
/// `CollectiveError`, thrown by every rank alike, is printed by rank 0 and ends every rank
/// without an abort.
func runCollectively(_ communicator: any Communicator, _ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as ExitCode {
        throw error
    } catch let error as CollectiveError {
        if communicator.isRoot { FileHandle.standardError.write(Data("error: \(error)\n".utf8)) }
        throw ExitStatus.exitCode(for: error)
    } catch {
        if communicator.size > 1 { communicator.abort(message: "error: \(error)", code: ExitStatus.code(for: error)) }
        FileHandle.standardError.write(Data("error: \(error)\n".utf8))
        throw ExitStatus.exitCode(for: error)
    }
}

/// "kernel Haswell, 2 threads".
enum BLASInfo {
    static var description: String { "kernel \(BLAS.coreName), \(BLAS.threadCount) thread(s)" }
}
