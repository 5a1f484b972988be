import ArgumentParser
import MSData

extension NumpyLayout: ExpressibleByArgument {}

/// `mstrain-dist data import`: converts an image collection into a dataset.
struct DataImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Convert images into a dataset.",
        discussion: """
            SOURCE is a CIFAR-10 python folder (data_batch_1..5 become train, test_batch valid), one \
            CIFAR-10 python batch, or a .npy array [N, H, W], [N, H, W, C] or [N, C, H, W] of uint8 \
            (0..255) or float (0..1) with C = 1 or 3. A single array is split into train and valid. \
            Folders of PNG/JPEG images and .npz archives are not supported yet.
            """)

    @Argument(help: "The images to import.") var source: String
    @OptionGroup var output: DataOutputOptions
    @Option(help: "Centre-crop to a square and resize to this side, in pixels (default: keep).") var size: Int?
    @Option(help: "Images of a single array that go to the valid split (default: a tenth, at least 1).") var validCount: Int?
    @Option(help: "Axis order of a 4-D .npy array: auto, nhwc or nchw.") var layout: NumpyLayout = .auto

    func validate() throws {
        if let size, size < 1 { throw ValidationError("--size must be at least 1, got \(size)") }
        if let validCount, validCount < 1 { throw ValidationError("--valid-count must be at least 1, got \(validCount)") }
    }

    func run() throws {
        let start = ContinuousClock.now
        let options = DatasetImport.Options(size: size, validCount: validCount, layout: layout)
        let summary = try AtomicOutput.write(to: output.output) { try DatasetImport.run(source: source, to: $0, options: options) }
        print("wrote \(output.output): \(summary) in \(secondsSince(start))")
    }
}
