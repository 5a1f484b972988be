import Foundation
import MSData
import MSMultiscale
import MSNN
import MSOptim
import MSTasks
import Yams

/// Learning-rate schedules over a run.
public enum LearningRateSchedule: String, CaseIterable, Sendable, Codable {
    /// One cosine from the peak to the floor over all steps of all stages (the reference's).
    case cosine
    /// A cosine restarted at each Full-Multiscale stage, so the finest stage is trained at full rate.
    case cosinePerStage = "cosine-per-stage"
    /// The peak rate throughout.
    case constant
    /// The peak rate through every stage but the last (after any warm-up), then one cosine over
    /// the last stage: the finest stage is trained at full rate whenever the earlier ones end.
    case holdThenCosine = "hold-then-cosine"
}

/// How Full-Multiscale and progressive stages end.
public enum StageSwitch: String, CaseIterable, Sendable, Codable {
    /// After their scheduled iterations.
    case fixed
    /// When the validation gain per work unit falls below `stageSwitchThreshold`
    /// (`StageSwitchRule`), at the latest after their scheduled iterations.
    case adaptive
}

/// What the network's output means.
public enum Prediction: String, CaseIterable, Sendable, Codable {
    /// The restored image itself (the reference code's choice for denoising, deblurring and
    /// inpainting).
    case image
    /// A correction added to the degraded input: prediction = input + f(input). An untrained
    /// network then returns its input, which is already right where the degradation is mild.
    case residual
}

/// Every option of a training run. Loaded from defaults, then a YAML file, then the command
/// line (later sources override earlier ones); saved as `config.yaml` in the run directory.
/// Field names are the command-line option names in camelCase; the task's parameters are
/// nested under `taskOptions`, with `TaskOptions`' field names (also the option names).
///
/// The defaults are the quickstart: a small UNet (base width 16) denoiser trained with
/// Full-Multiscale on 64×64 images in a few minutes on two cores. The paper's setting (width
/// 32, N = 16, T = 250, Adam 5e-4 → 1e-6 at 128×128) is `docs/configs/paper-denoise.yaml`.
public struct TrainingConfiguration: Codable, Equatable, Sendable {
    // Task and data
    public var task: TaskKind = .denoise
    /// HDF5 dataset; nil means the built-in synthetic default (generated once and cached).
    public var data: String?
    public var restriction: Restriction = .inject
    /// What the networks on coarser meshes are told about a restricted observation's noise.
    public var levelConditioning: LevelConditioning = .drawn
    /// Image or residual prediction. Super-resolution always predicts a residual (docs/method.md
    /// section 6); ESPCN adds its input itself.
    public var prediction: Prediction = .image
    /// The degradation's parameters (noise range, blur σ, inpainting boxes, super-resolution
    /// factor); each applies to its own task only.
    public var taskOptions = TaskOptions()

    // Network
    public var network: NetworkKind = .unet
    /// Base width (UNet) or width (ResNet); nil means the default: 16 for the UNet (the small
    /// quickstart model; the paper's is 32) and the ResNet's 128.
    public var width: Int?
    public var widthMultipliers: [Int] = [1, 2, 4]
    public var groups: Int = 8
    public var dropout: Float = 0
    public var attention: Bool = false
    /// Spatial convolutions: standard K×K, or mesh-free (docs/method.md section 4).
    public var conv: ConvolutionKind = .standard
    /// Initial (or fixed) σ of the mesh-free convolutions in units of the image side.
    public var mfcSigma: Float = ModelConfiguration.defaultMFCSigma
    /// Whether the mesh-free convolutions learn σ.
    public var mfcLearnSigma: Bool = true

