import ArgumentParser
import Foundation
import MSTrain

/// One training run of `bench quality`: a mode at a batch and a learning rate.
struct QualityRun: Equatable {
    var mode: QualityMode
    /// The benchmark's batch knob: single-scale's batch, N of the Full-Multiscale and
    /// progressive stages; the MGE modes take N_0 = batch/2 (r = 2) or batch/4 (r = 4).
    var batch: Int
    var learningRate: Float
    /// The run directory's name under OUTPUT/<regime>/: the mode's name, or in a sweep
    /// `<mode>-b<batch>-lr<rate>` (for example `single-b4-lr1e-3`).
    var name: String
}

/// Which runs `bench quality` trains and for how long: one run per mode at the preset's batch
/// and learning rate, or with `--sweep` single-scale over batches × learning rates and the
/// other modes over learning rates (× `multiscaleBatches`); with a horizon (`--epochs`) every
/// run's steps are set so that it plans the same work.
struct QualityPlan: Equatable {
    var sweep = false
    /// Single-scale batches (the preset's alone without a sweep).
    var batches: [Int]
    /// Batches of the other modes.
    var multiscaleBatches: [Int]
    var learningRates: [Float]
    /// The horizon in epochs: each run plans `epochs × trainCount` work units (nil: the
    /// preset's step budgets, scaled by preset batch ÷ batch).
    var epochs: Double?
    /// Validations of a run with a horizon, evenly spread over its planned work.
    var validations = QualityPlan.horizonValidations
    /// The gain targets, in percent of the reference single-scale run's gain over the noisy inputs.
    var targetPercents = QualityPlan.defaultTargetPercents

    static let sweepBatches = [2, 4, 8, 16]
    static let sweepLearningRates: [Float] = [5e-4, 1e-3, 2e-3]
    /// The modes a sweep runs when `--modes` is not given.
    static let sweepModes: [QualityMode] = [.single, .progressive, .fullMultiscaleAdaptive, .mgeRatio4]
    static let defaultTargetPercents: [Double] = [80, 90, 95, 99]
    /// Validations of a run with a horizon when `--validations` is not given.
    static let horizonValidations = 40

    /// The plan without a sweep: the preset's batch and learning rate for every mode.
    init(preset: QualityPreset) {
        batches = [preset.batch]
        multiscaleBatches = [preset.batch]
        learningRates = [preset.base.effectiveLearningRate]
    }

    /// The plan from the command's options; lists without `sweep` are an error (their runs
    /// would share one directory).
    init(preset: QualityPreset, sweep: Bool, batches: String?, multiscaleBatches: String?, learningRates: String?,
         epochs: Double?, validations: Int? = nil, targets: String?) throws {
        self.init(preset: preset)
        self.sweep = sweep
        if !sweep {
            for (name, value) in [("--batches", batches), ("--multiscale-batches", multiscaleBatches), ("--learning-rates", learningRates)]
            where value != nil {
                throw ValidationError("\(name) needs --sweep (each run of a sweep gets its own directory)")
            }
        } else {
            self.batches = try batches.map { try QualityPlan.positiveIntegers($0, option: "--batches") } ?? QualityPlan.sweepBatches
            self.multiscaleBatches = try multiscaleBatches.map { try QualityPlan.positiveIntegers($0, option: "--multiscale-batches") }
                ?? [preset.batch]
            self.learningRates = try learningRates.map { try QualityPlan.learningRates($0) } ?? QualityPlan.sweepLearningRates
        }
        if let epochs, !(epochs > 0 && epochs.isFinite) { throw ValidationError("--epochs must be positive, got \(epochs)") }
        self.epochs = epochs
        if let validations {
            guard validations >= 1 else { throw ValidationError("--validations must be at least 1, got \(validations)") }
            guard epochs != nil else { throw ValidationError("--validations needs --epochs (without a horizon the preset sets the interval)") }
            self.validations = validations
        }
        if let targets { targetPercents = try QualityPlan.percents(targets) }
    }

