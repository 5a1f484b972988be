import Foundation

/// Converts an image collection into a dataset file (see docs/datasets.md).
///
/// Sources: a CIFAR-10 python folder (`data_batch_1…5` → train, `test_batch` → valid), one
/// CIFAR batch file, a `.npy` array, an array of an `.npz` archive (or two: train and valid),
/// or a folder of PNG/JPEG files (`FolderImport`, image by image at native resolution). A
/// single array or folder is split into train (the first `N − validCount` images) and valid
/// (the last `validCount`, default `max(1, N/10)`). uint8 sources (CIFAR, PNG, JPEG) give
/// uint8 datasets, 16-bit PNGs uint16 and float sources float32 datasets.
public enum DatasetImport {
    /// Reads `source`, splits it and writes the dataset to `path` (directly; wrap the call in
    /// `AtomicOutput.write` for an all-or-nothing file).
    public static func run(source: String, to path: String, options: Options = Options()) throws -> Summary {
        try options.check(source)
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: source, isDirectory: &isFolder), isFolder.boolValue, !CIFAR10.isBatchFolder(source) {
            return try FolderImport.run(source, to: path, options: options)
        }
        guard !options.skipBad else {
            throw DataError.invalidOption("--skip-bad skips bad image files of a folder; \(source) is not a folder of PNG/JPEG files")
        }
        let (kind, splits) = try read(source, options)
        let first = splits[0].images
        let channels = options.channels ?? first.channels
        let converted = channels == first.channels ? "" : channels == 1 ? ", converted to grey" : ", converted to RGB"
        let writer = try DatasetWriter(path: path, storage: first.storage, provenance: "import of \(source) (\(kind))\(options.resizing)\(converted)")
        let size = options.outputSize(ImageSize(height: first.height, width: first.width))
        var summary = Summary(source: source, counts: [:], channels: channels, smallest: size, largest: size, storage: first.storage)
        for (split, images) in splits {
            try writer.addSplit(split, count: images.count, channels: channels, height: size.height, width: size.width)
            for start in stride(from: 0, to: images.count, by: 256) {
                let batch = images.slice(start ..< min(images.count, start + 256), resizedTo: options.size)
                try writer.write(split, images: batch.downscaled(by: options.downscale).converted(toChannels: channels), at: start)
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
        let kind: String, images: ImageArray
        if isFolder.boolValue && CIFAR10.isBatchFolder(source) {
            guard options.validCount == nil else {
                throw DataError.invalidOption("--valid-count does not apply to a CIFAR-10 folder: its test_batch is the valid split")
            }
            let (train, test) = try CIFAR10.readFolder(source)
            return ("CIFAR-10 python batches", [(.train, train), (.valid, test)])
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
        let trainCount = try options.trainCount(of: images.count, in: source)
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
