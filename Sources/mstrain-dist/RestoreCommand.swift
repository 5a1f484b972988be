import ArgumentParser
import Foundation
import MSData
import MSDistributed
import MSKernels
import MSTensor
import MSTrain

/// `mstrain-dist restore`: a trained network applied to a user's own images.
struct RestoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Restore PNG/JPEG images with trained weights, whole at their own size; write PNGs and one HDF5 file.",
        discussion: """
            Each image is read (PNG or JPEG; a folder means its image files), converted to the network's \
            channels, and restored whole (docs/inference.md): under mpirun all ranks share each image as \
            strips of rows; on one process --tile T runs it tile by tile with --overlap. For \
            super-resolution the image is first upsampled by the trained factor, as in training. The \
            network is told the noise level --time (default: the middle of the levels it was trained on). \
            Writes FOLDER/<name>.png (8-bit) for every image and FOLDER/restored.h5 with one [C, H, W] \
            float32 dataset per image (/restored/0000000, in the order restore prints the images).
            """)

    @Argument(help: "Weights file (weights.h5 of a run directory).")
    var weights: String
    @Argument(help: "Images to restore: PNG or JPEG files, or folders of them.")
    var images: [String]
    @Option(help: "Folder for the restored images (created if missing).")
    var outputFolder: String
    @Option(help: "Noise level told to the network (denoise: the signal fraction t of t·x + (1−t)·z; deblur, inpaint: the noise level).")
    var time: Float?
    @OptionGroup var wholeImage: WholeImageOptions
    @Option(help: "BLAS threads (default: all cores for one process, 1 per rank under MPI).")
    var threads: Int?

    func run() throws {
        let communicator = try makeCommunicatorReportingErrors(rank: EnvironmentSettings.launchRank())
        defer { communicator.finalize() }
        try runCollectively(communicator) {
            configureThreads(threads, ranks: communicator.size)
            let files = try images.flatMap { path -> [String] in
                var isFolder: ObjCBool = false
                guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else { throw DataError.missingFile(path: path) }
                return isFolder.boolValue ? try ImageFolder.imageFiles(path) : [path]
            }
            guard !files.isEmpty else { throw ValidationError("no PNG or JPEG files among \(images.joined(separator: ", "))") }
            let names = files.map { URL(fileURLWithPath: $0).deletingPathExtension().lastPathComponent + ".png" }
            if let repeated = Dictionary(grouping: names, by: { $0 }).first(where: { $0.value.count > 1 })?.key {
                throw ValidationError("two of the images would both be written as \(repeated); restore them into different --output-folder folders")
            }
            let trained = try TrainedModel(weights: weights)
            let restorer = ImageRestorer(estimator: trained.estimator)
            let layout = try wholeImage.layout(communicator: communicator, stride: trained.estimator.model.totalStride)
            let time = self.time ?? trained.typicalTime
            if communicator.isRoot {
                try FileManager.default.createDirectory(atPath: outputFolder, withIntermediateDirectories: true)
                print("restoring \(files.count) image(s) with \(weights) (\(trained.configuration.task.rawValue), told noise level \(time)), \(layout)")
            }
            var restored: [Tensor] = []
            for (file, name) in zip(files, names) {
                let start = ContinuousClock.now
                var input = try ImageCodecs.decode(file).image.converted(toChannels: trained.channels).trainingRange
                if trained.configuration.task == .superres {
                    for _ in 0..<trained.configuration.taskOptions.superresFactor.trailingZeroBitCount { input = Resample.upsampleBilinear(input) }
                }
                let output = try restorer.restore(input, time: time, layout: layout)
                guard communicator.isRoot else { continue }
                let path = (outputFolder as NSString).appendingPathComponent(name)
                try writePNG(output, to: path)
                print("\(file) → \(path) (\(output.width)×\(output.height)) in \(secondsSince(start))")
                restored.append(output)
            }
            guard communicator.isRoot else { return }
            let h5 = (outputFolder as NSString).appendingPathComponent("restored.h5")
            try RestoredSamplesFile.write(perImage: [("restored", restored)], to: h5)
            print("wrote \(h5)")
        }
    }
}
