import ArgumentParser
import Foundation
import MSData
import MSDistributed
import MSMultiscale
import MSTrain

/// `mstrain-dist train`: trains one configuration.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a network single-scale, with multilevel gradient estimation, or Full-Multiscale.",
        discussion: """
            With no --data the built-in synthetic dead-leaves set is generated once (cached under \
            $MSTRAIN_CACHE_DIR or ~/.cache/mstrain) and a small UNet denoiser is trained single-scale, at batch 2 \
            for one pass over its 2048 images: the fastest configuration measured on those data (docs/results.md, \
            "Defaults for the built-in data"); --mode progressive ends higher at equal work but later.
            The run directory receives config.yaml (the resolved configuration), log.jsonl (one line per \
            step), summary.json, weights.h5 and checkpoints (checkpoint-<step>.h5 and a `latest` pointer).
            Exit status: 0 done; 1 the run failed; 64 invalid options; 65 an input file with wrong content or \
            options it cannot take (damaged, wrong layout, incompatible checkpoint, too many levels); 66 an input \
            file missing or unreadable; 70 ranks \
            disagree (--check-replicas); 73 the run directory cannot be written; 75 stopped by SIGTERM/SIGUSR1 \
            after writing a checkpoint (continue with --resume auto).
            """)

    @OptionGroup var options: TrainingOptions
    @OptionGroup(title: OptionSection.runAndCheckpoints) var restart: RestartOptions
    @OptionGroup(title: OptionSection.distribution) var processes: ProcessOptions
    @Flag(help: "Print the schedule and how each stage's samples are split over the ranks, then exit.")
    var dryRun = false

    func run() throws {
        // Everything a user can get wrong is checked before MPI starts, and reported by rank 0 only.
        let launchRank = EnvironmentSettings.launchRank()
        let configuration = try options.resolveBeforeLaunch(launchRank: launchRank)
        let communicator = try makeCommunicatorReportingErrors(rank: launchRank)
        defer { communicator.finalize() }
        let reporter = ProgressReporter(quiet: !communicator.isRoot,
                                        parallel: EnvironmentSettings.launcher() == .mpi)
        configureThreads(processes.threads, ranks: communicator.size)
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
            if let resume = restart.resume {
                if let path = try trainer.resume(from: resume) {
                    reporter.log("resumed from \(path) at step \(trainer.state.progress.nextStep)")
                } else {
                    reporter.log("--resume auto: no checkpoint in \(configuration.runDirectory) yet; starting at step 0")
                }
            }
            let summary: TrainingSummary
            do { summary = try trainer.run() } catch let interruption as TrainingInterrupted {
                reporter.log(interruption.description)
                if restart.requeue && communicator.isRoot { requeueSlurmJob(reporter: reporter) }
                throw ExitCode(TrainingInterrupted.exitCode)
            }
            if processes.checkReplicas && !trainer.replicasAgree() {
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

    /// The schedule, each stage's rank plan and the predicted memory per rank, for `--dry-run`.
    /// The plan depends on the image height and the network's stride, and the memory on the
    /// network, so the data file is opened (the built-in set is generated if needed).
    private func printPlan(_ configuration: TrainingConfiguration, communicator: any Communicator, reporter: ProgressReporter) throws {
        let schedule = try configuration.schedule()
        reporter.log(String(format: "%@ schedule: %d stage(s), %d steps, %.0f WU in all",
                            configuration.mode.rawValue, schedule.stages.count, schedule.totalIterations, schedule.totalWork))
        guard communicator.size % configuration.spatialShards == 0 else {
            throw TrainingError.rankCount(ranks: communicator.size, spatialShards: configuration.spatialShards)
        }
        let dataset = try ImageDataset(path: try configuration.data ?? DefaultDataset.ensure(log: reporter.log), split: .train,
                                       levels: configuration.dataLevels, memoryBudgetBytes: 0)
        let model = try configuration.makeModel(for: dataset)
        let sampleSize = try configuration.sampleGeometry.sampleSize(of: dataset)
        let sharding = SpatialSharding(groupSize: configuration.spatialShards, imageHeight: sampleSize.height, totalStride: model.totalStride)
        for (index, stage) in schedule.stages.enumerated() {
            reporter.log("stage \(index + 1): \(stage.iterations) steps")
            reporter.log(sharding.plan(stage.plan, rankCount: communicator.size).description)
        }
        let memory = try MemoryCheck(configuration: configuration, schedule: schedule, dataset: dataset, sampleSize: sampleSize, model: model,
                                     sharding: sharding, communicator: communicator)
        reporter.log(memory.description)
        try memory.enforce()
    }
}

/// `train`'s options for continuing a run: resuming, and requeueing after a signal.
struct RestartOptions: ParsableArguments {
    @Option(help: "Resume from a checkpoint file, or 'auto': the newest usable checkpoint in the run directory (a run directory without checkpoints starts at step 0).")
    var resume: String?
    @Flag(help: "When stopped by a signal under Slurm, requeue the job (scontrol requeue $SLURM_JOB_ID) after the checkpoint.")
    var requeue = false
}

/// `train`'s options for its processes: BLAS threads, and the replica check at the end.
struct ProcessOptions: ParsableArguments {
    @Option(help: "BLAS threads per process (default: all cores for one process, 1 per rank under MPI; OPENBLAS_NUM_THREADS overrides).")
    var threads: Int?
    @Flag(help: "At the end, check that all ranks hold bitwise identical parameters.")
    var checkReplicas = false
}