    // Estimator and schedule
    /// Single-scale by default: on the built-in data it reached every quality target soonest
    /// (docs/results.md, "Defaults for the built-in data").
    public var mode: TrainingMode = .single
    /// Resolutions used (levels 0 … levels−1); Full-Multiscale runs one stage per level.
    public var levels: Int = 4
    /// Single: the batch. Multiscale: N_0, the finest level's batch. Full-Multiscale: N, the
    /// finest stage's batch per level. nil: the mode's default (`ModeDefaults`).
    public var batch: Int?
    /// Multiscale: N_ℓ = N_0·r^ℓ (default 4). Full-Multiscale: the ratio between levels inside a
    /// stage (default 1, the table of docs/method.md section 3).
    public var levelRatio: Int?
    /// Multiscale: explicit per-level batches, finest first (overrides batch and levelRatio).
    public var levelBatches: [Int]?
    /// Single and multiscale: the number of steps. Full-Multiscale: T, the finest stage's steps.
    /// nil: the mode's default (`ModeDefaults`).
    public var iterations: Int?
    /// Full-Multiscale: explicit steps per stage, coarsest first (overrides iterations).
    public var stageIterations: [Int]?
    /// Full-Multiscale: explicit finest-level batch per stage, coarsest first (overrides batch).
    public var stageBatches: [Int]?
    /// Full-Multiscale and progressive: fixed stage lengths, or adaptive ones.
    public var stageSwitch: StageSwitch = .fixed
    /// Adaptive stage switch: a stage ends when its validation gain falls below this many dB
    /// per 1000 WU.
    public var stageSwitchThreshold: Double = 1
    /// Multiscale and Full-Multiscale: reallocate each step's level batches every
    /// `levelBatchesEvery` steps from measured level variances (`LevelBatchAllocator`).
    public var adaptiveLevelBatches: Bool = false
    /// Adaptive level batches: steps between reallocations (K).
    public var levelBatchesEvery: Int = 50
    /// Adaptive level batches: samples per level in each variance measurement.
    public var levelBatchesSamples: Int = 8

    // Optimizer
    public var optimizer: OptimizerKind = .adam
    /// The peak learning rate; nil: the mode's default (`ModeDefaults`).
    public var learningRate: Float?
    public var minLearningRate: Float = 1e-6
    public var learningRateSchedule: LearningRateSchedule = .cosine
    public var warmupSteps: Int = 0
    public var momentum: Float = 0.9
    public var weightDecay: Float?

    // Run
    public var seed: UInt64 = 0
    public var runDirectory: String = "runs/default"
    /// Validate every this many steps (and at the end).
    public var validateEvery: Int = 100
    /// Number of validation images (the first ones of the split), each with fixed draws.
    public var validationCount: Int = 32
    /// Largest number of samples in one forward/backward.
    public var microBatch: Int = 8
    /// Side of the square training crops (`SampleGeometry`); nil: whole images.
    public var patch: Int?
    /// Whether every training crop is flipped and rotated by a symmetry drawn per sample.
    public var augment: Bool = false
    /// Ranks per spatial group: each group evaluates its share of the fine levels' samples
    /// together, every rank on a strip of each image (docs/distribution.md). 1: whole images.
    public var spatialShards: Int = 1
    /// The memory each rank may use, in MiB, for its training step and its dataset cache
    /// (`MemoryBudget`); nil: the host's memory shared by the job's ranks on it.
    public var memoryBudgetMB: Int?
    /// End the run (instead of skipping the update) when a step's loss or gradient is not finite.
    public var stopOnNonFinite: Bool = false
    /// Write a checkpoint every this many steps and at the end (0: only on a signal).
    public var checkpointEvery: Int = 0
    /// Checkpoints kept in the run directory (older ones are removed).
    public var keepCheckpoints: Int = 3

    public init() {}

    /// The batch, step count and peak learning rate a mode trains with when they are not given.
    ///
    /// Single-scale: batch 2 at Adam 1e-3 for 1,024 steps, one pass over the built-in 2,048
    /// training images. Swept over batch and learning rate at that budget against progressive
    /// resizing and the released Full-Multiscale schedule, single-scale reached 80–99 % of the
    /// best PSNR gain first; batch 2 at 1e-3 is its best run that two ranks can share
    /// (docs/results.md, "Defaults for the built-in data"). The other modes keep the released
    /// settings: N = 8 at 2e-3, and T = 40 (Full-Multiscale and progressive run 8T, 4T, 2T and
    /// T steps over four levels) or 40 multiscale steps.
    public struct ModeDefaults: Equatable, Sendable {
        public var batch: Int
        public var iterations: Int
        public var learningRate: Float

        public init(_ mode: TrainingMode) {
            switch mode {
            case .single: (batch, iterations, learningRate) = (2, 1024, 1e-3)
            case .multiscale, .fullMultiscale, .progressive: (batch, iterations, learningRate) = (8, 40, 2e-3)
            }
        }
    }

    /// `batch`, or the mode's default.
    public var effectiveBatch: Int { batch ?? ModeDefaults(mode).batch }
    /// `iterations`, or the mode's default.
    public var effectiveIterations: Int { iterations ?? ModeDefaults(mode).iterations }
    /// `learningRate`, or the mode's default.
    public var effectiveLearningRate: Float { learningRate ?? ModeDefaults(mode).learningRate }

