import ArgumentParser
import MSTensor

/// The `mstrain-dist` command: multiscale training of convolutional networks.
@main
struct MStrainDist: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mstrain-dist",
        abstract: "Multiscale training of convolutional networks (multilevel gradient estimation, Full-Multiscale).",
        subcommands: [TrainCommand.self, EvalCommand.self, DiagnoseCommand.self, DataCommand.self, BenchCommand.self])

    static func main() {
        AllocatorTuning.retainFreedMemory()
        main(nil)
    }
}
