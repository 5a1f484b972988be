import Foundation
import MSData
import MSDistributed
import MSMultiscale
import MSNN
import MSTensor
import MSTestSupport
import MSTrain

// Rank-count independence of training; run under mpirun by launch/mpi-tests.sh.
//
//     mstrain-mpi-training-check gradient DIR   the multilevel gradient of one step summed over
//                                               the ranks equals (1e-5 relative) the gradient one
//                                               process computes alone
//     mstrain-mpi-training-check training DIR   20 training steps on the ranks end with the same
//                                               parameters (1e-4 relative) as on one process,
//                                               and every rank holds bitwise the same parameters
//     mstrain-mpi-training-check adaptive DIR   a Full-Multiscale run with adaptive stage ends and
//                                               level batches decides the same schedule and ends
//                                               with the same parameters (1e-4) as one process
//     mstrain-mpi-training-check spatial DIR    10 training steps in spatial groups of 2 ranks
//                                               (the finest level on strips, 64×64 images) end
//                                               with the same parameters (1e-4) as one process;
//                                               so does a run resumed at step 5 from its
//                                               checkpoint without spatial groups; validation
//                                               on strips gives the whole images' PSNR
//     mstrain-mpi-training-check restore DIR    whole-image inference on strips of all ranks
//                                               (ImageRestorer) equals one pass over the whole
//                                               image (1e-5 relative) for the UNet, the ResNet
//                                               and ESPCN with perturbed parameters, on a 45×37
//                                               image that needs padding to the UNet's stride
//
// DIR is a scratch folder shared by the ranks. Rank 0 also runs the single-process reference.

/// A tiny multiscale configuration whose samples, degradations and dropout masks all depend on
/// (seed, step, level, sample index) only.
func configuration(runDirectory: String) -> TrainingConfiguration {
    var c = tinyTrainingConfiguration(.multiscale, levels: 3, batch: 2, iterations: 20, runDirectory: runDirectory)
    c.levelRatio = 2
    c.dropout = 0.1
    c.microBatch = 3
    return c
}

/// The tiny configuration as a Full-Multiscale run whose stage ends and level batches adapt.
func adaptiveConfiguration(runDirectory: String) -> TrainingConfiguration {
    var c = configuration(runDirectory: runDirectory)
    c.mode = .fullMultiscale
    c.iterations = 4
    c.validateEvery = 3
    c.stageSwitch = .adaptive
    c.stageSwitchThreshold = 1e9
    c.adaptiveLevelBatches = true
    c.levelBatchesEvery = 3
    c.levelBatchesSamples = 2
    c.learningRateSchedule = .holdThenCosine
    return c
}

/// The tiny configuration (dropout included) on 64×64 images in spatial groups of
/// `spatialShards` ranks, with a checkpoint at step 5.
func spatialConfiguration(runDirectory: String, spatialShards: Int) -> TrainingConfiguration {
    var c = configuration(runDirectory: runDirectory)
    c.iterations = 10
    c.validateEvery = 5
    c.checkpointEvery = 5
    c.spatialShards = spatialShards
    return c
}

/// Largest |a − b| over the largest |b|.
func relativeDifference(_ a: [Float], _ b: [Float]) -> Double {
    var difference: Float = 0, scale: Float = 1e-30
    for i in 0..<a.count { difference = max(difference, abs(a[i] - b[i])); scale = max(scale, abs(b[i])) }
    return Double(difference / scale)
}