    /// This configuration with the mode's defaults written in, as a run saves it.
    public func withModeDefaults() -> TrainingConfiguration {
        var resolved = self
        resolved.batch = effectiveBatch
        resolved.iterations = effectiveIterations
        resolved.learningRate = effectiveLearningRate
        return resolved
    }

    /// Whether the trainer adds the input to the network's output (ESPCN does it internally).
    public var addsInputToOutput: Bool { (prediction == .residual || task == .superres) && network != .espcn }

    /// The model options.
    public var model: ModelConfiguration {
        get throws {
            ModelConfiguration(network: network, imageChannels: 3, baseWidth: width ?? (network == .unet ? 16 : nil),
                               widthMultipliers: widthMultipliers,
                               groups: groups, dropout: dropout, attention: attention,
                               convolution: conv, mfcSigma: mfcSigma, mfcLearnsSigma: mfcLearnSigma)
        }
    }

    /// The stages this configuration runs.
    public func schedule() throws -> TrainingSchedule {
        try validate()
        switch mode {
        case .single:
            return .single(batchSize: effectiveBatch, iterations: effectiveIterations)
        case .multiscale:
            let batches = levelBatches ?? EstimatorPlan.geometricBatches(finest: effectiveBatch, ratio: levelRatio ?? 4, levels: levels)
            return .multiscale(batches: batches, iterations: effectiveIterations)
        case .fullMultiscale:
            let defaults = TrainingSchedule.fullMultiscale(levels: levels, batchSize: effectiveBatch, iterations: effectiveIterations,
                                                           levelRatio: levelRatio ?? 1)
            guard stageIterations != nil || stageBatches != nil else { return defaults }
            return .fullMultiscale(
                stageBatches: stageBatches ?? defaults.stages.map { $0.plan.terms[0].batchSize },
                stageIterations: stageIterations ?? defaults.stages.map(\.iterations),
                levelRatio: levelRatio ?? 1)
        case .progressive:
            var fullMultiscale = self
            fullMultiscale.mode = .fullMultiscale
            return .progressiveResizing(try fullMultiscale.schedule())
        }
    }

    /// How samples are cut from the images.
    public var sampleGeometry: SampleGeometry { SampleGeometry(patch: patch, augments: augment) }

    /// The model for images of `dataset`'s channels, after checking that the coarsest mesh
    /// (`H / 2^(levels−1)` of the samples) is one the network can take.
    public func makeModel(for dataset: ImageDataset) throws -> Model {
        var configuration = try model
        configuration.imageChannels = dataset.channels
        let built = try MSNN.makeModel(configuration, seed: seed)
        let size = try sampleGeometry.sampleSize(of: dataset)
        let factor = 1 << (levelsUsed - 1)
        guard size.height % factor == 0, size.width % factor == 0 else {
            throw ConfigurationError.invalid("--levels \(levelsUsed) needs samples whose sides are multiples of \(factor), got "
                + "\(size.width)×\(size.height)" + (patch == nil ? " images; use fewer levels or --patch" : "; choose another --patch"))
        }
        let (height, width) = (size.height >> (levelsUsed - 1), size.width >> (levelsUsed - 1))
        guard height % built.totalStride == 0, width % built.totalStride == 0 else {
            throw ConfigurationError.invalid(
                "--levels \(levelsUsed) makes the coarsest mesh \(height)×\(width), which the \(network.rawValue) "
                + "(total stride \(built.totalStride)) cannot take; use fewer levels"
                + (patch == nil ? "" : " or a --patch that is a multiple of \(factor * built.totalStride)"))
        }
        return built
    }

    /// Checks, without reading the images, that the dataset at `path` exists, holds train and
    /// valid splits of the right rank and size for `levels`, and suits the network: the
    /// problems a user can cause with `--data`, found before any process starts MPI.
    public func checkData(at path: String) throws {
        for split in [Split.train, .valid] {
            _ = try makeModel(for: try ImageDataset(path: path, split: split, levels: dataLevels, memoryBudgetBytes: 0))
        }
    }

    /// The levels the images themselves must support (`ImageDataset`'s check): with patches,
    /// only the patch must (checked by `makeModel(for:)`).
    public var dataLevels: Int { patch == nil ? levelsUsed : 1 }

    /// The number of resolutions the data must support.
    public var levelsUsed: Int { mode == .single ? 1 : (mode == .multiscale ? (levelBatches?.count ?? levels) : levels) }

