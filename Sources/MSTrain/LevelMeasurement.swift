import Dispatch
import MSMultiscale

extension Trainer {
    /// Measures `LevelStatistics` for levels `0 ..< levels` on `samples` training samples per
    /// level with the current parameters: each sample's correction gradient (the plain
    /// gradient at the coarsest level) is computed alone, its norm statistics accumulated in
    /// Float64, and its evaluation timed; so is the plain gradient at the finest mesh, on the
    /// same samples. Samples are those of steps `0 ..< samples` (one each).
    public func measureLevels(levels: Int, samples: Int) throws -> LevelDiagnosis {
        precondition(levels >= 1, "measureLevels needs at least one level")
        let hierarchy = try measureLevels(of: .multilevel(batches: Array(repeating: 1, count: levels)), samples: samples, firstStep: 0)
        let fine = try measureLevels(of: .singleScale(batchSize: 1), samples: samples, firstStep: 0).levels[0]
        return LevelDiagnosis(levels: hierarchy.levels, fineGradient: fine, samples: samples)
    }

    /// Measures `LevelStatistics` for the terms of `plan` (their batch sizes are ignored) on
    /// `samples` samples per term: those of steps `firstStep ..< firstStep + samples` (sample 0
    /// of each). Every process that calls it with the same parameters gets the same variances.
    public func measureLevels(of plan: EstimatorPlan, samples: Int, firstStep: Int) throws -> LevelDiagnosis {
        precondition(samples >= 2, "measureLevels needs at least two samples")
        let store = model.parameters
        var statistics: [LevelStatistics] = []
        for planned in plan.terms {
            let (level, term) = (planned.level, EstimatorTerm(level: planned.level, isCorrection: planned.isCorrection, batchSize: 1))
            var sum = [Double](repeating: 0, count: store.count)
            var sumOfSquaredNorms = 0.0
            var seconds = 0.0
            for sample in 0..<samples {
                store.zeroGradients()
                let start = DispatchTime.now().uptimeNanoseconds
                _ = try estimator.accumulate(term: term, samples: 0..<1, step: firstStep + sample, source: source)
                seconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                var squared = 0.0
                for (i, g) in store.gradients.enumerated() {
                    sum[i] += Double(g)
                    squared += Double(g) * Double(g)
                }
                sumOfSquaredNorms += squared
            }
            let m = Double(samples)
            let meanSquaredNorm = sum.reduce(0) { $0 + ($1 / m) * ($1 / m) }
            statistics.append(LevelStatistics(level: level, isCorrection: term.isCorrection, meanNorm: meanSquaredNorm.squareRoot(),
                                              variance: max(0, (sumOfSquaredNorms - m * meanSquaredNorm) / (m - 1)),
                                              cost: seconds / m))
        }
        store.zeroGradients()
        return LevelDiagnosis(levels: statistics, samples: samples)
    }
}
