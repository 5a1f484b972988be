import ArgumentParser
import Foundation
import MSDistributed
import MSMultiscale
import MSNN
import MSOptim
import MSTasks
import MSTrain

extension TaskKind: ExpressibleByArgument {}
extension NetworkKind: ExpressibleByArgument {}
extension TrainingMode: ExpressibleByArgument {}
extension Restriction: ExpressibleByArgument {}
extension OptimizerKind: ExpressibleByArgument {}
extension LearningRateSchedule: ExpressibleByArgument {}
extension Prediction: ExpressibleByArgument {}
extension ConvolutionKind: ExpressibleByArgument {}
extension StageSwitch: ExpressibleByArgument {}

/// What a run does when a step's loss or gradient is not finite.
enum NonFinitePolicy: String, CaseIterable, ExpressibleByArgument { case skip, stop }

/// Options shared by commands that build a training configuration. Every option is optional:
/// unset options keep the value of the `--config` file, or the default.
struct TrainingOptions: ParsableArguments {
    @Option(help: "YAML configuration file; command-line options override its values.")
    var config: String?

    @Option(help: "Task: \(TaskKind.allCases.map(\.rawValue).joined(separator: ", ")) (default denoise).")
    var task: TaskKind?
    @Option(help: "HDF5 dataset (default: the built-in synthetic dead-leaves set, generated once and cached).")
    var data: String?
    @Option(help: "Restriction to coarser meshes: inject or average (default inject).")
    var restriction: Restriction?
    @Option(help: "Network output: image, or residual (added to the degraded input) (default image; super-resolution always predicts a residual).")
    var prediction: Prediction?

    @Option(help: "Network: unet, resnet or espcn (default unet).")
    var network: NetworkKind?
    @Option(help: "Base width of the UNet or width of the ResNet (default 16; the networks' own defaults are 32 and 128).")
    var width: Int?
    @Option(help: "UNet width multipliers, comma-separated, finest first (default 1,2,4).")
    var widthMultipliers: String?
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

    @Option(help: "Mode: single, multiscale, full-multiscale or progressive (Full-Multiscale's stages without the MGE corrections) (default full-multiscale).")
    var mode: TrainingMode?
    @Option(help: "Number of resolutions (levels 0 … L−1); Full-Multiscale runs one stage per level (default 4).")
    var levels: Int?
    @Option(help: "Batch: single-scale batch, MGE finest batch N_0, or Full-Multiscale N (default 8).")
    var batch: Int?
    @Option(help: "Batch ratio between levels: N_l = N_0·r^l (default 4 for multiscale, 1 inside Full-Multiscale stages).")
    var levelRatio: Int?
    @Option(help: "Per-level batches for multiscale, comma-separated, finest first; or 'adaptive': N_l ∝ sqrt(V_l/C_l) at the same work per step, from level variances measured every --level-batches-every steps (multiscale and full-multiscale).")
    var levelBatches: String?
    @Option(help: "Adaptive level batches: steps between reallocations (default 50).")
    var levelBatchesEvery: Int?
    @Option(help: "Adaptive level batches: samples per level in each variance measurement (default 8).")
    var levelBatchesSamples: Int?
    @Option(help: "Steps (single, multiscale) or the finest stage's steps T (full-multiscale; stages run 8T, 4T, 2T, T) (default 40).")
    var iterations: Int?
    @Option(help: "Full-Multiscale steps per stage, comma-separated, coarsest first.")
    var stageIterations: String?
    @Option(help: "Full-Multiscale finest-level batch per stage, comma-separated, coarsest first.")
    var stageBatches: String?
    @Option(help: "Full-Multiscale and progressive stage ends: fixed, or adaptive (when the validation gain per WU falls below --stage-switch-threshold) (default fixed).")
    var stageSwitch: StageSwitch?
    @Option(help: "Adaptive stage switch: smallest validation gain, in dB per 1000 WU, that keeps a stage going (default 1).")
    var stageSwitchThreshold: Double?

    @Option(help: "Optimizer: sgd, adam or adamw (default adam).")
    var optimizer: OptimizerKind?
    @Option(help: "Peak learning rate (default 2e-3).")
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

    @Option(help: "Seed of every random draw (default 0).")
    var seed: UInt64?
    @Option(help: "Run directory for config.yaml, log.jsonl, summary.json and weights.h5 (default runs/default).")
    var runDirectory: String?
    @Option(help: "Validate every K steps (default 100).")
    var validateEvery: Int?
    @Option(help: "Number of validation images (default 32).")
    var validationCount: Int?
    @Option(help: "Largest number of finest-mesh samples in one forward/backward; a level ℓ term takes 4^ℓ times more (default 8).")
    var microBatch: Int?
    @Option(help: "Cache dataset splits in memory up to this many MiB (default 2048).")
    var memoryBudgetMb: Int?
    @Option(help: "When a loss or gradient is not finite: skip (every rank skips that update) or stop (default skip).")
    var onNonFinite: NonFinitePolicy?
    @Option(help: "Write a checkpoint every K steps and at the end (default 0: only when stopped by SIGTERM/SIGUSR1).")
    var checkpointEvery: Int?
    @Option(help: "Checkpoints kept in the run directory (default 3).")
    var keepCheckpoints: Int?

