import ArgumentParser
import Foundation
import MSTrain

/// `mstrain-dist bench quality`: every training mode on the same task, network and data, in
/// both data regimes, and a table of time, work and quality.
struct BenchQuality: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quality",
        abstract: "Train single-scale, MGE, Full-Multiscale and progressive resizing from one seed and tabulate time, work and quality.",
        discussion: """
            For each data regime (native detail; drawn at a quarter of the resolution and upsampled) and each mode, \
            one ordinary run directory OUTPUT/<regime>/<mode>/ (config.yaml, log.jsonl, summary.json, weights.h5), \
            one after another in this process. OUTPUT/table.md and table.json list wall-clock and CPU seconds, work \
            units, fine-mesh iterations, final validation MSE/PSNR/SSIM, and the seconds and WU each mode needed to \
            reach the target PSNR: single-scale's final PSNR minus 0.1 dB (read from OUTPUT/<regime>/single when that \
            mode is not rerun). Presets: quick (about 3 minutes on 2 cores: 32×32, tiny UNet), standard (denoising, \
            UNet width 16, 64×64; about 20 minutes), large (128×128; hours). Data are generated once into the cache \
            folder.
            """)

    @Option(help: "Preset: \(QualityPreset.names.joined(separator: ", ")).") var preset = "quick"
    @Option(help: "Benchmark directory (default bench-quality-<preset>).") var output: String?
    @Option(help: "Modes, comma-separated (default all: \(QualityMode.allCases.map(\.rawValue).joined(separator: ", "))).")
    var modes: String?
    @Option(help: "Regimes, comma-separated (default both: native, upsampled).") var regimes: String?
    @Option(help: "BLAS threads (default: all cores).") var threads: Int?

    func validate() throws {
        guard QualityPreset.named(preset) != nil else {
            throw ValidationError("--preset: unknown preset '\(preset)'; use one of \(QualityPreset.names.joined(separator: ", "))")
        }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
    }

    func run() throws {
        try runReportingErrors {
            let preset = QualityPreset.named(preset)!
            let chosenModes = try names(modes, QualityMode.self, option: "--modes")
            let chosenRegimes = try names(regimes, QualityRegime.self, option: "--regimes")
            configureThreads(threads)
            let directory = output ?? "bench-quality-\(preset.name)"
            let reporter = ProgressReporter()
            var rows: [QualityRow] = []
            var targets: [String: Double] = [:]
            for regime in chosenRegimes {
                let data = try DefaultDataset.ensureDeadLeaves(size: preset.size, regime: regime.deadLeaves, trainCount: preset.trainCount,
                                                               validCount: preset.validCount, seed: DefaultDataset.seed, log: reporter.log)
                func runDirectory(_ mode: QualityMode) -> String { "\(directory)/\(regime.rawValue)/\(mode.rawValue)" }
                var regimeRows: [(QualityRow, String)] = []
                for mode in chosenModes {
                    let configuration = preset.configuration(mode, data: data, runDirectory: runDirectory(mode))
                    reporter.log("== \(regime.rawValue) / \(mode.rawValue)")
                    let trainer = try Trainer(configuration: configuration, dataPath: data, reporter: reporter)
                    let summary = try trainer.run()
                    reporter.log(String(format: "%@ / %@: %.0f WU, %.1f s, PSNR %.2f dB", regime.rawValue, mode.rawValue,
                                        summary.workUnits, summary.seconds, summary.validation.psnr))
                    regimeRows.append((try QualityRow(regime: regime.rawValue, mode: mode.rawValue, runDirectory: runDirectory(mode)),
                                       runDirectory(mode)))
                }
                // The target comes from this benchmark's single-scale run, rerun now or earlier.
                if let single = try? QualityRow(regime: regime.rawValue, mode: QualityMode.single.rawValue,
                                                runDirectory: runDirectory(.single)) {
                    targets[regime.rawValue] = single.psnr - 0.1
                    for i in regimeRows.indices { try regimeRows[i].0.reach(single.psnr - 0.1, runDirectory: regimeRows[i].1) }
                }
                rows += regimeRows.map(\.0)
            }
            let table = QualityTable(preset: preset.name, command: (["mstrain-dist"] + CommandLine.arguments.dropFirst()).joined(separator: " "),
                                     machine: "\(ProcessInfo.processInfo.activeProcessorCount) cores, BLAS \(BLASInfo.description)",
                                     targets: targets, rows: rows)
            try table.write(to: directory)
            print(table.markdown)
            reporter.log("wrote \(directory)/table.md and table.json")
        }
    }

    /// The cases named in a comma-separated `list` (all cases when nil), in the order given.
    private func names<Name: RawRepresentable & CaseIterable>(_ list: String?, _: Name.Type, option: String) throws -> [Name]
    where Name.RawValue == String {
        guard let list else { return Array(Name.allCases) }
        return try list.split(separator: ",").map { part in
            let text = part.trimmingCharacters(in: .whitespaces)
            guard let name = Name(rawValue: text) else {
                throw BenchQualityError.unknownName(option: option, value: text, known: Name.allCases.map(\.rawValue))
            }
            return name
        }
    }
}