    /// Whether the stages change during the run (adaptive stage lengths or level batches), so
    /// that checkpoints must carry the schedule decided so far.
    public var hasDynamicSchedule: Bool { stageSwitch == .adaptive || adaptiveLevelBatches }

    /// Checks every option a user can get wrong; messages name the option and what to change.
    public func validate() throws {
        func fail(_ message: String) -> ConfigurationError { ConfigurationError.invalid(message) }
        guard levels >= 1 && levels <= 8 else { throw fail("--levels must be between 1 and 8, got \(levels)") }
        if let batch, batch < 1 { throw fail("--batch must be at least 1, got \(batch)") }
        if let iterations, iterations < 1 { throw fail("--iterations must be at least 1, got \(iterations)") }
        if let r = levelRatio, r < 1 { throw fail("--level-ratio must be at least 1, got \(r)") }
        if let list = levelBatches {
            guard mode == .multiscale else { throw fail("--level-batches applies to --mode multiscale only") }
            guard !list.isEmpty, list.allSatisfy({ $0 >= 1 }) else { throw fail("--level-batches must be positive integers, got \(list)") }
        }
        for (name, list) in [("--stage-iterations", stageIterations), ("--stage-batches", stageBatches)] {
            guard let list else { continue }
            guard mode == .fullMultiscale || mode == .progressive else {
                throw fail("\(name) applies to --mode full-multiscale or progressive only")
            }
            guard list.count == levels else { throw fail("\(name) needs one value per stage (\(levels), from --levels), got \(list.count)") }
            guard list.allSatisfy({ $0 >= 1 }) else { throw fail("\(name) must be positive integers, got \(list)") }
        }
        if stageSwitch == .adaptive {
            guard mode == .fullMultiscale || mode == .progressive else {
                throw fail("--stage-switch adaptive applies to --mode full-multiscale or progressive only")
            }
            guard stageSwitchThreshold.isFinite else { throw fail("--stage-switch-threshold must be finite, got \(stageSwitchThreshold)") }
        }
        if adaptiveLevelBatches {
            guard mode == .multiscale || mode == .fullMultiscale else {
                throw fail("--level-batches adaptive applies to --mode multiscale or full-multiscale only")
            }
            guard levelBatches == nil else { throw fail("--level-batches is either adaptive or a list of batches, not both") }
            guard levelBatchesEvery >= 1 else { throw fail("--level-batches-every must be at least 1, got \(levelBatchesEvery)") }
            guard levelBatchesSamples >= 2 else { throw fail("--level-batches-samples must be at least 2, got \(levelBatchesSamples)") }
        }
        if let learningRate, !(learningRate > 0 && learningRate.isFinite) {
            throw fail("--learning-rate must be positive, got \(learningRate)")
        }
        guard minLearningRate >= 0, minLearningRate <= effectiveLearningRate else {
            throw fail("--min-learning-rate must be in [0, --learning-rate], got \(minLearningRate)")
        }
        guard warmupSteps >= 0 else { throw fail("--warmup-steps must not be negative, got \(warmupSteps)") }
        guard (0..<1).contains(momentum) else { throw fail("--momentum must be in [0, 1), got \(momentum)") }
        if let decay = weightDecay, decay < 0 { throw fail("--weight-decay must not be negative, got \(decay)") }
        guard validateEvery >= 1 else { throw fail("--validate-every must be at least 1, got \(validateEvery)") }
        guard validationCount >= 1 else { throw fail("--validation-count must be at least 1, got \(validationCount)") }
        guard checkpointEvery >= 0 else { throw fail("--checkpoint-every must not be negative, got \(checkpointEvery)") }
        guard keepCheckpoints >= 1 else { throw fail("--keep-checkpoints must be at least 1, got \(keepCheckpoints)") }
        guard microBatch >= 1 else { throw fail("--micro-batch must be at least 1, got \(microBatch)") }
        if let patch, patch < 1 { throw fail("--patch must be at least 1, got \(patch)") }
        if augment && patch == nil { throw fail("--augment flips and turns square crops; give --patch P with it") }
        guard spatialShards >= 1 else { throw fail("--spatial-shards must be at least 1, got \(spatialShards)") }
        if let memoryBudgetMB, memoryBudgetMB < 1 { throw fail("--memory-budget-mb must be at least 1, got \(memoryBudgetMB)") }
        guard !runDirectory.isEmpty else { throw fail("--run-directory must not be empty") }
        do { try taskOptions.validate() } catch TaskError.invalidOption(let name, let value, let requirement) {
            let readable = requirement.replacing(/[a-z]+(?:[A-Z][a-z]*)+/) { Self.optionName($0.output) }
            throw fail("\(Self.optionName(name)) must be \(readable), got \(value)")
        }
        try model.validate()
        if network == .espcn && task != .superres {
            throw fail("--network espcn is the super-resolution network; use it with --task superres")
        }
    }

