import ArgumentParser
import Foundation
import MSData

extension NumpyLayout: ExpressibleByArgument {}

/// `mstrain-dist data import`: converts an image collection into a dataset.
struct DataImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Convert images into a dataset.",
        discussion: """
            SOURCE is one of:
              - a folder of .png, .jpg and .jpeg files (any case; subfolders and hidden files are \
            ignored), read in name order. PNG: grey, grey + alpha, RGB, RGBA or palette, 8 or 16 bits \
            (alpha composited onto black). JPEG: grey or RGB. The dataset is RGB unless every image is \
            grey, and uint16 if any image is a 16-bit PNG (else uint8). Images keep their native \
            resolution: images of different sizes give a version-2 file (one dataset per image), images \
            of one size a version-1 file. --size S centre-crops and resizes every image to S×S, \
            --downscale F averages F×F blocks. Images are read, converted and written one at a time; \
            progress goes to standard error every few seconds. A file that cannot be decoded stops the \
            import (nothing is written) unless --skip-bad leaves it out;
              - a .npy array [N, H, W], [N, H, W, C] or [N, C, H, W] of uint8 (0..255) or float (0..1) \
            with C = 1 or 3;
              - a .npz archive (numpy.savez or savez_compressed) holding such arrays: --array picks one \
            (default: the only array, else images, x or data), --valid-array another for the valid split;
              - a CIFAR-10 python folder (data_batch_1..5 become train, test_batch valid) or one batch.
            One array or folder is split into train (the first images) and valid (the last --valid-count).
            The layouts are described in docs/datasets.md.
            """)

    @Argument(help: "The images to import: a folder of PNG/JPEG files, a .npy or .npz file, or CIFAR-10 batches.") var source: String
    @OptionGroup var output: DataOutputOptions
    @Option(help: "Centre-crop to a square and resize to this side, in pixels (default: keep the native size).") var size: Int?
    @Option(help: "Shrink every image by this integer factor: the mean of each F×F block; remainder rows and columns are cropped.")
    var downscale: Int = 1
    @Option(help: "Images of a single array or folder that go to the valid split (default: a tenth, at least 1).") var validCount: Int?
    @Option(help: "Axis order of a 4-D .npy or .npz array: auto, nhwc or nchw.") var layout: NumpyLayout = .auto
    @Option(help: "Convert the images to 1 (grey) or 3 (RGB) channels (default: as the source).") var channels: Int?
    @Option(help: "The .npz array to import (default: the only one, else images, x or data).") var array: String?
    @Option(help: "An .npz array to use as the valid split instead of splitting --array.") var validArray: String?
    @Flag(help: "Leave out image files of a folder that cannot be decoded or are not supported, and list them.") var skipBad = false

    func validate() throws {
        if let size, size < 1 { throw ValidationError("--size must be at least 1, got \(size)") }
        if downscale < 1 { throw ValidationError("--downscale must be at least 1, got \(downscale)") }
        if size != nil && downscale != 1 { throw ValidationError("--size and --downscale exclude each other") }
        if let validCount, validCount < 1 { throw ValidationError("--valid-count must be at least 1, got \(validCount)") }
        if let channels, channels != 1 && channels != 3 { throw ValidationError("--channels must be 1 or 3, got \(channels)") }
        if validArray != nil && validCount != nil { throw ValidationError("--valid-count and --valid-array exclude each other: the valid array is the valid split") }
    }

    func run() throws {
        let start = ContinuousClock.now
        let options = DatasetImport.Options(size: size, downscale: downscale, validCount: validCount, layout: layout, channels: channels,
                                             array: array, validArray: validArray, skipBad: skipBad,
                                             progress: { FileHandle.standardError.write(Data("\($0)\n".utf8)) })
        let summary = try AtomicOutput.write(to: output.output) { try DatasetImport.run(source: source, to: $0, options: options) }
        print("wrote \(output.output): \(summary) in \(secondsSince(start))")
    }
}
