import Foundation

/// Converts an image collection into a dataset file (see docs/datasets.md).
///
/// Sources: a CIFAR-10 python folder (`data_batch_1…5` → train, `test_batch` → valid), one
/// CIFAR batch file, a `.npy` array, an array of an `.npz` archive (or two: train and valid),
/// or a folder of PNG/JPEG files. A single array is split into train (the first
/// `N − validCount` images) and valid (the last `validCount`, default `max(1, N/10)`).
/// uint8 sources (CIFAR, PNG, JPEG) give uint8 datasets, float sources float32 datasets.
public enum DatasetImport {
    public struct Options: Sendable {
        /// Centre-crop to a square and resize to `size × size`; nil keeps the images as they are.
        public var size: Int?
        /// Images of a single array (or folder) that go to the valid split.
        public var validCount: Int?
        /// Axis order of a 4-D `.npy` array (or `.npz` member).
        public var layout: NumpyLayout
        /// Converts every image to 1 (grey) or 3 (RGB) channels (`ImageArray.converted`); nil
        /// keeps the source's channels (for a folder: 1 when every image is grey, else 3).
        public var channels: Int?
        /// The `.npz` array to import; nil picks `NpzArchive.defaultArrayName()`.
        public var array: String?
        /// An `.npz` array that becomes the whole valid split (instead of splitting `array`).
        public var validArray: String?

        public init(size: Int? = nil, validCount: Int? = nil, layout: NumpyLayout = .auto,
                    channels: Int? = nil, array: String? = nil, validArray: String? = nil) {
            (self.size, self.validCount, self.layout) = (size, validCount, layout)
            (self.channels, self.array, self.validArray) = (channels, array, validArray)
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
        if let channels = options.channels, channels != 1 && channels != 3 {
            throw DataError.invalidOption("the channel count must be 1 (grey) or 3 (RGB), got \(channels)")
        }
        let (kind, splits) = try read(source, options)
        let first = splits[0].images
        let channels = options.channels ?? first.channels
        let resized = options.size.map { " centre-cropped and resized to \($0)×\($0)" } ?? ""
        let converted = channels == first.channels ? "" : channels == 1 ? " converted to grey" : " converted to RGB"
        let writer = try DatasetWriter(path: path, storage: first.storage, provenance: "import of \(source) (\(kind))\(resized)\(converted)")
        var summary = Summary(source: source, counts: [:], channels: channels,
                              height: options.size ?? first.height, width: options.size ?? first.width, storage: first.storage)
        for (split, images) in splits {
            try writer.addSplit(split, count: images.count, channels: summary.channels, height: summary.height, width: summary.width)
            for start in stride(from: 0, to: images.count, by: 256) {
                try writer.write(split, images: images.slice(start ..< min(images.count, start + 256), resizedTo: options.size)
                    .converted(toChannels: channels), at: start)
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
        let format = isFolder.boolValue ? "" : URL(fileURLWithPath: source).pathExtension.lowercased()
        if format != "npz" && (options.array != nil || options.validArray != nil) {
            throw DataError.invalidOption("--array and --valid-array choose arrays of an .npz archive; \(source) is not one")
        }
        let kind: String, images: ImageArray
        if isFolder.boolValue && CIFAR10.isBatchFolder(source) {
            guard options.validCount == nil else {
                throw DataError.invalidOption("--valid-count does not apply to a CIFAR-10 folder: its test_batch is the valid split")
            }
            let (train, test) = try CIFAR10.readFolder(source)
            return ("CIFAR-10 python batches", [(.train, train), (.valid, test)])
        } else if isFolder.boolValue {
            (images, kind) = try ImageFolder.read(source, size: options.size)
        } else if format == "npz" {
            let archive = try NpzArchive(path: source)
            let name = try options.array ?? archive.defaultArrayName()
            images = try archive.readImages(name, layout: options.layout)
            kind = "NumPy archive, array \(name)"
            if let validName = options.validArray {
                return ("\(kind), valid array \(validName)", try separateValid(images, try archive.readImages(validName, layout: options.layout), source, options))
            }
        } else if format == "npy" {
            (kind, images) = ("NumPy array", try NumpyFile.readImages(source, layout: options.layout))
        } else if ImageFolder.extensions.contains(format) {
            throw DataError.unsupportedSource(path: source, reason: "is a single image, but a dataset needs at least 2 (train and valid); "
                + "put the images in a folder and import the folder")
        } else {
            guard CIFAR10.looksLikeBatch(source) else {
                throw DataError.unsupportedSource(path: source, reason: "unknown format; expected a folder of PNG/JPEG images, a .npy or .npz file, "
                    + "a CIFAR-10 python batch or a CIFAR-10 folder")
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

    /// Train and valid splits from two arrays, which must agree in element type, channels
    /// (unless `--channels` converts them) and size (unless `--size` resizes them).
    private static func separateValid(_ train: ImageArray, _ valid: ImageArray, _ source: String,
                                      _ options: Options) throws -> [(split: Split, images: ImageArray)] {
        guard options.validCount == nil else {
            throw DataError.invalidOption("--valid-count does not apply with --valid-array: that array is the valid split")
        }
        let agree = train.storage == valid.storage && (options.channels != nil || train.channels == valid.channels)
            && (options.size != nil || (train.height, train.width) == (valid.height, valid.width))
        guard agree, train.count >= 1, valid.count >= 1 else {
            func describe(_ a: ImageArray) -> String { "\(a.storage) [\(a.count), \(a.channels), \(a.height), \(a.width)]" }
            throw DataError.unsupportedSource(path: source, reason: "the train array is \(describe(train)) and the valid array \(describe(valid)); "
                + "both need images, of one element type and, unless --channels and --size convert them, the same channels and size")
        }
        return [(.train, train), (.valid, valid)]
    }
}