    /// The configuration as YAML (the format of `--config` files and of the run's `config.yaml`).
    public func yaml() throws -> String { try YAMLEncoder().encode(self) }

    /// Reads a YAML configuration file; keys missing from the file keep their defaults.
    public static func load(yamlFile path: String) throws -> TrainingConfiguration {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ConfigurationError.unreadable(path)
        }
        return try parse(yaml: text, source: path)
    }

    /// Parses YAML configuration text; `source` names it in error messages.
    public static func parse(yaml text: String, source path: String) throws -> TrainingConfiguration {
        let fileNode: Node?
        do { fileNode = try Yams.compose(yaml: text) } catch {
            throw ConfigurationError.malformed(file: path, reason: "\(error)")
        }
        guard let fileNode else { return TrainingConfiguration() }
        guard case .mapping(let fileMapping) = fileNode else {
            throw ConfigurationError.malformed(file: path, reason: "expected a mapping of option names to values")
        }
        return try TrainingConfiguration().overridden(by: fileMapping, source: path)
    }

    /// This configuration with the values of `overrides`, a mapping of configuration keys as
    /// `yaml()` writes them (a configuration file's, or the options given on the command line);
    /// a nested mapping (`taskOptions`) overrides key by key, and keys it lacks keep their
    /// values. `source` names the overrides in error messages.
    public func overridden(by overrides: Node.Mapping, source: String) throws -> TrainingConfiguration {
        do {
            guard case .mapping(var merged)? = try Yams.compose(yaml: try yaml()) else {
                preconditionFailure("a configuration encodes to a YAML mapping")
            }
            try Self.merge(overrides, into: &merged, known: TrainingConfiguration.optionalKeys, path: "", source: source)
            return try YAMLDecoder().decode(TrainingConfiguration.self, from: try Yams.serialize(node: Node.mapping(merged)))
        } catch let error as ConfigurationError {
            throw error
        } catch {
            throw ConfigurationError.malformed(file: source, reason: "\(error)")
        }
    }

    /// Sets every entry of `overrides` in `mapping`, merging nested mappings; a key must be one of
    /// `mapping`'s or of `known`. `path` is the keys above (`taskOptions.`), for error messages.
    private static func merge(_ overrides: Node.Mapping, into mapping: inout Node.Mapping, known: Set<String>,
                              path: String, source: String) throws {
        let keys = Set(mapping.keys.compactMap(\.string)).union(known)
        for (key, value) in overrides {
            guard let name = key.string, keys.contains(name) else {
                throw ConfigurationError.unknownKey(file: source, key: path + (key.string ?? "\(key)"))
            }
            if case .mapping(let nestedOverrides) = value, case .mapping(var nested)? = mapping[key] {
                try merge(nestedOverrides, into: &nested, known: [], path: path + name + ".", source: source)
                mapping[key] = .mapping(nested)
            } else {
                mapping[key] = value
            }
        }
    }

    /// Keys of optional options, absent from an encoded configuration that leaves them unset.
    static let optionalKeys: Set<String> = ["data", "batch", "iterations", "learningRate", "patch", "width", "levelRatio", "levelBatches", "stageIterations",
                                            "stageBatches", "weightDecay", "memoryBudgetMB"]

    /// The command-line spelling of a field name: `superresFactor` → `--superres-factor`.
    static func optionName(_ field: some StringProtocol) -> String {
        "--" + field.map { $0.isUppercase ? "-" + $0.lowercased() : String($0) }.joined()
    }
}

/// Errors in options and configuration files.
public enum ConfigurationError: Error, CustomStringConvertible, Equatable {
    case invalid(String)
    case unreadable(String)
    case unknownKey(file: String, key: String)
    case malformed(file: String, reason: String)

    public var description: String {
        switch self {
        case .invalid(let message): return message
        case .unreadable(let path): return "cannot read the configuration file \(path): check the path and its permissions"
        case .unknownKey(let file, let key):
            return "\(file): unknown option '\(key)'; keys are the option names in camelCase (see `mstrain-dist train --help`)"
        case .malformed(let file, let reason): return "\(file): not a valid configuration (\(reason))"
        }
    }
}
