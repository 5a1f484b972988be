import ArgumentParser
import Foundation
import MSData
import MSMultiscale
import MSNN
import MSTasks
import MSTensor
import MSTrain

/// `mstrain-dist eval`: metrics of a trained model on a dataset split.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate trained weights on a dataset split (MSE, PSNR, SSIM on [0, 1]).",
        discussion: """
            The network, task and seed come from the configuration stored in the weights file. The \
            degradation draws are fixed by the seed, so repeated evaluations see the same inputs.
            """)

    @Argument(help: "Weights file (weights.h5 of a run directory).")
    var weights: String
    @Option(help: "Dataset file (default: the data the run used).")
    var data: String?
    @Option(help: "Split: train, valid or test (default valid).")
    var split: String = "valid"
    @Option(help: "Number of images, from the first (default: the whole split).")
    var count: Int?
    @Option(help: "Write inputs, restorations and targets ([N, C, H, W] float32 in [0, 1]) to this HDF5 file.")
    var output: String?
    @Option(help: "BLAS threads (default: all cores).")
    var threads: Int?

    func validate() throws {
        if let count, count < 1 { throw ValidationError("--count must be at least 1, got \(count)") }
        guard Split(rawValue: split) != nil else {
            throw ValidationError("--split must be one of \(Split.allCases.map(\.rawValue).joined(separator: ", ")), got '\(split)'")
        }
    }

    func run() throws {
        try runReportingErrors {
            configureThreads(threads)
            let configuration = try WeightsFile.configuration(in: weights)
            let givenData = data ?? configuration.data
            if let givenData { try checkDatasetInChildProcess(givenData) }   // not the built-in set, which this program wrote
            let dataPath = try givenData ?? DefaultDataset.ensure(log: { print($0) })
            let dataset = try ImageDataset(path: dataPath, split: Split(rawValue: split)!)
            var modelConfiguration = try configuration.model
            modelConfiguration.imageChannels = dataset.channels
            let model = try makeModel(modelConfiguration, seed: configuration.seed)
            try WeightsFile.read(into: model, from: weights)
            let estimator = MultilevelEstimator(model: model, restriction: configuration.restriction,
                                                residual: configuration.addsInputToOutput)
            let validator = try Validator(dataset: dataset, task: RestorationTask(kind: configuration.task),
                                          count: count ?? dataset.count, seed: configuration.seed)
            let predictions = try validator.predictions(estimator)
            let metrics = Validator.metrics(predictions, validator.batch.target)
            let input = validator.inputMetrics
            print("\(configuration.task.rawValue) on \(dataPath) [\(split)], \(validator.batch.input.batch) images:")
            print(String(format: "  restored: MSE %.6f  PSNR %.3f dB  SSIM %.4f", metrics.mse, metrics.psnr, metrics.ssim))
            print(String(format: "  input:    MSE %.6f  PSNR %.3f dB  SSIM %.4f", input.mse, input.psnr, input.ssim))
            if let output {
                try RestoredSamplesFile.write(input: validator.batch.input, restored: predictions,
                                              target: validator.batch.target, to: output)
                print("  wrote \(output)")
            }
        }
    }
}
