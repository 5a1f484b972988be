import ArgumentParser
import Foundation
import MSData
import MSDistributed
import MSTensor
import MSTrain

/// `mstrain-dist eval`: metrics of a trained model on a dataset split.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate trained weights on a dataset split (MSE, PSNR, SSIM on [0, 1]).",
        discussion: """
            The network, task and seed come from the configuration stored in the weights file. The \
            degradation draws are fixed by the seed, so repeated evaluations see the same inputs. \
            By default the images are the run's validation samples (whole images, or fixed crops for \
            a run trained with --patch). With --whole-images every image is evaluated whole at its own \
            size, one at a time (docs/inference.md): under mpirun all ranks share each image as strips \
            of rows (equal to one process to rounding, with about 1/N of the memory per rank); on one \
            process --tile T runs it tile by tile with --overlap.
            """)

    @Argument(help: "Weights file (weights.h5 of a run directory).")
    var weights: String
    @Option(help: "Dataset file (default: the data the run used).")
    var data: String?
    @Option(help: "Split: train, valid or test (default valid).")
    var split: String = "valid"
    @Option(help: "Number of images, from the first (default: the whole split).")
    var count: Int?
    @Flag(help: "Evaluate every image whole at its own size (strips of rows under mpirun).")
    var wholeImages = false
    @OptionGroup var wholeImage: WholeImageOptions
    @Option(help: "Write inputs, restorations and targets (float32 in [0, 1]) to this HDF5 file: [N, C, H, W] arrays, or with --whole-images one [C, H, W] dataset per image.")
    var output: String?
    @Option(help: "With --whole-images, also write each restoration as an 8-bit PNG into this folder.")
    var pngFolder: String?
    @Option(help: "BLAS threads (default: all cores for one process, 1 per rank under MPI).")
    var threads: Int?

    func validate() throws {
        if let count, count < 1 { throw ValidationError("--count must be at least 1, got \(count)") }
        guard Split(rawValue: split) != nil else {
            throw ValidationError("--split must be one of \(Split.allCases.map(\.rawValue).joined(separator: ", ")), got '\(split)'")
        }
        if !wholeImages && (wholeImage.tile != nil || pngFolder != nil) { throw ValidationError("--tile and --png-folder apply with --whole-images") }
    }

    func run() throws {
        if wholeImages { return try runWholeImages() }
        try runReportingErrors {
            configureThreads(threads)
            // A dataset given here or named by the weights is read once in a child process first (not
            // the built-in set, which this program wrote).
            if let givenData = try data ?? WeightsFile.configuration(in: weights).data { try checkDatasetInChildProcess(givenData) }
            let restorations = try Restorations(weights: weights, data: data, split: Split(rawValue: split)!, count: count,
                                                log: { print($0) })
            print("\(restorations.configuration.task.rawValue) on \(restorations.dataPath) [\(split)], \(restorations.batch.input.batch) images:")
            print(Self.describe(restored: restorations.metrics, input: restorations.inputMetrics))
            if let output {
                try RestoredSamplesFile.write(input: restorations.batch.input, restored: restorations.restored,
                                              target: restorations.batch.target, to: output)
                print("  wrote \(output)")
            }
        }
    }

    /// Every image whole: on strips of all ranks under mpirun, else whole or tiled.
    private func runWholeImages() throws {
        let communicator = try makeCommunicatorReportingErrors(rank: EnvironmentSettings.launchRank())
        defer { communicator.finalize() }
        try runCollectively(communicator) {
            configureThreads(threads, ranks: communicator.size)
            let stored = try WeightsFile.configuration(in: weights)
            let dataPath = try data ?? stored.data ?? DefaultDataset.ensure(log: { if communicator.isRoot { print($0) } })
            let dataset = try ImageDataset(path: dataPath, split: Split(rawValue: split)!, memoryBudgetBytes: 0)
            let evaluation = WholeImageEvaluation(trained: try TrainedModel(weights: weights, channels: dataset.channels), dataset: dataset)
            let layout = try wholeImage.layout(communicator: communicator, stride: evaluation.trained.estimator.model.totalStride)
            if let pngFolder, communicator.isRoot { try FileManager.default.createDirectory(atPath: pngFolder, withIntermediateDirectories: true) }
            var images: [WholeImageEvaluation.Image] = []
            for index in 0..<min(count ?? dataset.count, dataset.count) {
                let start = ContinuousClock.now
                var image = try evaluation.image(index, layout: layout)
                guard communicator.isRoot else { continue }
                print(String(format: "image %d (%@): PSNR %.3f dB (input %.3f dB) in %@", index, "\(dataset.sizes[index])",
                             image.metrics.psnr, image.inputMetrics.psnr, secondsSince(start)))
                if let pngFolder {
                    let path = (pngFolder as NSString).appendingPathComponent("restored-\(DatasetLayout.imageName(index)).png")
                    try writePNG(image.restored, to: path)
                }
                if output == nil { (image.input, image.restored, image.target) = (Tensor(shape: [0]), Tensor(shape: [0]), Tensor(shape: [0])) }
                images.append(image)
            }
            guard communicator.isRoot else { return }
            print("\(evaluation.trained.configuration.task.rawValue) on \(dataPath) [\(split)], \(images.count) whole images, \(layout):")
            print(Self.describe(restored: .mean(images.map(\.metrics)), input: .mean(images.map(\.inputMetrics))))
            if let output {
                try RestoredSamplesFile.write(perImage: [("input", images.map(\.input)), ("restored", images.map(\.restored)),
                                                         ("target", images.map(\.target))], to: output)
                print("  wrote \(output)")
            }
        }
    }

    private static func describe(restored: ValidationMetrics, input: ValidationMetrics) -> String {
        String(format: "  restored: MSE %.6f  PSNR %.3f dB  SSIM %.4f\n  input:    MSE %.6f  PSNR %.3f dB  SSIM %.4f",
               restored.mse, restored.psnr, restored.ssim, input.mse, input.psnr, input.ssim)
    }
}
