import ArgumentParser
import MSData
import MSNN
import MSTrain

/// The exit status of a command that ends with an error, by kind of error (the BSD
/// `sysexits.h` values, so scripts can tell the kinds apart):
///
/// | status | meaning |
/// |---|---|
/// | 1 | the run failed (a non-finite loss with `--on-non-finite stop`, an MPI or other error) |
/// | 64 | invalid options or configuration file |
/// | 65 | an input file has the wrong content: damaged, truncated, not HDF5, wrong layout, shape or type, an incompatible checkpoint or weights file; or options the data cannot take (more levels than its size allows) |
/// | 66 | an input file is missing or cannot be read (permissions; a checkpoint or weights path that is a folder) |
/// | 70 | the ranks' parameters differ at the end of a run (`--check-replicas`) |
/// | 73 | an output file or the run directory cannot be written |
/// | 75 | stopped by SIGTERM/SIGUSR1 after writing a checkpoint (continue with `--resume auto`) |
enum ExitStatus {
    static let runFailed: Int32 = 1
    static let usage: Int32 = 64
    static let dataError: Int32 = 65
    static let noInput: Int32 = 66
    static let replicasDiffer: Int32 = 70
    static let cannotCreate: Int32 = 73

    /// The status for `error`.
    static func code(for error: Error) -> Int32 {
        switch error {
        case let error as DataError:
            switch error {
            case .missingFile, .notReadable: return noInput
            case .cannotWrite: return cannotCreate
            case .invalidOption: return usage
            default: return dataError
            }
        case let error as HDF5SealError:
            return error.isInaccessible ? noInput : dataError
        case CheckpointError.inaccessible, WeightsFileError.inaccessible:
            return noInput
        case let error as ConfigurationError:
            if case .unreadable = error { return noInput }
            return usage
        case is CheckpointError, is WeightsFileError, is ModelError:
            return dataError
        case is RunDirectoryError:
            return cannotCreate
        default:
            return runFailed
        }
    }

    /// `ExitCode` for `error`.
    static func exitCode(for error: Error) -> ExitCode { ExitCode(code(for: error)) }
}
