import ArgumentParser
import MSMultiscale
import MSNN
import MSOptim
import MSTasks
import MSTrain

// The option groups of `TrainingOptions`, one titled section of `--help` each. Every option is
// optional (unset options keep the configuration file's value, or the default) and its property
// name is its key in `TrainingConfiguration`'s YAML, except where `commandLineOverrides` says.

extension TaskKind: ExpressibleByArgument {}
extension NetworkKind: ExpressibleByArgument {}
extension TrainingMode: ExpressibleByArgument {}
extension Restriction: ExpressibleByArgument {}
extension LevelConditioning: ExpressibleByArgument {}
extension OptimizerKind: ExpressibleByArgument {}
extension LearningRateSchedule: ExpressibleByArgument {}
extension Prediction: ExpressibleByArgument {}
extension ConvolutionKind: ExpressibleByArgument {}
extension StageSwitch: ExpressibleByArgument {}

/// What a run does when a step's loss or gradient is not finite.
enum NonFinitePolicy: String, CaseIterable, ExpressibleByArgument, Encodable { case skip, stop }

/// The titles of the option sections in `train --help` (commands add their own options to them).
enum OptionSection {
    static let dataAndTask = "Data and task"
    static let network = "Network"
    static let schedule = "Schedule"
    static let optimizer = "Optimizer"
    static let runAndCheckpoints = "Run and checkpoints"
    static let distribution = "Distribution"
}

/// The task, its data and its parameters.
struct DataAndTaskOptions: ParsableArguments, Encodable {
    @Option(help: "Task: \(TaskKind.allCases.map(\.rawValue).joined(separator: ", ")) (default denoise).")
    var task: TaskKind?
    @Option(help: "HDF5 dataset (default: the built-in synthetic dead-leaves set, generated once and cached).")
    var data: String?
    @Option(help: "Train on square crops of this side, cut at random positions from the images (needed when they differ in size); validation uses centre crops (default: whole images).")
    var patch: Int?
    @Flag(inversion: .prefixedNo, help: "Flip and turn every training crop by one of the 8 symmetries of the square, drawn per sample (needs --patch; default off).")
    var augment: Bool?
    @Option(help: "Restriction to coarser meshes: inject or average (default inject).")
    var restriction: Restriction?
    @Option(help: "What coarser meshes are told about a restricted observation: drawn (the finest mesh's noise level) or restricted (its own level after the restriction, the input rescaled to the task's form; changes only --restriction average) (default drawn).")
    var levelConditioning: LevelConditioning?
    @Option(help: "Network output: image, or residual (added to the degraded input) (default image; super-resolution always predicts a residual).")
    var prediction: Prediction?
    @OptionGroup var taskOptions: TaskParameterOptions
}

/// The defaults of `TaskParameterOptions`, for their help.
private let defaultTaskOptions = TaskOptions()

/// The degradation's parameters (`TaskOptions`, whose field names they carry); each applies to
/// its own task only.
struct TaskParameterOptions: ParsableArguments, Encodable {
    @Option(help: "Denoising: lower end of t ~ U(min, max), the input being t·x + (1−t)·noise (default \(defaultTaskOptions.denoiseMinimumTime)).")
    var denoiseMinimumTime: Float?
    @Option(help: "Denoising: upper end of t (default \(defaultTaskOptions.denoiseMaximumTime)).")
    var denoiseMaximumTime: Float?
    @Option(help: "Deblurring: σ of the Gaussian blur in pixels of a \(TaskOptions.blurReferenceSize)-pixel image, scaled with the image size (default \(defaultTaskOptions.blurSigmaPixels)).")
    var blurSigmaPixels: Float?
    @Option(help: "Deblurring: largest noise level t ~ level·U(0, 1) added after the blur, in [0, 1) (default \(defaultTaskOptions.deblurNoiseLevel)).")
    var deblurNoiseLevel: Float?
    @Option(help: "Inpainting: zeroed boxes per sample, possibly overlapping (default \(defaultTaskOptions.inpaintBoxes)).")
    var inpaintBoxes: Int?
    @Option(help: "Inpainting: smallest box side, as a fraction of the image side (default \(defaultTaskOptions.inpaintMinFraction)).")
    var inpaintMinFraction: Float?
    @Option(help: "Inpainting: largest box side, as a fraction of the image side (default \(defaultTaskOptions.inpaintMaxFraction)).")
    var inpaintMaxFraction: Float?
    @Option(help: "Inpainting: largest noise level t ~ level·U(0, 1) added to the masked image (default \(defaultTaskOptions.inpaintNoiseLevel)).")
    var inpaintNoiseLevel: Float?
    @Option(help: "Super-resolution: factor, a power of two ≥ 2 (default \(defaultTaskOptions.superresFactor)).")
    var superresFactor: Int?
}

/// The network and its convolutions.
struct NetworkOptions: ParsableArguments, Encodable {
    @Option(help: "Network: unet, resnet or espcn (default unet).")
    var network: NetworkKind?
    @Option(help: "Base width of the UNet or width of the ResNet (default 16; the networks' own defaults are 32 and 128).")
    var width: Int?
    @Option(help: "UNet width multipliers, comma-separated, finest first (default 1,2,4).", transform: integerList)
    var widthMultipliers: [Int]?
    @Option(help: "GroupNorm groups in the UNet (default 8).")
    var groups: Int?
    @Option(help: "Dropout probability in the UNet's residual blocks (default 0).")
    var dropout: Float?
    @Flag(inversion: .prefixedNo, help: "Self-attention in the UNet's middle block (default off).")
    var attention: Bool?
    @Option(help: "Spatial convolutions: standard (K×K) or mfc (mesh-free, docs/mesh.md) (default standard).")
    var conv: ConvolutionKind?
    @Option(help: "Initial σ of the mesh-free convolutions, in units of the image side (default 1/32 = 0.03125).")
    var mfcSigma: Float?
    @Flag(inversion: .prefixedNo, help: "Whether the mesh-free convolutions learn σ (default on).")
    var mfcLearnSigma: Bool?
}

