import ArgumentParser
import Foundation

/// `mstrain-dist data`: dataset tools.
struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data", abstract: "Create, import and inspect HDF5 datasets.",
        subcommands: [DataSynthCommand.self, DataImportCommand.self, DataInfoCommand.self, DataReadCheckCommand.self])
}

/// `--output FILE` of the commands that write a dataset.
struct DataOutputOptions: ParsableArguments {
    @Option(help: "Dataset file to write (replaced atomically: written beside it, then renamed).")
    var output: String

    func validate() throws {
        let folder = URL(fileURLWithPath: output).deletingLastPathComponent().path
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
            throw ValidationError("--output \(output): the folder \(folder) does not exist")
        }
        guard !FileManager.default.fileExists(atPath: output, isDirectory: &isFolder) || !isFolder.boolValue else {
            throw ValidationError("--output \(output) is a folder; give a file name")
        }
    }
}

/// Seconds elapsed since `start`, for one-line summaries.
func secondsSince(_ start: ContinuousClock.Instant) -> String {
    let elapsed = ContinuousClock.now - start
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    return String(format: "%.2f s", seconds)
}
