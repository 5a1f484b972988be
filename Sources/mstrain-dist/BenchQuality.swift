import ArgumentParser
import Foundation
import MSDistributed
import MSMultiscale
import MSTasks
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
            MSE/PSNR/SSIM, and the seconds and WU each run needed to reach the target PSNR (the best single-scale \
            final PSNR minus 0.1 dB) and the gain targets (--targets: 80, 90, 95 and 99 % of the best single-scale \
            run's PSNR gain over the noisy inputs); a second table gives each mode's fastest run to each gain target \
            and its speed-up over the fastest single-scale run, and OUTPUT/psnr-cpu-<regime>.svg plots validation \
            PSNR against CPU seconds. Single-scale runs of the same configurations are read back when single is not \
            in --modes. --sweep trains single-scale over --batches × --learning-rates and the other modes over \
            --learning-rates, each run in OUTPUT/<regime>/<mode>-b<batch>-lr<rate>/; --epochs E gives every run the \
            same planned work, E passes over the training set; --reuse reads back finished runs of the same \
            configuration instead of training them again. Presets: quick (about \
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
    @Option(help: "Train every mode on P×P crops (default: whole images; the preset's image size for photos). Dead-leaves crops larger than the preset's images are cut from 64 + 4 generated images of (2P)².")
    var patch: Int?
    @Option(help: "UNet base width of every mode (default: the preset's: quick 8, standard 16, large 32).") var width: Int?
    @Option(help: "Ranks per spatial group of every mode: each fine-level sample split into row strips over G ranks (default 1).")
    var spatialShards: Int?
    @Option(help: "Validation images of every mode, or fixed crops when the samples are crops (default: the preset's: quick 16, standard 32, large 64; photographs 32, 64, 128).")
    var validationCount: Int?
    @Option(help: "Restriction of the modes with coarse levels (every mode but single): inject or average (default: the preset's, inject); their run names end in -<restriction>-<conditioning> when this or --level-conditioning is given.")
    var restriction: Restriction?
    @Option(help: "Level conditioning of the modes with coarse levels: drawn or restricted (default: the preset's, drawn).")
    var levelConditioning: LevelConditioning?
    @Option(help: "BLAS threads per process (default: all cores for one process, 1 per rank under MPI; OPENBLAS_NUM_THREADS overrides).")
    var threads: Int?
    @Flag(help: "Sweep: single-scale over --batches × --learning-rates, every other mode over --multiscale-batches × --learning-rates, each run in OUTPUT/<regime>/<mode>-b<batch>-lr<rate>/ (default modes: \(QualityPlan.sweepModes.map(\.rawValue).joined(separator: ", "))).")
    var sweep = false
    @Option(help: "Single-scale batches of a sweep, comma-separated (default \(QualityPlan.sweepBatches.map(String.init).joined(separator: ","))).")
    var batches: String?
    @Option(help: "Batches of the other modes in a sweep, comma-separated (default: the preset's; MGE takes N_0 = batch/2 or batch/4).")
    var multiscaleBatches: String?
    @Option(help: "Learning rates of a sweep, comma-separated (default \(QualityPlan.sweepLearningRates.map { QualityPlan.rateLabel($0) }.joined(separator: ","))).")
    var learningRates: String?
    @Option(help: "Horizon: every run plans E passes over the training set in work units (the preset's training images; crops of as many for photos), validating about \(QualityPlan.horizonValidations) times (default: the preset's steps).")
    var epochs: Double?
    @Option(help: "Validations of each run with --epochs, evenly over its planned work (default \(QualityPlan.horizonValidations)).")
    var validations: Int?
    @Option(help: "Gain targets, percent of the best single-scale run's PSNR gain over the noisy inputs, comma-separated (default \(QualityPlan.defaultTargetPercents.map { String(format: "%g", $0) }.joined(separator: ","))).")
    var targets: String?
    @Flag(help: "Read back, instead of training again, every run whose directory holds a finished run of the same configuration.")
    var reuse = false

    func run() throws {
        // Option errors are found before MPI starts and printed once, by launch rank 0.
        let launchRank = EnvironmentSettings.launchRank()
        let preset: QualityPreset, chosenModes: [QualityMode], chosenRegimes: [QualityRegime], plan: QualityPlan
        do {
            try checkOptions()
            preset = QualityPreset.named(self.preset)!
            plan = try QualityPlan(preset: preset, sweep: sweep, batches: batches, multiscaleBatches: multiscaleBatches,
                                   learningRates: learningRates, epochs: epochs, validations: validations, targets: targets)
            chosenModes = try names(modes, default: sweep ? QualityPlan.sweepModes : QualityMode.allCases, option: "--modes")
            chosenRegimes = try names(regimes, default: QualityRegime.defaults, option: "--regimes")
        } catch {
            if launchRank == 0 { FileHandle.standardError.write(Data("error: \(error)\n".utf8)) }
            throw ExitCode.validationFailure
        }
        let communicator = try makeCommunicatorReportingErrors(rank: launchRank)
        defer { communicator.finalize() }
        let reporter = ProgressReporter(quiet: !communicator.isRoot, parallel: EnvironmentSettings.launcher() == .mpi)
        configureThreads(threads, ranks: communicator.size)
        let overrides = QualityOverrides(patch: patch, width: width, spatialShards: spatialShards, validationCount: validationCount,
                                         restriction: restriction, levelConditioning: levelConditioning)
        try runCollectively(communicator) {
            let directory = output ?? "bench-quality-\(preset.name)"
            var rows: [QualityRow] = []
            var targets: [String: Double] = [:], gainTargets: [String: GainTargets] = [:]
            var comparisons: [QualityComparison] = []
            var settings: [String] = []
            for regime in chosenRegimes {
                let data = try dataset(regime, preset: preset, patch: patch, communicator: communicator, log: reporter.log)
                func runDirectory(_ run: QualityRun) -> String { "\(directory)/\(regime.rawValue)/\(run.name)" }
                func configuration(_ run: QualityRun) throws -> TrainingConfiguration {
                    try preset.configuration(run, regime: regime, data: data, runDirectory: runDirectory(run), overrides: overrides,
                                             plan: plan)
                }
                let singleRuns = plan.runs(of: [.single])
                settings.append(describe(regime, try configuration(singleRuns[0])))
                var regimeRows: [QualityRow] = []
                for run in plan.runs(of: chosenModes).map(overrides.named) {
                    let configuration = try configuration(run)
                    if reuse, try isFinished(runDirectory(run), as: configuration, communicator: communicator) {
                        reporter.log("== \(regime.rawValue) / \(run.name): read back (finished, same configuration)")
                        if communicator.isRoot {
                            regimeRows.append(try QualityRow(regime: regime.rawValue, run: run, runDirectory: runDirectory(run), trained: false))
                        }
                        continue
                    }
                    reporter.log("== \(regime.rawValue) / \(run.name)")
                    let trainer = try Trainer(configuration: configuration, dataPath: data, reporter: reporter,
                                              communicator: communicator)
                    let cpuStart = processCPUSeconds()
                    let summary = try trainer.run()
                    let cpuAllRanks = communicator.allreduce(processCPUSeconds() - cpuStart, op: .sum)
                    reporter.log(String(format: "%@ / %@: %.0f WU, %.1f s, PSNR %.2f dB", regime.rawValue, run.name,
                                        summary.workUnits, summary.seconds, summary.validation.psnr))
                    guard communicator.isRoot else { continue }
                    var row = try QualityRow(regime: regime.rawValue, run: run, runDirectory: runDirectory(run), trained: true)
                    if communicator.size > 1 { row.cpuSecondsAllRanks = cpuAllRanks }
                    regimeRows.append(row)
                }
                // Rank 0 alone holds the logs. The targets come from this benchmark's
                // single-scale runs, trained now or earlier with the same configurations.
                guard communicator.isRoot else { continue }
                if !chosenModes.contains(.single) {
                    let earlier = try singleRuns.filter { try isFinished(runDirectory($0), as: configuration($0)) }
                    regimeRows.insert(contentsOf: try earlier.map {
                        try QualityRow(regime: regime.rawValue, run: $0, runDirectory: runDirectory($0), trained: false)
                    }, at: 0)
                }
                if let reference = QualityComparison.referenceRun(regimeRows) {
                    targets[regime.rawValue] = reference.psnr - 0.1
                    for i in regimeRows.indices { regimeRows[i].reach(reference.psnr - 0.1) }
                }
                if let gain = GainTargets.of(regimeRows, percents: plan.targetPercents) {
                    gainTargets[regime.rawValue] = gain
                    for i in regimeRows.indices { regimeRows[i].reach(gain) }
                    comparisons += QualityComparison.compare(regime: regime.rawValue, rows: regimeRows, targets: gain)
                }
                rows += regimeRows
            }
            guard communicator.isRoot else { return }
            let table = QualityTable(preset: preset.name, command: (["mstrain-dist"] + CommandLine.arguments.dropFirst()).joined(separator: " "),
                                     machine: "\(ProcessInfo.processInfo.activeProcessorCount) cores, BLAS \(BLASInfo.description) per process",
                                     ranks: communicator.size, settings: settings, plan: describe(plan, preset: preset),
                                     targets: targets, gainTargets: gainTargets, rows: rows, comparisons: comparisons)
            try table.write(to: directory)
            print(table.markdown)
            reporter.log("wrote \(directory)/table.md, table.json" + (gainTargets.isEmpty ? "" : " and the charts psnr-cpu-<regime>.svg"))
        }
    }

    /// Whether `path` holds a finished run (summary.json) of `configuration` (config.yaml
    /// the same): rank 0 looks, every rank gets its answer.
    private func isFinished(_ path: String, as configuration: TrainingConfiguration, communicator: any Communicator) throws -> Bool {
        let found = communicator.isRoot ? try isFinished(path, as: configuration) : false
        return communicator.allreduce(found ? 1.0 : 0, op: .sum) > 0
    }

    private func isFinished(_ path: String, as configuration: TrainingConfiguration) throws -> Bool {
        let run = RunDirectory(unverifiedPath: path)
        guard FileManager.default.fileExists(atPath: run.file("summary.json")),
              let written = try? String(contentsOfFile: run.file("config.yaml"), encoding: .utf8) else { return false }
        return written == (try configuration.yaml())
    }

    /// One line of the table's header on the runs and their lengths.
    private func describe(_ plan: QualityPlan, preset: QualityPreset) -> String {
        func list<T>(_ values: [T], _ text: (T) -> String) -> String { values.map(text).joined(separator: ", ") }
        let rates = list(plan.learningRates) { QualityPlan.rateLabel($0) }
        var text = plan.sweep
            ? "Sweep: single-scale over batches \(list(plan.batches) { "\($0)" }) × learning rates \(rates); the other modes over "
                + "batch \(list(plan.multiscaleBatches) { "\($0)" }) × the same learning rates. "
            : "One run per mode at the preset's batch (\(preset.batch)) and learning rate (\(rates)). "
        if let epochs = plan.epochs {
            let work = QualityHorizon.work(epochs: epochs, trainCount: preset.trainCount)
            text += String(format: "Horizon: %g epochs, each run planning %.0f WU (%g × %d training images or crops; for single-scale "
                           + "as many samples), validated about %d times evenly over it.", epochs, work, epochs, preset.trainCount,
                           plan.validations)
        } else {
            text += "Steps: the preset's" + (plan.sweep ? ", scaled by \(preset.batch) ÷ batch (the same samples at every batch)." : ".")
        }
        return text
    }

    /// The checks of single options (the names of --modes and --regimes are checked by `names`).
    private func checkOptions() throws {
        guard QualityPreset.named(preset) != nil else {
            throw ValidationError("--preset: unknown preset '\(preset)'; use one of \(QualityPreset.names.joined(separator: ", "))")
        }
        for (name, value) in [("--threads", threads), ("--patch", patch), ("--width", width), ("--spatial-shards", spatialShards),
                             ("--validation-count", validationCount)] {
            if let value, value < 1 { throw ValidationError("\(name) must be at least 1, got \(value)") }
        }
    }

    /// The data of `regime`, generated or imported into the cache folder by rank 0 first (the
    /// other ranks then find it there, or make their own copy where the folder is not shared).
    /// Dead leaves cut into crops larger than the preset's images come from the larger set of
    /// `QualityPreset.deadLeavesForCrops`.
    private func dataset(_ regime: QualityRegime, preset: QualityPreset, patch: Int?, communicator: any Communicator,
                         log: (String) -> Void) throws -> String {
        func ensure() throws -> String {
            guard let deadLeaves = regime.deadLeaves else { return try DefaultDataset.ensurePhotos(log: log) }
            let set = preset.deadLeavesSet(patch: patch)
            return try DefaultDataset.ensureDeadLeaves(size: set.size, regime: deadLeaves, trainCount: set.trainCount,
                                                       validCount: set.validCount, seed: DefaultDataset.seed, log: log)
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
