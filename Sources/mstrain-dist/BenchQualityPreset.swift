import MSData
import MSMultiscale
import MSTasks
import MSTrain

/// The training modes `bench quality` compares, each one configuration of `train`.
enum QualityMode: String, CaseIterable {
    /// Single-scale SGD: the baseline that sets the target PSNR.
    case single
    /// MGE at every step, N_ℓ = N_0·2^ℓ.
    case mgeRatio2 = "mge-r2"
    /// MGE at every step, N_ℓ = N_0·4^ℓ.
    case mgeRatio4 = "mge-r4"
    /// MGE with adaptive level batches (`--level-batches adaptive`).
    case mgeAdaptive = "mge-adaptive"
    /// Full-Multiscale as released (docs/method.md section 3): 4 stages, one cosine over the run.
    case fullMultiscale = "full-multiscale"
    /// Full-Multiscale with adaptive stage ends and the finest stage at full learning rate.
    case fullMultiscaleAdaptive = "full-multiscale-adaptive"
    /// Progressive resizing: the adaptive Full-Multiscale stages' meshes without corrections.
    case progressive
}

/// Where the data's fine detail comes from (docs/method.md section 9), or real photographs.
enum QualityRegime: String, CaseIterable {
    /// Dead leaves drawn at the full resolution.
    case native
    /// Dead leaves drawn at a quarter of the resolution and upsampled (the paper's setting).
    case upsampled
    /// The 12 nature photographs of the Debian package mate-backgrounds at their native
    /// resolution (1280×1024 to 2560×1920): 10 for training, 2 others for validation, and every
    /// sample a crop (`DefaultDataset.ensurePhotos`).
    case photos

    /// The regimes run when `--regimes` is not given.
    static let defaults: [QualityRegime] = [.native, .upsampled]

    /// The dead-leaves regime of the generated data; nil for the photographs.
    var deadLeaves: DeadLeaves.Regime? {
        switch self {
        case .native: return .native
        case .upsampled: return .upsampled(factor: 4)
        case .photos: return nil
        }
    }
}

/// Options of `bench quality` that replace the preset's for every mode.
struct QualityOverrides {
    /// Crop side of every sample (default: whole images, or the preset's size for photos).
    var patch: Int?
    /// UNet base width.
    var width: Int?
    /// Ranks per spatial group.
    var spatialShards: Int?
    /// Validation images, or fixed crops when the samples are crops.
    var validationCount: Int?
    /// Restriction and level conditioning of the modes with coarse levels (all but single).
    var restriction: Restriction?
    var levelConditioning: LevelConditioning?

    /// `run`, its name suffixed `-<restriction>-<conditioning>` when it has coarse levels and
    /// either is overridden, so that the variants and the plain runs keep separate directories.
    func named(_ run: QualityRun) -> QualityRun {
        guard run.mode != .single, restriction != nil || levelConditioning != nil else { return run }
        var named = run
        let defaults = TrainingConfiguration()
        named.name += "-\((restriction ?? defaults.restriction).rawValue)-\((levelConditioning ?? defaults.levelConditioning).rawValue)"
        return named
    }
}

/// A named benchmark size: data, network and step budgets shared by every mode.
struct QualityPreset {
    var name: String
    /// Image side and split sizes of the generated data; the side is also the crop side of
    /// the photographs.
    var size: Int
    var trainCount, validCount: Int
    /// Fixed validation crops of the photographs (2 validation photographs: their centres,
    /// then crops at positions drawn once).
    var photoValidationCrops: Int
    /// The options every mode shares (task, network, optimizer, validation, seed).
    var base: TrainingConfiguration
    /// Single-scale batch and steps.
    var batch, singleIterations: Int
    /// Steps of the MGE modes.
    var multiscaleIterations: Int
    /// Levels of the MGE modes and of the adaptive Full-Multiscale and progressive stages
    /// (coarsest mesh at least 4× the network's total stride).
    var levels: Int
    /// T, the finest stage's steps, of the adaptive Full-Multiscale and progressive modes.
    var stageIterations: Int
    /// T of the released Full-Multiscale schedule (4 stages: 8T, 4T, 2T, T steps).
    var releasedStageIterations: Int

    static let names = ["quick", "standard", "large"]

    /// Side, training and validation images of the dead-leaves sets cut into crops larger
    /// than the preset's images: 64 + 4 images of twice the crop's side (a fixed budget of
    /// pixels, since `trainCount` images of that size would not fit in memory at 512²).
    static let deadLeavesForCrops = (sideOverCrop: 2, trainCount: 64, validCount: 4)

    /// The dead-leaves set that crops of side `patch` (nil: whole images) are cut from: the
    /// preset's images, or for crops larger than them `deadLeavesForCrops`.
    func deadLeavesSet(patch: Int?) -> (size: Int, trainCount: Int, validCount: Int) {
        guard let patch, patch > size else { return (size, trainCount, validCount) }
        let large = QualityPreset.deadLeavesForCrops
        return (large.sideOverCrop * patch, large.trainCount, large.validCount)
    }