/// The estimator, its levels and batches, and the stages.
struct ScheduleOptions: ParsableArguments, Encodable {
    @Option(help: "Mode: single, multiscale, full-multiscale or progressive (Full-Multiscale's stages without the MGE corrections) (default single: on the built-in data, each mode swept over batch and learning rate at one pass over the training set, single-scale reached 80–99 % of the best PSNR gain 1.5–2.5× sooner than progressive resizing, and the released Full-Multiscale schedule, the former default, reached none; docs/results.md, \"Defaults for the built-in data\").")
    var mode: TrainingMode?
    @Option(help: "Number of resolutions (levels 0 … L−1); Full-Multiscale runs one stage per level (default 4).")
    var levels: Int?
    @Option(help: "Batch: single-scale batch, MGE finest batch N_0, or Full-Multiscale N (default 2 for single, the smallest batch two ranks can share; 8 for the other modes).")
    var batch: Int?
    @Option(help: "Batch ratio between levels: N_l = N_0·r^l (default 4 for multiscale, 1 inside Full-Multiscale stages).")
    var levelRatio: Int?
    @Option(help: "Per-level batches for multiscale, comma-separated, finest first; or 'adaptive': N_l ∝ sqrt(V_l/C_l) at the same work per step, from level variances measured every --level-batches-every steps (multiscale and full-multiscale).",
            transform: LevelBatchesArgument.init(argument:))
    var levelBatches: LevelBatchesArgument?
    @Option(help: "Adaptive level batches: steps between reallocations (default 50).")
    var levelBatchesEvery: Int?
    @Option(help: "Adaptive level batches: samples per level in each variance measurement (default 8).")
    var levelBatchesSamples: Int?
    @Option(help: "Steps (single, multiscale) or the finest stage's steps T (full-multiscale; stages run 8T, 4T, 2T, T) (default 1024 for single, one pass over the built-in 2048 images at batch 2; 40 for the other modes).")
    var iterations: Int?
    @Option(help: "Full-Multiscale steps per stage, comma-separated, coarsest first.", transform: integerList)
    var stageIterations: [Int]?
    @Option(help: "Full-Multiscale finest-level batch per stage, comma-separated, coarsest first.", transform: integerList)
    var stageBatches: [Int]?
    @Option(help: "Full-Multiscale and progressive stage ends: fixed, or adaptive (when the validation gain per WU falls below --stage-switch-threshold) (default fixed).")
    var stageSwitch: StageSwitch?
    @Option(help: "Adaptive stage switch: smallest validation gain, in dB per 1000 WU, that keeps a stage going (default 1).")
    var stageSwitchThreshold: Double?
}

/// The optimizer and its learning-rate schedule.
struct OptimizerOptions: ParsableArguments, Encodable {
    @Option(help: "Optimizer: sgd, adam or adamw (default adam).")
    var optimizer: OptimizerKind?
    @Option(help: "Peak learning rate (default 1e-3 for single, the measured best at batch 2; 2e-3 for the other modes).")
    var learningRate: Float?
    @Option(help: "Learning-rate floor of the cosine schedule (default 1e-6).")
    var minLearningRate: Float?
    @Option(help: "Schedule: cosine (one over the run), cosine-per-stage, hold-then-cosine (peak rate until the last stage, one cosine over it), or constant (default cosine).")
    var learningRateSchedule: LearningRateSchedule?
    @Option(help: "Linear warm-up steps (default 0).")
    var warmupSteps: Int?
    @Option(help: "SGD momentum (default 0.9).")
    var momentum: Float?
    @Option(help: "Weight decay (default 0; 1e-2 for adamw).")
    var weightDecay: Float?
}

/// The seed, the run directory, validation, memory and checkpoints.
struct RunOptions: ParsableArguments, Encodable {
    @Option(help: "Seed of every random draw (default 0).")
    var seed: UInt64?
    @Option(help: "Run directory for config.yaml, log.jsonl, summary.json and weights.h5 (default runs/default).")
    var runDirectory: String?
    @Option(help: "Validate every K steps and at the end (default 100).")
    var validateEvery: Int?
    @Option(help: "Number of validation images (default 32).")
    var validationCount: Int?
    @Option(help: "MiB of memory each rank may use for its training step and dataset cache; a run whose predicted step needs more is refused before it starts (default: the host's memory, or its cgroup limit, shared by the job's ranks on the host).")
    var memoryBudgetMB: Int?
    @Option(help: "When a loss or gradient is not finite: skip (every rank skips that update) or stop (default skip).")
    var onNonFinite: NonFinitePolicy?
    @Option(help: "Write a checkpoint every K steps and at the end (default 0: only when stopped by SIGTERM/SIGUSR1).")
    var checkpointEvery: Int?
    @Option(help: "Checkpoints kept in the run directory (default 3).")
    var keepCheckpoints: Int?
}

/// How a step's work is split over processes and passes.
struct DistributionOptions: ParsableArguments, Encodable {
    @Option(help: "Largest number of finest-mesh samples in one forward/backward on a rank; a level ℓ term takes 4^ℓ times more (default 8).")
    var microBatch: Int?
    @Option(help: "Ranks per spatial group: each group trains its share of the fine levels' samples together, every rank on a strip of each image, coarse levels whole; the rank count must be a multiple (default 1: whole images).")
    var spatialShards: Int?
}
