import ArgumentParser
import Foundation
import MSDistributed
import MSTensor

/// The `mstrain-dist` command: multiscale training of convolutional networks.
@main
struct MStrainDist: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mstrain-dist",
        abstract: "Multiscale training of convolutional networks (multilevel gradient estimation, Full-Multiscale).",
        subcommands: [TrainCommand.self, EvalCommand.self, RestoreCommand.self, DiagnoseCommand.self, DataCommand.self, BenchCommand.self,
                      ReportCommand.self])

    /// Parses and runs the command. Under an MPI launcher every rank parses the same
    /// arguments, so a parse or validation error is printed by rank 0 only; every rank exits
    /// with its code.
    static func main() {
        AllocatorTuning.retainFreedMemory()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            if EnvironmentSettings.launchRank() == 0 { exit(withError: error) }
            Foundation.exit(exitCode(for: error).rawValue)
        }
    }
}
