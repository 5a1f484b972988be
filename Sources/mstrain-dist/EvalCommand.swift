import ArgumentParser
import Foundation
import MSData
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
            // A dataset given here or named by the weights is read once in a child process first (not
            // the built-in set, which this program wrote).
            if let givenData = try data ?? WeightsFile.configuration(in: weights).data { try checkDatasetInChildProcess(givenData) }
            let restorations = try Restorations(weights: weights, data: data, split: Split(rawValue: split)!, count: count,
                                                log: { print($0) })
            let (metrics, input) = (restorations.metrics, restorations.inputMetrics)
            print("\(restorations.configuration.task.rawValue) on \(restorations.dataPath) [\(split)], \(restorations.batch.input.batch) images:")
            print(String(format: "  restored: MSE %.6f  PSNR %.3f dB  SSIM %.4f", metrics.mse, metrics.psnr, metrics.ssim))
            print(String(format: "  input:    MSE %.6f  PSNR %.3f dB  SSIM %.4f", input.mse, input.psnr, input.ssim))
            if let output {
                try RestoredSamplesFile.write(input: restorations.batch.input, restored: restorations.restored,
                                              target: restorations.batch.target, to: output)
                print("  wrote \(output)")
            }
        }
    }
}
