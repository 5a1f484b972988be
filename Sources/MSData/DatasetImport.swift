import Foundation

/// Converts an image collection into a dataset file (see docs/datasets.md).
///
/// Sources: a CIFAR-10 python folder (`data_batch_1…5` → train, `test_batch` → valid), one
/// CIFAR batch file, or a `.npy` array. A single array is split into train (the first
/// `N − validCount` images) and valid (the last `validCount`, default `max(1, N/10)`).
/// uint8 sources give uint8 datasets, float sources float32 datasets.
public enum DatasetImport {
    public struct Options: Sendable {
        /// Centre-crop to a square and resize to `size × size`; nil keeps the images as they are.
        public var size: Int?
        /// Images of a single array that go to the valid split.
        public var validCount: Int?
        /// Axis order of a 4-D `.npy` array.
        public var layout: NumpyLayout

        public init(size: Int? = nil, validCount: Int? = nil, layout: NumpyLayout = .auto) {
            (self.size, self.validCount, self.layout) = (size, validCount, layout)
        }
    }

    /// What was written.
    public struct Summary: Sendable, CustomStringConvertible {
        public var source: String
        public var counts: [Split: Int]
        public var channels, height, width: Int
        public var storage: SampleStorage

        public var description: String {
            let splits = Split.allCases.compactMap { split in counts[split].map { "\(split) \($0)" } }.joined(separator: ", ")
            return "\(splits) images of [\(channels), \(height), \(width)] \(storage) from \(source)"
        }
    }

    /// Reads `source`, splits it and writes the dataset to `path` (directly; wrap the call in
    /// `AtomicOutput.write` for an all-or-nothing file).
    public static func run(source: String, to path: String, options: Options = Options()) throws -> Summary {
        if let size = options.size, size < 1 { throw DataError.invalidOption("the image size must be at least 1, got \(size)") }
        let (kind, splits) = try read(source, options)
        let resized = options.size.map { " centre-cropped and resized to \($0)×\($0)" } ?? ""
        let first = splits[0].images
        let writer = try DatasetWriter(path: path, storage: first.storage, provenance: "import of \(source) (\(kind))\(resized)")
        var summary = Summary(source: source, counts: [:], channels: first.channels,
                              height: options.size ?? first.height, width: options.size ?? first.width, storage: first.storage)
        for (split, images) in splits {
            try writer.addSplit(split, count: images.count, channels: summary.channels, height: summary.height, width: summary.width)
            for start in stride(from: 0, to: images.count, by: 256) {
                try images.slice(start ..< min(images.count, start + 256), resizedTo: options.size).write(into: writer, split: split, at: start)
            }
            summary.counts[split] = images.count
        }
        try writer.close()
        return summary
    }

    /// The kind of source and its images per split.
    private static func read(_ source: String, _ options: Options) throws -> (String, [(split: Split, images: ImageArray)]) {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: source, isDirectory: &isFolder) else { throw DataError.missingFile(path: source) }
        if isFolder.boolValue {
            guard CIFAR10.isBatchFolder(source) else {
                throw DataError.unsupportedSource(path: source, reason: "folders of PNG/JPEG images are not supported yet; "
                    + "save the images as one uint8 .npy array [N, H, W, C] (numpy.save) and import that")
            }
            guard options.validCount == nil else {
                throw DataError.invalidOption("--valid-count does not apply to a CIFAR-10 folder: its test_batch is the valid split")
            }
            let (train, test) = try CIFAR10.readFolder(source)
            return ("CIFAR-10 python batches", [(.train, train), (.valid, test)])
        }
        let kind: String, images: ImageArray
        switch URL(fileURLWithPath: source).pathExtension.lowercased() {
        case "npy":
            (kind, images) = ("NumPy array", try NumpyFile.readImages(source, layout: options.layout))
        case "npz":
            throw DataError.unsupportedSource(path: source, reason: ".npz archives are not supported yet; "
                + "save the image array on its own with numpy.save(\"images.npy\", numpy.load(\"\(source)\")[NAME]) and import that")
        case "png", "jpg", "jpeg":
            throw DataError.unsupportedSource(path: source, reason: "PNG/JPEG images are not supported yet; "
                + "save the images as one uint8 .npy array [N, H, W, C] (numpy.save) and import that")
        default:
            guard CIFAR10.looksLikeBatch(source) else {
                throw DataError.unsupportedSource(path: source, reason: "unknown format; expected a .npy file, a CIFAR-10 python batch or a CIFAR-10 folder")
            }
            (kind, images) = ("CIFAR-10 python batch", try CIFAR10.readBatch(source))
        }
        guard images.count >= 2 else {
            throw DataError.unsupportedSource(path: source, reason: "holds \(images.count) images; at least 2 are needed (train and valid)")
        }
        let validCount = options.validCount ?? max(1, images.count / 10)
        guard validCount >= 1, validCount < images.count else {
            throw DataError.invalidOption("\(source) holds \(images.count) images; the valid split needs 1 to \(images.count - 1) of them, got \(validCount)")
        }
        let trainCount = images.count - validCount
        return (kind, [(.train, images.slice(0 ..< trainCount)), (.valid, images.slice(trainCount ..< images.count))])
    }
}
