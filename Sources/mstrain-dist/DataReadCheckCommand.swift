import ArgumentParser
import Foundation
import MSData

/// `mstrain-dist data read-check FILE` (hidden): reads a dataset file completely; run as the
/// child process of `HDF5ReadCheck`, which turns a crash or hang of HDF5 into a clean error.
struct DataReadCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "read-check", abstract: "Read every object of a dataset file (used internally).", shouldDisplay: false)

    @Argument(help: "The dataset file.") var file: String

    func run() throws {
        try HDF5ReadCheck.readDataset(at: file)
    }
}

/// Reads the dataset at `path` once in a child process (`data read-check`) before this process
/// does, so that a file that crashes or hangs the HDF5 library becomes a clean
/// `DataError.damaged` here.
func checkDatasetInChildProcess(_ path: String) throws {
    let executable = Bundle.main.executablePath ?? CommandLine.arguments[0]
    try HDF5ReadCheck.inChildProcess(path, command: [executable, "data", "read-check"])
}