    /// The runs of `modes`, in order: each mode over its batches (outer) and learning rates.
    func runs(of modes: [QualityMode]) -> [QualityRun] {
        modes.flatMap { mode in
            (mode == .single ? batches : multiscaleBatches).flatMap { batch in
                learningRates.map { rate in
                    QualityRun(mode: mode, batch: batch, learningRate: rate,
                               name: sweep ? "\(mode.rawValue)-b\(batch)-lr\(QualityPlan.rateLabel(rate))" : mode.rawValue)
                }
            }
        }
    }

    /// A learning rate as a short label: 0.002 → "2e-3", 0.0005 → "5e-4", 0.0015 → "1.5e-3".
    static func rateLabel(_ rate: Float) -> String {
        let value = Double(rate)
        guard value > 0, value.isFinite else { return "\(rate)" }
        var exponent = Int(log10(value).rounded(.down))
        var mantissa = value / pow(10, Double(exponent))
        // Float's 5e-4 is 4.99999…e-4: round the mantissa to 4 significant digits first.
        mantissa = (mantissa * 1000).rounded() / 1000
        if mantissa >= 10 { (mantissa, exponent) = (mantissa / 10, exponent + 1) }
        var text = String(format: "%.3f", mantissa)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return "\(text)e\(exponent)"
    }

    /// "2,4,8" → [2, 4, 8]; every value at least 1, no duplicates.
    static func positiveIntegers(_ text: String, option: String) throws -> [Int] {
        let values = try items(text, option: option).map { item -> Int in
            guard let value = Int(item), value >= 1 else { throw ValidationError("\(option): '\(item)' is not a positive integer") }
            return value
        }
        return try unique(values, option: option)
    }

    /// "5e-4,1e-3" → [5e-4, 1e-3]; every rate positive and finite, no duplicates.
    static func learningRates(_ text: String) throws -> [Float] {
        let values = try items(text, option: "--learning-rates").map { item -> Float in
            guard let value = Float(item), value > 0, value.isFinite else {
                throw ValidationError("--learning-rates: '\(item)' is not a positive number")
            }
            return value
        }
        return try unique(values, option: "--learning-rates")
    }

    /// "80,90,99" → [80, 90, 99]: percentages in (0, 100], sorted ascending, no duplicates.
    static func percents(_ text: String) throws -> [Double] {
        let values = try items(text, option: "--targets").map { item -> Double in
            guard let value = Double(item.hasSuffix("%") ? String(item.dropLast()) : item), value > 0, value <= 100 else {
                throw ValidationError("--targets: '\(item)' is not a percentage in (0, 100]")
            }
            return value
        }
        return try unique(values, option: "--targets").sorted()
    }

    private static func items(_ text: String, option: String) throws -> [String] {
        let items = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard !items.isEmpty, !items.contains(where: \.isEmpty) else {
            throw ValidationError("\(option): expected a comma-separated list, got '\(text)'")
        }
        return items
    }

    private static func unique<Value: Hashable>(_ values: [Value], option: String) throws -> [Value] {
        guard Set(values).count == values.count else { throw ValidationError("\(option): a value is listed twice") }
        return values
    }
}

/// Setting a configuration's steps from a work budget: every run of a horizon plans the same
/// work units (for single-scale, the same number of samples), whatever its batch or mode.
enum QualityHorizon {
    /// The work units a horizon of `epochs` plans: `epochs` passes over `trainCount` images
    /// (for the photographs, `trainCount` crops).
    static func work(epochs: Double, trainCount: Int) -> Double { epochs * Double(trainCount) }

    /// Sets `configuration.iterations` (steps, or T of a staged schedule; the schedule's work
    /// grows linearly with it) so that the planned work is closest to `work`, at least one
    /// step; and `validateEvery` so that about `validations` validations fall evenly over the
    /// planned work (by the schedule's mean work per step). Adaptive stage ends may stop a
    /// staged run before its planned work.
    static func apply(work: Double, validations: Int, to configuration: inout TrainingConfiguration) throws {
        var probe = configuration
        probe.iterations = 1
        probe.stageIterations = nil
        let schedule = try probe.schedule()
        let workPerIteration = schedule.totalWork
        configuration.iterations = max(1, Int((work / workPerIteration).rounded()))
        let meanStepWork = workPerIteration / Double(schedule.totalIterations)
        configuration.validateEvery = max(1, Int((work / Double(validations) / meanStepWork).rounded()))
    }
}
