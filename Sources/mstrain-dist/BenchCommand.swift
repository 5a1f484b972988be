import ArgumentParser

/// `mstrain-dist bench`: benchmarks that print tables.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Benchmarks that print tables.",
        subcommands: [BenchKernels.self, BenchStep.self, BenchScaling.self, BenchQuality.self])
}