    /// The configuration file's values (or the defaults) overridden by the options given.
    func resolve() throws -> TrainingConfiguration {
        var c = try config.map(TrainingConfiguration.load(yamlFile:)) ?? TrainingConfiguration()
        func list(_ text: String?, _ name: String) throws -> [Int]? {
            guard let text else { return nil }
            let values = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !values.isEmpty, values.allSatisfy({ $0 != nil }) else {
                let alternative = name == "level-batches" ? " or 'adaptive'" : ""
                throw ValidationError("--\(name) expects comma-separated integers\(alternative), got '\(text)'")
            }
            return values.map { $0! }
        }
        if let task { c.task = task }
        if let data { c.data = data }
        if let restriction { c.restriction = restriction }
        if let prediction { c.prediction = prediction }
        if let network { c.network = network }
        if let width { c.width = width }
        if let v = try list(widthMultipliers, "width-multipliers") { c.widthMultipliers = v }
        if let groups { c.groups = groups }
        if let dropout { c.dropout = dropout }
        if let attention { c.attention = attention }
        if let conv { c.conv = conv }
        if let mfcSigma { c.mfcSigma = mfcSigma }
        if let mfcLearnSigma { c.mfcLearnSigma = mfcLearnSigma }
        if let mode { c.mode = mode }
        if let levels { c.levels = levels }
        if let batch { c.batch = batch }
        if let levelRatio { c.levelRatio = levelRatio }
        if levelBatches == "adaptive" { c.adaptiveLevelBatches = true } else if let v = try list(levelBatches, "level-batches") { c.levelBatches = v }
        if let levelBatchesEvery { c.levelBatchesEvery = levelBatchesEvery }
        if let levelBatchesSamples { c.levelBatchesSamples = levelBatchesSamples }
        if let iterations { c.iterations = iterations }
        if let v = try list(stageIterations, "stage-iterations") { c.stageIterations = v }
        if let v = try list(stageBatches, "stage-batches") { c.stageBatches = v }
        if let stageSwitch { c.stageSwitch = stageSwitch }
        if let stageSwitchThreshold { c.stageSwitchThreshold = stageSwitchThreshold }
        if let optimizer { c.optimizer = optimizer }
        if let learningRate { c.learningRate = learningRate }
        if let minLearningRate { c.minLearningRate = minLearningRate }
        if let learningRateSchedule { c.learningRateSchedule = learningRateSchedule }
        if let warmupSteps { c.warmupSteps = warmupSteps }
        if let momentum { c.momentum = momentum }
        if let weightDecay { c.weightDecay = weightDecay }
        if let seed { c.seed = seed }
        if let runDirectory { c.runDirectory = runDirectory }
        if let validateEvery { c.validateEvery = validateEvery }
        if let validationCount { c.validationCount = validationCount }
        if let microBatch { c.microBatch = microBatch }
        if let memoryBudgetMb { c.memoryBudgetMB = memoryBudgetMb }
        if let onNonFinite { c.stopOnNonFinite = onNonFinite == .stop }
        if let checkpointEvery { c.checkpointEvery = checkpointEvery }
        if let keepCheckpoints { c.keepCheckpoints = keepCheckpoints }
        try c.validate()
        return c
    }
}

