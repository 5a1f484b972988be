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
        abstract: "Per-level variance and cost of the MGE terms, the multilevel cost formula, the gradient noise scale, the coarse-gradient bias, and the mode predicted fastest.",
        discussion: """
            For each level ℓ of --levels, the correction ∇ℓ_ℓ − ∇ℓ_{ℓ+1} (the plain gradient at the coarsest \
            level), and the plain gradient at the finest mesh, are computed sample by sample on --samples \
            training samples with the model's current weights (fresh, or --weights). The verdict compares \
            the multilevel estimator's cost per unit of variance, (Σ_ℓ sqrt(V_ℓ·C_ℓ))², with the fine \
            gradient's, V·C_0 (Giles 2008). The gradient noise scale B = V/|G|² (McCandlish et al. 2018) \
            models the steps a run needs at each batch, and so the CPU cost of single-scale and of MGE over \
            batches \(LevelDiagnosis.candidateBatches.map(String.init).joined(separator: ", ")). The coarse-gradient \
            bias |E(∇ℓ_0 − ∇ℓ_1)|/|E ∇ℓ_0| says whether a coarse step is nearly a fine one (coarse stages pay). \
            The predicted fastest mode: progressive resizing when the bias is at most \(LevelDiagnosis.transferLimit), else the cheaper of MGE and single-scale at their best batches \
            (docs/results.md checks it on every measured configuration). The fitted rates β and γ are \
            printed for reference. The recommended batches are N_ℓ ∝ sqrt(V_ℓ/C_ℓ) with the finest level at \
            --batch.
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
            let batches = diagnosis.recommendedBatches(finestBatch: configuration.effectiveBatch)
            let size = trainer.source.sampleSize.height
            print("level  mesh     term        mean norm    variance     ms/sample  recommended batch")
            for (statistics, batch) in zip(diagnosis.levels, batches) {
                print(String(format: "%5d  %-7@  %-10@  %10.4e  %10.4e  %9.2f  %17d", statistics.level,
                             "\(size >> statistics.level)²", statistics.isCorrection ? "correction" : "coarsest",
                             statistics.meanNorm, statistics.variance, statistics.cost * 1000, batch))
            }
            if let fine = diagnosis.fineGradient {
                print(String(format: "%5d  %-7@  %-10@  %10.4e  %10.4e  %9.2f", 0, "\(size)²", "fine grad.", fine.meanNorm,
                             fine.variance, fine.cost * 1000))
            }
            print(String(format: "fitted rates: beta (variance growth toward the coarse mesh) = %.2f, gamma (cost decay) = %.2f",
                         diagnosis.beta, diagnosis.gamma))
            guard let saving = diagnosis.predictedSaving, let single = diagnosis.singleLevelCost,
                  let noise = diagnosis.noiseScale, let bias = diagnosis.coarseBias else { return }
            print(String(format: "cost per unit of variance: multilevel (Σ sqrt(V·C))² = %.4g, fine gradient V·C = %.4g: ",
                         diagnosis.multilevelCost, single)
                  + (saving > 1 ? String(format: "multilevel estimation costs %.2f× less", saving)
                                : String(format: "multilevel estimation costs %.2f× more", 1 / saving)))
            print(String(format: "gradient noise scale B = V/|G|² = %.3g samples", noise))
            print(String(format: "coarse-gradient bias |E(∇ℓ_0 − ∇ℓ_1)| / |E ∇ℓ_0| = %.3f (coarse stages predicted to pay up to %.2f)",
                         bias, LevelDiagnosis.transferLimit))
            printBatchSearch(diagnosis)
            guard let fastest = diagnosis.predictedFastest() else {
                print("predicted fastest: none (the fine gradient's mean is within its noise on \(samples) samples; use more --samples)")
                return
            }
            print("predicted fastest: \(fastest.mode.rawValue) at batch \(fastest.batch) (\(fastest.reason))")
        }
    }

    /// The modelled CPU cost of single-scale and of MGE at each candidate batch, relative to
    /// single-scale's best (`LevelDiagnosis.modelledSingleCost`, `bestMultilevelBatches`).
    private func printBatchSearch(_ diagnosis: LevelDiagnosis) {
        let candidates = LevelDiagnosis.candidateBatches
        let singles = candidates.compactMap { diagnosis.modelledSingleCost(batch: $0) }
        guard let best = singles.min(), singles.count == candidates.count else { return }
        print("modelled CPU cost to a given quality, relative to single-scale's best (steps S_min·(1 + noise/|G|²)):")
        print("batch  single-scale  MGE (N_0 = batch)  MGE level batches (best for this N_0)")
        for (batch, single) in zip(candidates, singles) {
            guard let multilevel = diagnosis.bestMultilevelBatches(finestBatch: batch) else { continue }
            print(String(format: "%5d  %12.2f  %17.2f  %@", batch, single / best, multilevel.cost / best,
                         multilevel.batches.map(String.init).joined(separator: ", ")))
        }
    }
}
