import ArgumentParser

/// The `mstrain-dist` command: multiscale training of convolutional networks.
@main
struct MStrainDist: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mstrain-dist",
        abstract: "Multiscale training of convolutional networks (multilevel gradient estimation, Full-Multiscale).",
        subcommands: [DataCommand.self, BenchCommand.self])
}