let arguments = Array(CommandLine.arguments.dropFirst())
guard arguments.count == 2, ["gradient", "training", "adaptive", "spatial", "restore"].contains(arguments[0]) else {
    FileHandle.standardError.write(Data("usage: mstrain-mpi-training-check gradient|training|adaptive|spatial|restore DIR\n".utf8))
    exit(64)
}
let (scenario, directory) = (arguments[0], arguments[1])
do {
    let communicator = try MPICommunicator()
    let data = directory + "/data.h5"
    if communicator.isRoot {
        try DeadLeaves(size: 16, channels: 3, seed: 4).writeDataset(to: data, counts: [.train: 24, .valid: 2])
    }
    communicator.barrier()
    let quiet = ProgressReporter(quiet: true)
    if scenario == "restore" {
        var worst = 0.0
        for network in NetworkKind.allCases {
            let model = try makeModel(ModelConfiguration(network: network, baseWidth: 8, groups: 4), seed: 3)
            var random = CounterRandom(seed: 5, stream: 1)
            var perturbation = [Float](repeating: 0, count: model.parameters.count)
            perturbation.withUnsafeMutableBufferPointer { random.fillNormal($0) }
            model.parameters.load(values: zip(model.parameters.snapshotValues(), perturbation).map { $0 + 0.05 * $1 })
            let restorer = ImageRestorer(estimator: MultilevelEstimator(model: model, restriction: .inject, residual: network == .espcn))
            var image = Tensor(shape: [1, 3, 45, 37])
            image.withUnsafeMutableBufferPointer { random.fillNormal($0) }
            let whole = try restorer.restore(image, time: 0.3, layout: .whole)
            let strips = try restorer.restore(image, time: 0.3, layout: .strips(group: communicator))
            let difference = relativeDifference(strips.scalars, whole.scalars)
            guard strips.shape == [1, 3, 45, 37], difference <= 1e-5 else {
                communicator.abort(message: "restore: the \(network.rawValue) on strips of \(communicator.size) ranks differs from one "
                                   + "pass by \(difference) (shape \(strips.shape))", code: 2)
            }
            worst = max(worst, difference)
        }
        if communicator.isRoot { print("restore: ok on \(communicator.size) ranks (largest relative difference \(worst))") }
        communicator.finalize()
        exit(0)
    }
    if scenario == "spatial" {
        let large = directory + "/large.h5"
        if communicator.isRoot {
            try DeadLeaves(size: 64, channels: 3, seed: 4).writeDataset(to: large, counts: [.train: 24, .valid: 2])
        }
        communicator.barrier()
        let grouped = try Trainer(configuration: spatialConfiguration(runDirectory: directory + "/grouped", spatialShards: 2),
                                  dataPath: large, reporter: quiet, communicator: communicator)
        let groupedSummary = try grouped.run()
        guard grouped.replicasAgree() else { communicator.abort(message: "spatial: parameters differ between ranks", code: 2) }
        // Resumed at step 5 without groups, from the grouped run's checkpoint.
        let resumed = try Trainer(configuration: spatialConfiguration(runDirectory: directory + "/resumed", spatialShards: 1),
                                  dataPath: large, reporter: quiet, communicator: communicator)
        try resumed.resume(from: directory + "/grouped/" + CheckpointDirectory.fileName(step: 5))
        _ = try resumed.run()
        if communicator.isRoot {
            let alone = try Trainer(configuration: spatialConfiguration(runDirectory: directory + "/alone", spatialShards: 1),
                                    dataPath: large, reporter: quiet)
            let aloneSummary = try alone.run()
            // Validation ran on strips in the group: the same metrics.
            guard abs(groupedSummary.validation.psnr - aloneSummary.validation.psnr) <= 1e-3 else {
                communicator.abort(message: "spatial: validation PSNR \(groupedSummary.validation.psnr) dB on strips, "
                                   + "\(aloneSummary.validation.psnr) dB whole", code: 2)
            }
            let reference = alone.model.parameters.snapshotValues()
            for (name, trainer) in [("grouped", grouped), ("resumed without groups", resumed)] {
                let difference = relativeDifference(trainer.model.parameters.snapshotValues(), reference)
                guard difference <= 1e-4 else {
                    communicator.abort(message: "spatial: \(name) on \(communicator.size) ranks differs from one process by \(difference)", code: 2)
                }
            }
            print("spatial: ok on \(communicator.size) ranks (tiled terms \(grouped.shardPlan(for: grouped.state.schedule.stages[0].plan).isTiled))")
        }
        communicator.barrier()
        communicator.finalize()
        exit(0)
    }
    if scenario == "adaptive" {
        let distributed = try Trainer(configuration: adaptiveConfiguration(runDirectory: directory + "/ranks"), dataPath: data,
                                      reporter: quiet, communicator: communicator)
        _ = try distributed.run()
        guard distributed.replicasAgree() else { communicator.abort(message: "adaptive: parameters differ between ranks", code: 2) }
        if communicator.isRoot {
            let alone = try Trainer(configuration: adaptiveConfiguration(runDirectory: directory + "/alone"), dataPath: data, reporter: quiet)
            _ = try alone.run()
            let difference = relativeDifference(distributed.model.parameters.snapshotValues(), alone.model.parameters.snapshotValues())
            // The same decisions: stage lengths and level batches. (The smoothed variance
            // estimates behind the batches carry the parameters' rounding differences.)
            func decisions(_ trainer: Trainer) -> [[Int]] { trainer.state.schedule.stages.map { [$0.iterations] + $0.plan.terms.map(\.batchSize) } }
            guard decisions(distributed) == decisions(alone), difference <= 1e-4 else {
                communicator.abort(message: "adaptive: \(communicator.size) ranks decided \(distributed.state.schedule.stages.map(\.iterations)) "
                                   + "and differ by \(difference) from one process (\(alone.state.schedule.stages.map(\.iterations)))", code: 2)
            }
            print("adaptive: ok on \(communicator.size) ranks (stages \(alone.state.schedule.stages.map(\.iterations)), relative difference \(difference))")
        }
        communicator.barrier()
        communicator.finalize()
        exit(0)
    }
    let distributed = try Trainer(configuration: configuration(runDirectory: directory + "/ranks"), dataPath: data,
                                  reporter: quiet, communicator: communicator)
    let steps = scenario == "gradient" ? 1 : 20
    for step in 0..<steps { _ = try distributed.step(step) }
    guard distributed.replicasAgree() else {
        communicator.abort(message: "parameters differ between ranks after \(steps) step(s)", code: 2)
    }
    if communicator.isRoot {
        let alone = try Trainer(configuration: configuration(runDirectory: directory + "/alone"), dataPath: data, reporter: quiet)
        for step in 0..<steps { _ = try alone.step(step) }
        let (mine, reference, tolerance) = scenario == "gradient"
            ? (distributed.model.parameters.snapshotGradients(), alone.model.parameters.snapshotGradients(), 1e-5)
            : (distributed.model.parameters.snapshotValues(), alone.model.parameters.snapshotValues(), 1e-4)
        let difference = relativeDifference(mine, reference)
        guard difference <= tolerance else {
            communicator.abort(message: "\(scenario): \(communicator.size) ranks differ from one process by \(difference) "
                               + "(relative), more than \(tolerance)", code: 2)
        }
        print("\(scenario): ok on \(communicator.size) ranks (relative difference \(difference))")
    }
    communicator.barrier()
    communicator.finalize()
} catch {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    exit(1)
}