/// `mstrain-dist train`: trains one configuration.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a network single-scale, with multilevel gradient estimation, or Full-Multiscale.",
        discussion: """
            With no --data the built-in synthetic dead-leaves set is generated once (cached under \
            $MSTRAIN_CACHE_DIR or ~/.cache/mstrain) and a small UNet denoiser is trained with Full-Multiscale.
            The run directory receives config.yaml (the resolved configuration), log.jsonl (one line per \
            step), summary.json, weights.h5 and checkpoints (checkpoint-<step>.h5 and a `latest` pointer).
            Exit status: 0 done; 1 the run failed; 64 invalid options; 65 an input file with wrong content or \
            options it cannot take (damaged, wrong layout, incompatible checkpoint, too many levels); 66 an input \
            file missing or unreadable; 70 ranks \
            disagree (--check-replicas); 73 the run directory cannot be written; 75 stopped by SIGTERM/SIGUSR1 \
            after writing a checkpoint (continue with --resume auto).
            """)

    @OptionGroup var options: TrainingOptions
    @Option(help: "BLAS threads per process (default: all cores for one process, 1 per rank under MPI; OPENBLAS_NUM_THREADS overrides).")
    var threads: Int?
    @Flag(help: "Print the schedule and how each stage's samples are split over the ranks, then exit.")
    var dryRun = false
    @Flag(help: "At the end, check that all ranks hold bitwise identical parameters.")
    var checkReplicas = false
    @Option(help: "Resume from a checkpoint file, or 'auto': the newest usable checkpoint in the run directory (a run directory without checkpoints starts at step 0).")
    var resume: String?
    @Flag(help: "When stopped by a signal under Slurm, requeue the job (scontrol requeue $SLURM_JOB_ID) after the checkpoint.")
    var requeue = false

    func run() throws {
        // Everything a user can get wrong is checked before MPI starts, and reported by rank 0 only.
        let launchRank = EnvironmentSettings.launchRank()
        let configuration = try options.resolveBeforeLaunch(launchRank: launchRank)
        let communicator = try makeCommunicatorReportingErrors(rank: launchRank)
        defer { communicator.finalize() }
        let reporter = ProgressReporter(quiet: !communicator.isRoot,
                                        parallel: EnvironmentSettings.launcher() == .mpi)
        configureThreads(threads, ranks: communicator.size)
        try runCollectively(communicator) {
            if dryRun {
                try printPlan(configuration, communicator: communicator, reporter: reporter)
                return
            }
            let dataPath = try configuration.data ?? DefaultDataset.ensure(log: reporter.log)
            reporter.log("mstrain-dist train: resolved configuration\n" + (try configuration.yaml()))
            let trainer = try Trainer(configuration: configuration, dataPath: dataPath, reporter: reporter,
                                      communicator: communicator)
            trainer.stopRequest.install()
            reporter.log("model: \(configuration.network.rawValue), \(trainer.model.parameters.count) parameters; "
                         + "data: \(dataPath); \(communicator.size) rank(s); BLAS \(BLASInfo.description)")
            if let resume {
                if let path = try trainer.resume(from: resume) {
                    reporter.log("resumed from \(path) at step \(trainer.state.progress.nextStep)")
                } else {
                    reporter.log("--resume auto: no checkpoint in \(configuration.runDirectory) yet; starting at step 0")
                }
            }
            let summary: TrainingSummary
            do { summary = try trainer.run() } catch let interruption as TrainingInterrupted {
                reporter.log(interruption.description)
                if requeue && communicator.isRoot { requeueSlurmJob(reporter: reporter) }
                throw ExitCode(TrainingInterrupted.exitCode)
            }
            if checkReplicas && !trainer.replicasAgree() {
                communicator.abort(message: "parameters differ between ranks at the end of the run", code: ExitStatus.replicasDiffer)
            }
            reporter.log(String(format: "done: %d steps, %.0f WU, %.1f s; validation PSNR %.2f dB (input %.2f dB), SSIM %.4f, MSE %.5f",
                                summary.steps, summary.workUnits, summary.seconds, summary.validation.psnr,
                                summary.inputValidation.psnr, summary.validation.ssim, summary.validation.mse))
            reporter.log("run directory: \(configuration.runDirectory)")
        }
    }

    /// `scontrol requeue $SLURM_JOB_ID`, when running under Slurm.
    private func requeueSlurmJob(reporter: ProgressReporter) {
        guard let job = EnvironmentVariable.slurmJobID.value() else {
            reporter.log("--requeue: not running under Slurm (no SLURM_JOB_ID); nothing to requeue")
            return
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["scontrol", "requeue", job]
        do {
            try process.run()
            process.waitUntilExit()
            reporter.log(process.terminationStatus == 0 ? "requeued Slurm job \(job)"
                         : "scontrol requeue \(job) failed with status \(process.terminationStatus)")
        } catch {
            reporter.log("cannot run scontrol to requeue job \(job): \(error)")
        }
    }

    /// The schedule and each stage's rank plan, for `--dry-run`.
    private func printPlan(_ configuration: TrainingConfiguration, communicator: any Communicator, reporter: ProgressReporter) throws {
        let schedule = try configuration.schedule()
        reporter.log(String(format: "%@ schedule: %d stage(s), %d steps, %.0f WU in all",
                            configuration.mode.rawValue, schedule.stages.count, schedule.totalIterations, schedule.totalWork))
        for (index, stage) in schedule.stages.enumerated() {
            reporter.log("stage \(index + 1): \(stage.iterations) steps")
            reporter.log(LevelPlan(stage.plan, rankCount: communicator.size).description)
        }
    }
}