    /// The preset called `name`, or nil.
    static func named(_ name: String) -> QualityPreset? {
        var base = TrainingConfiguration()
        base.task = .denoise
        base.network = .unet
        base.optimizer = .adam
        base.learningRate = 2e-3
        base.minLearningRate = 1e-6
        base.seed = 0
        switch name {
        case "quick":
            base.width = 8
            base.widthMultipliers = [1, 2]
            base.groups = 4
            base.validateEvery = 10
            base.validationCount = 16
            return QualityPreset(name: name, size: 32, trainCount: 512, validCount: 16, photoValidationCrops: 32, base: base, batch: 8,
                                 singleIterations: 120, multiscaleIterations: 80, levels: 2, stageIterations: 20,
                                 releasedStageIterations: 10)
        case "standard":
            base.width = 16
            base.validateEvery = 25
            base.validationCount = 32
            return QualityPreset(name: name, size: 64, trainCount: 2048, validCount: 256, photoValidationCrops: 64, base: base, batch: 8,
                                 singleIterations: 400, multiscaleIterations: 150, levels: 3, stageIterations: 60,
                                 releasedStageIterations: 30)
        case "large":
            base.width = 32
            base.validateEvery = 100
            base.validationCount = 64
            return QualityPreset(name: name, size: 128, trainCount: 4096, validCount: 256, photoValidationCrops: 128, base: base, batch: 16,
                                 singleIterations: 4000, multiscaleIterations: 2000, levels: 4, stageIterations: 250,
                                 releasedStageIterations: 250)
        default:
            return nil
        }
    }

    /// The configuration of `run` in `regime` on `data`, writing to `runDirectory`. The
    /// photographs are always cut into augmented crops, of the preset's size unless
    /// `overrides.patch` says otherwise, and validated on `photoValidationCrops` fixed crops;
    /// the overrides apply to every regime. Without a horizon, a run's steps (or T) and its
    /// validation interval are the preset's scaled by preset batch ÷ run batch, so that every
    /// batch sees the preset's samples; with `plan.epochs`, every run plans `epochs ×
    /// trainCount` WU and validates `plan.validations` times (`QualityHorizon`).
    func configuration(_ run: QualityRun, regime: QualityRegime, data: String, runDirectory: String,
                       overrides: QualityOverrides = QualityOverrides(), plan: QualityPlan? = nil) throws -> TrainingConfiguration {
        var c = base
        c.data = data
        c.runDirectory = runDirectory
        c.batch = run.batch
        c.learningRate = run.learningRate
        c.levels = levels
        if regime == .photos {
            c.patch = size
            c.augment = true
            c.validationCount = photoValidationCrops
        }
        if let patch = overrides.patch { c.patch = patch }
        if let width = overrides.width { c.width = width }
        if let shards = overrides.spatialShards { c.spatialShards = shards }
        if let count = overrides.validationCount { c.validationCount = count }
        if run.mode != .single {
            if let restriction = overrides.restriction { c.restriction = restriction }
            if let conditioning = overrides.levelConditioning { c.levelConditioning = conditioning }
        }
        switch run.mode {
        case .single:
            c.mode = .single
            c.iterations = singleIterations
        case .mgeRatio2, .mgeRatio4, .mgeAdaptive:
            // N_0 below the single-scale batch, so that a step costs about as much as single-scale's.
            c.mode = .multiscale
            c.iterations = multiscaleIterations
            c.levelRatio = run.mode == .mgeRatio2 ? 2 : 4
            c.batch = max(1, run.mode == .mgeRatio2 ? run.batch / 2 : run.batch / 4)
            c.adaptiveLevelBatches = run.mode == .mgeAdaptive
        case .fullMultiscale:
            c.mode = .fullMultiscale
            c.levels = max(levels, 4)
            c.iterations = releasedStageIterations
        case .fullMultiscaleAdaptive, .progressive:
            c.mode = run.mode == .progressive ? .progressive : .fullMultiscale
            c.iterations = stageIterations
            c.learningRateSchedule = .holdThenCosine
            c.stageSwitch = run.mode == .progressive ? .fixed : .adaptive
        }
        if let epochs = plan?.epochs {
            try QualityHorizon.apply(work: QualityHorizon.work(epochs: epochs, trainCount: trainCount),
                                     validations: plan?.validations ?? QualityPlan.horizonValidations, to: &c)
        } else if run.batch != batch {
            let scale = Double(batch) / Double(run.batch)
            c.iterations = max(1, Int((Double(c.effectiveIterations) * scale).rounded()))
            c.validateEvery = max(1, Int((Double(c.validateEvery) * scale).rounded()))
        }
        if c.mode == .multiscale { c.levelBatchesEvery = max(1, c.effectiveIterations / 8) }
        return c
    }
}
