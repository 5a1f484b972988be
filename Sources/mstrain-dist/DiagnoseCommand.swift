import ArgumentParser
import Foundation
import MSMultiscale
import MSTrain

/// `mstrain-dist diagnose`: measurements that say whether multiscale training will pay.
struct DiagnoseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diagnose", abstract: "Measure whether multiscale training pays on a dataset and task.",
        subcommands: [DiagnoseLevels.self, DiagnoseMesh.self])
}

/// `mstrain-dist diagnose levels`: per-level statistics of the multilevel correction terms.
struct DiagnoseLevels: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "levels",
        abstract: "Per-level mean and variance of the MGE correction terms, cost per sample, fitted rates β and γ, and batch advice.",
        discussion: """
            For each level ℓ of --levels, the correction ∇ℓ_ℓ − ∇ℓ_{ℓ+1} (the plain gradient at the coarsest \
            level) is computed sample by sample on --samples training samples with the model's current \
            weights (fresh, or --weights). β is the slope of log2 of the variance against ℓ over the \
            corrections, γ minus the slope of log2 of the cost; multilevel estimation saves work when β > γ. \
            The recommended batches are N_ℓ ∝ sqrt(V_ℓ/C_ℓ) with the finest level at --batch.
            """)

    @OptionGroup var options: TrainingOptions
    @Option(help: "Samples per level (at least 2).") var samples = 16
    @Option(help: "Weights file to diagnose (default: freshly initialised weights).") var weights: String?
    @Option(help: "BLAS threads (default 1).") var threads = 1

    func validate() throws {
        guard samples >= 2 else { throw ValidationError("--samples must be at least 2, got \(samples)") }
    }

    func run() throws {
        try runReportingErrors {
            var configuration = try options.resolveBeforeLaunch(launchRank: 0)
            configuration.mode = .multiscale
            configureThreads(threads)
            let reporter = ProgressReporter()
            let dataPath = try configuration.data ?? DefaultDataset.ensure(log: reporter.log)
            configuration.runDirectory = NSTemporaryDirectory() + "mstrain-diagnose-\(ProcessInfo.processInfo.processIdentifier)"
            defer { try? FileManager.default.removeItem(atPath: configuration.runDirectory) }
            let trainer = try Trainer(configuration: configuration, dataPath: dataPath, reporter: reporter)
            if let weights { try WeightsFile.read(into: trainer.model, from: weights) }
            reporter.log("measuring \(configuration.levels) levels × \(samples) samples (\(configuration.task.rawValue), "
                         + "\(configuration.network.rawValue), restriction \(configuration.restriction.rawValue), data \(dataPath))")
            let diagnosis = try trainer.measureLevels(levels: configuration.levels, samples: samples)
            let batches = diagnosis.recommendedBatches(finestBatch: configuration.batch)
            let size = trainer.source.sampleSize.height
            print("level  mesh     term        mean norm    variance     ms/sample  recommended batch")
            for (statistics, batch) in zip(diagnosis.levels, batches) {
                print(String(format: "%5d  %-7@  %-10@  %10.4e  %10.4e  %9.2f  %17d", statistics.level,
                             "\(size >> statistics.level)²", statistics.isCorrection ? "correction" : "coarsest",
                             statistics.meanNorm, statistics.variance, statistics.cost * 1000, batch))
            }
            print(String(format: "beta (variance decay toward the fine mesh) = %.2f, gamma (cost growth) = %.2f", diagnosis.beta, diagnosis.gamma))
            if diagnosis.multilevelPays {
                print("beta > gamma: the corrections shrink faster than their cost grows; multilevel estimation should save work.")
            } else {
                print("warning: beta < gamma: the fine corrections cost more than they save; multilevel estimation will not pay "
                      + "on this data with this restriction and network (try --restriction average, or single-scale training).")
            }
        }
    }
}
