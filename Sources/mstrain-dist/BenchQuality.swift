import ArgumentParser
import Foundation
import MSDistributed
import MSTrain

/// `mstrain-dist bench quality`: every training mode on the same task, network and data, in
/// each data regime, and a table of time, work and quality.
struct BenchQuality: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quality",
        abstract: "Train single-scale, MGE, Full-Multiscale and progressive resizing from one seed and tabulate time, work and quality.",
        discussion: """
            For each data regime and each mode, one ordinary run directory OUTPUT/<regime>/<mode>/ (config.yaml, \
            log.jsonl, summary.json, weights.h5), one after another. Regimes: native (dead leaves drawn at full \
            detail), upsampled (drawn at a quarter of the resolution and upsampled), both by default; photos (the \
            12 nature photographs of the Debian package mate-backgrounds at native resolution, 1280×1024 to \
            2560×1920: 10 for training, the last 2 in name order for validation; every mode trains on augmented \
            crops of the preset's image size and validates on fixed crops: 32, 64 or 128). OUTPUT/table.md and \
            table.json list wall-clock and CPU seconds, work units, fine-mesh iterations, final validation \
            MSE/PSNR/SSIM, and the seconds and WU each mode needed to reach the target PSNR: single-scale's final \
            PSNR minus 0.1 dB (read from OUTPUT/<regime>/single when that mode is not rerun). Presets: quick (about \
            3 minutes on 2 cores: 32×32, tiny UNet), standard (denoising, UNet width 16, 64×64; about 20 minutes), \
            large (128×128; hours). --patch, --width and --spatial-shards replace the preset's values for every \
            mode. Data are generated or imported once into the cache folder ($MSTRAIN_CACHE_DIR or ~/.cache/mstrain). \
            Under mpirun every mode trains on all the ranks (as `train` does) and rank 0 writes the table; its CPU \
            seconds are rank 0's process, and a column 'CPU s, all ranks' adds up every rank's.
            """)

    @Option(help: "Preset: \(QualityPreset.names.joined(separator: ", ")).") var preset = "quick"
    @Option(help: "Benchmark directory (default bench-quality-<preset>).") var output: String?
    @Option(help: "Modes, comma-separated (default all: \(QualityMode.allCases.map(\.rawValue).joined(separator: ", "))).")
    var modes: String?
    @Option(help: "Regimes, comma-separated: \(QualityRegime.allCases.map(\.rawValue).joined(separator: ", ")) (default: \(QualityRegime.defaults.map(\.rawValue).joined(separator: ", "))).")
    var regimes: String?
    @Option(help: "Train every mode on P×P crops (default: whole images; the preset's image size for photos).") var patch: Int?
    @Option(help: "UNet base width of every mode (default: the preset's: quick 8, standard 16, large 32).") var width: Int?
    @Option(help: "Ranks per spatial group of every mode: each fine-level sample split into row strips over G ranks (default 1).")
    var spatialShards: Int?
    @Option(help: "BLAS threads per process (default: all cores for one process, 1 per rank under MPI; OPENBLAS_NUM_THREADS overrides).")
    var threads: Int?

    func run() throws {
        // Option errors are found before MPI starts and printed once, by launch rank 0.
        let launchRank = EnvironmentSettings.launchRank()
        let preset: QualityPreset, chosenModes: [QualityMode], chosenRegimes: [QualityRegime]
        do {
            try checkOptions()
            preset = QualityPreset.named(self.preset)!
            chosenModes = try names(modes, default: QualityMode.allCases, option: "--modes")
            chosenRegimes = try names(regimes, default: QualityRegime.defaults, option: "--regimes")
        } catch {
            if launchRank == 0 { FileHandle.standardError.write(Data("error: \(error)\n".utf8)) }
            throw ExitCode.validationFailure
        }
        let communicator = try makeCommunicatorReportingErrors(rank: launchRank)
        defer { communicator.finalize() }
        let reporter = ProgressReporter(quiet: !communicator.isRoot, parallel: EnvironmentSettings.launcher() == .mpi)
        configureThreads(threads, ranks: communicator.size)
        let overrides = QualityOverrides(patch: patch, width: width, spatialShards: spatialShards)
        try runCollectively(communicator) {
            let directory = output ?? "bench-quality-\(preset.name)"
            var rows: [QualityRow] = []
            var targets: [String: Double] = [:]
            var settings: [String] = []
            for regime in chosenRegimes {
                let data = try dataset(regime, preset: preset, communicator: communicator, log: reporter.log)
                func runDirectory(_ mode: QualityMode) -> String { "\(directory)/\(regime.rawValue)/\(mode.rawValue)" }
                settings.append(describe(regime, preset.configuration(.single, regime: regime, data: data,
                                                                      runDirectory: runDirectory(.single), overrides: overrides)))
                var regimeRows: [(QualityRow, String)] = []
                for mode in chosenModes {
                    let configuration = preset.configuration(mode, regime: regime, data: data, runDirectory: runDirectory(mode),
                                                             overrides: overrides)
                    reporter.log("== \(regime.rawValue) / \(mode.rawValue)")
                    let trainer = try Trainer(configuration: configuration, dataPath: data, reporter: reporter,
                                              communicator: communicator)
                    let cpuStart = processCPUSeconds()
                    let summary = try trainer.run()
                    let cpuAllRanks = communicator.allreduce(processCPUSeconds() - cpuStart, op: .sum)
                    reporter.log(String(format: "%@ / %@: %.0f WU, %.1f s, PSNR %.2f dB", regime.rawValue, mode.rawValue,
                                        summary.workUnits, summary.seconds, summary.validation.psnr))
                    guard communicator.isRoot else { continue }
                    var row = try QualityRow(regime: regime.rawValue, mode: mode.rawValue, runDirectory: runDirectory(mode))
                    if communicator.size > 1 { row.cpuSecondsAllRanks = cpuAllRanks }
                    regimeRows.append((row, runDirectory(mode)))
                }
                // Rank 0 alone holds the logs. The target comes from this benchmark's
                // single-scale run, rerun now or earlier.
                guard communicator.isRoot else { continue }
                if let single = try? QualityRow(regime: regime.rawValue, mode: QualityMode.single.rawValue,
                                                runDirectory: runDirectory(.single)) {
                    targets[regime.rawValue] = single.psnr - 0.1
                    for i in regimeRows.indices { try regimeRows[i].0.reach(single.psnr - 0.1, runDirectory: regimeRows[i].1) }
                }
                rows += regimeRows.map(\.0)
            }
            guard communicator.isRoot else { return }
            let table = QualityTable(preset: preset.name, command: (["mstrain-dist"] + CommandLine.arguments.dropFirst()).joined(separator: " "),
                                     machine: "\(ProcessInfo.processInfo.activeProcessorCount) cores, BLAS \(BLASInfo.description) per process",
                                     ranks: communicator.size, settings: settings, targets: targets, rows: rows)
            try table.write(to: directory)
            print(table.markdown)
            reporter.log("wrote \(directory)/table.md and table.json")
        }
    }

    /// The checks of single options (the names of --modes and --regimes are checked by `names`).
    private func checkOptions() throws {
        guard QualityPreset.named(preset) != nil else {
            throw ValidationError("--preset: unknown preset '\(preset)'; use one of \(QualityPreset.names.joined(separator: ", "))")
        }
        for (name, value) in [("--threads", threads), ("--patch", patch), ("--width", width), ("--spatial-shards", spatialShards)] {
            if let value, value < 1 { throw ValidationError("\(name) must be at least 1, got \(value)") }
        }
    }

    /// The data of `regime`, generated or imported into the cache folder by rank 0 first (the
    /// other ranks then find it there, or make their own copy where the folder is not shared).
    private func dataset(_ regime: QualityRegime, preset: QualityPreset, communicator: any Communicator,
                         log: (String) -> Void) throws -> String {
        func ensure() throws -> String {
            guard let deadLeaves = regime.deadLeaves else { return try DefaultDataset.ensurePhotos(log: log) }
            return try DefaultDataset.ensureDeadLeaves(size: preset.size, regime: deadLeaves, trainCount: preset.trainCount,
                                                       validCount: preset.validCount, seed: DefaultDataset.seed, log: log)
        }
        if communicator.isRoot {
            let path = try ensure()
            communicator.barrier()
            return path
        }
        communicator.barrier()
        return try ensure()
    }

    /// One line of the table's header on what `regime`'s runs train on.
    private func describe(_ regime: QualityRegime, _ c: TrainingConfiguration) -> String {
        let samples = c.patch.map { "\($0)×\($0) crops" + (c.augment ? " (flipped and turned at random)" : "") } ?? "whole images"
        let validation = c.patch == nil ? "the first \(c.validationCount) validation images" : "\(c.validationCount) fixed crops"
        let source = regime == .photos ? "the \(DefaultDataset.photosPackage) nature photographs (the last \(DefaultDataset.photosValidCount) for validation)"
            : "\(regime.rawValue) dead leaves"
        return "\(regime.rawValue): \(samples) of \(source); validation on \(validation); UNet width \(c.width.map(String.init) ?? "default"); "
            + "\(c.spatialShards) rank(s) per spatial group"
    }

    /// The cases named in a comma-separated `list` (`defaults` when nil), in the order given.
    private func names<Name: RawRepresentable & CaseIterable>(_ list: String?, default defaults: [Name], option: String) throws -> [Name]
    where Name.RawValue == String {
        guard let list else { return defaults }
        return try list.split(separator: ",").map { part in
            let text = part.trimmingCharacters(in: .whitespaces)
            guard let name = Name(rawValue: text) else {
                throw BenchQualityError.unknownName(option: option, value: text, known: Name.allCases.map(\.rawValue))
            }
            return name
        }
    }
}

/// CPU seconds of this process so far, all its threads together.
private func processCPUSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}
