import ArgumentParser
import Foundation
import MSDistributed
import MSTrain

/// `mstrain-dist bench scaling`: the time of one training step on the ranks of this launch,
/// split into computation and the step's allreduce. Run it under `mpirun -n N` for each N
/// (launch/scaling.sh does) and compare the step times for the parallel efficiency.
struct BenchScaling: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scaling",
        abstract: "Time training steps on this launch's ranks: step seconds, throughput, and the allreduce's share.",
        discussion: """
            Builds the trainer of the given training options (no run directory is kept), runs --warmup \
            untimed steps and --steps timed steps of the schedule's last stage (the finest stage of \
            Full-Multiscale), each started together after a barrier. A step's time is the slowest rank's; \
            the allreduce time is reported as its minimum over ranks (the transfer: the fastest rank \
            also waits for the slowest) and its maximum (transfer plus waiting). The global batch is \
            fixed, so more ranks share the same samples (strong scaling).
            """)

    @OptionGroup var options: TrainingOptions
    @Option(help: "Timed steps.") var steps = 5
    @Option(help: "Untimed warm-up steps before them.") var warmup = 1
    @Option(help: "BLAS threads per rank (default 1).") var threads = 1

    func validate() throws {
        guard steps >= 1, warmup >= 0, threads >= 1 else {
            throw ValidationError("--steps and --threads must be at least 1 and --warmup at least 0")
        }
    }

    func run() throws {
        let launchRank = EnvironmentSettings.launchRank()
        var configuration = try options.resolveBeforeLaunch(launchRank: launchRank)
        let communicator = TimingCommunicator(try makeCommunicatorReportingErrors(rank: launchRank))
        defer { communicator.finalize() }
        configureThreads(threads, ranks: communicator.size)
        let reporter = ProgressReporter(quiet: !communicator.isRoot, parallel: EnvironmentSettings.launcher() == .mpi)
        try runCollectively(communicator) {
            let dataPath = try configuration.data ?? DefaultDataset.ensure(log: reporter.log)
            configuration.runDirectory = NSTemporaryDirectory() + "mstrain-bench-scaling-\(ProcessInfo.processInfo.processIdentifier)"
            defer { if communicator.isRoot { try? FileManager.default.removeItem(atPath: configuration.runDirectory) } }
            let trainer = try Trainer(configuration: configuration, dataPath: dataPath, reporter: reporter, communicator: communicator)
            let last = trainer.state.schedule.stages.count - 1
            let stage = trainer.state.schedule.stages[last]
            let first = trainer.state.schedule.firstStep(ofStage: last)
            var stepSeconds = 0.0
            for i in 0..<(warmup + steps) {
                if i == warmup { communicator.resetTimings() }
                communicator.barrier()
                let start = DispatchTime.now().uptimeNanoseconds
                _ = try trainer.step(first + i % stage.iterations)
                if i >= warmup { stepSeconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
            }
            let timing = StepTiming(stepSeconds: stepSeconds, allreduceSeconds: communicator.allreduceSeconds,
                                    steps: steps, communicator: communicator)
            guard communicator.isRoot else { return }
            let samples = stage.plan.terms.reduce(0) { $0 + $1.batchSize }
            print("network \(configuration.network.rawValue) (\(trainer.model.parameters.count) parameters), "
                  + "\(trainer.source.sampleSize.height)² data, \(configuration.mode.rawValue) stage \(last + 1): "
                  + "batches \(stage.plan.terms.map { "\($0.batchSize)@\(trainer.source.sampleSize.height >> $0.level)²" }.joined(separator: " ")), "
                  + String(format: "%.2f WU per step; BLAS %@", stage.plan.work, BLASInfo.description))
            print(String(format: "scaling: ranks=%d step_seconds=%.4f wu_per_second=%.3f samples_per_second=%.2f "
                         + "allreduce_min_seconds=%.4f allreduce_max_seconds=%.4f allreduce_share=%.4f compute_max_seconds=%.4f",
                         communicator.size, timing.step, stage.plan.work / timing.step, Double(samples) / timing.step,
                         timing.allreduceMinimum, timing.allreduceMaximum, timing.allreduceMinimum / timing.step,
                         timing.computeMaximum))
        }
    }
}

/// Per-step means over the timed steps, combined over the ranks (three small collectives).
private struct StepTiming {
    /// The slowest rank's step seconds.
    let step: Double
    /// The smallest and largest time a rank spent in the step's allreduce.
    let allreduceMinimum, allreduceMaximum: Double
    /// The largest time a rank spent outside the allreduce (its own computation).
    let computeMaximum: Double

    init(stepSeconds: Double, allreduceSeconds: Double, steps: Int, communicator: any Communicator) {
        let count = Double(steps)
        step = communicator.allreduce(stepSeconds / count, op: .max)
        allreduceMinimum = communicator.allreduce(allreduceSeconds / count, op: .min)
        allreduceMaximum = communicator.allreduce(allreduceSeconds / count, op: .max)
        computeMaximum = communicator.allreduce((stepSeconds - allreduceSeconds) / count, op: .max)
    }
}
