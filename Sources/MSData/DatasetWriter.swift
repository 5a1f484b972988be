/// Writes a dataset file in the layout of `DatasetLayout`: root attributes first, then the
/// splits. In the one-array layout each split is one `[N, C, H, W]` dataset filled batch by
/// batch along axis 0; in the per-image layout images are appended one at a time, each its
/// own tile-chunked `[C, H, W]` dataset, and `close()` writes each split's sizes.
///
/// Callers that must not leave a half-written file behind write through `AtomicOutput`.
public final class DatasetWriter {
    public let path: String
    public let storage: SampleStorage
    public let layout: SplitLayout
    /// The root attribute `provenance`, written by `close()` (so that an import can add what
    /// it learned while writing).
    public var provenance: String
    private let file: HDF5File
    /// One-array layout: `C·H·W` of each split added so far.
    private var sampleSizes: [Split: Int] = [:]
    /// Per-image layout: the channels and sizes of the images appended to each split.
    private var appended: [Split: (channels: Int, sizes: [ImageSize])] = [:]

    /// Creates (truncates) `path` and writes the root attributes, with `format_version`
    /// `DatasetLayout.formatVersion(layout:storage:)` (`provenance` follows at `close()`).
    /// - Parameters:
    ///   - provenance: how the images were made: the generator and its options, or the source.
    ///   - generatorSeed: the seed of generated data; nil for imported data.
    public init(path: String, storage: SampleStorage, layout: SplitLayout = .array, provenance: String, generatorSeed: UInt64? = nil) throws {
        (self.path, self.storage, self.layout, self.provenance) = (path, storage, layout, provenance)
        file = try HDF5File(creatingAt: path)
        try file.setAttribute(DatasetLayout.Attribute.format, .string(DatasetLayout.format))
        try file.setAttribute(DatasetLayout.Attribute.formatVersion, .int64(DatasetLayout.formatVersion(layout: layout, storage: storage)))
        try file.setAttribute(DatasetLayout.Attribute.valueRange, .string(storage.valueRange))
        if let generatorSeed {
            try file.setAttribute(DatasetLayout.Attribute.generatorSeed, .int64(Int64(bitPattern: generatorSeed)))
        }
    }

    // MARK: One-array layout

    /// Creates `/<split>/images` of shape `[count, channels, height, width]`, chunked in tiles
    /// `[1, C, min(H, 256), min(W, 256)]` (one chunk per sample for images up to 256 × 256).
    public func addSplit(_ split: Split, count: Int, channels: Int, height: Int, width: Int) throws {
        precondition(layout == .array, "\(path): addSplit is for the one-array layout")
        precondition(sampleSizes[split] == nil, "\(path): split \(split) added twice")
        try file.createDataset(DatasetLayout.imagesPath(split), elementType: storage.elementType, shape: [count, channels, height, width],
                               chunk: [1] + DatasetLayout.tileChunk(channels: channels, height: height, width: width))
        sampleSizes[split] = channels * height * width
    }

    /// Writes samples `start ..< start + n` of `split` from `images`, `n` samples `[n, C, H, W]`
    /// with values in [0, 1], quantized as `ImageArray.Values.quantized` does.
    public func write(_ split: Split, unitImages images: [Float], at start: Int) throws {
        try write(split, stored: .quantized(images, as: storage), at: start)
    }

    /// Writes `images` into samples `start ..< start + images.count` of `split`, converted to
    /// this file's storage (`ImageArray.converted(toStorage:)`).
    public func write(_ split: Split, images: ImageArray, at start: Int) throws {
        try write(split, stored: images.converted(toStorage: storage).values, at: start)
    }

    /// Shrinks `split` to its first `count` samples (for an import that skipped images after
    /// the split was created).
    public func truncate(_ split: Split, to count: Int) throws {
        precondition(layout == .array && sampleSizes[split] != nil, "\(path): truncate of split \(split), which was not added")
        try file.resize(DatasetLayout.imagesPath(split), rows: count)
    }

    // MARK: Per-image layout

    /// Appends `image` (one image, `count` 1) to `split` as the dataset
    /// `DatasetLayout.imagePath(split, index)`, chunked in tiles `[C, min(H, 256), min(W, 256)]`,
    /// converted to this file's storage. Every image of a split has the same channels.
    public func append(_ image: ImageArray, to split: Split) throws {
        precondition(layout == .perImage, "\(path): append is for the per-image layout")
        precondition(image.count == 1, "\(path): append takes one image, got \(image.count)")
        var entry = appended[split] ?? (image.channels, [])
        precondition(entry.channels == image.channels, "\(path): a \(image.channels)-channel image in a \(entry.channels)-channel split")
        let dataset = DatasetLayout.imagePath(split, entry.sizes.count)
        try file.createDataset(dataset, elementType: storage.elementType, shape: [image.channels, image.height, image.width],
                               chunk: DatasetLayout.tileChunk(channels: image.channels, height: image.height, width: image.width))
        try write(image.converted(toStorage: storage).values, to: dataset)
        entry.sizes.append(ImageSize(height: image.height, width: image.width))
        appended[split] = entry
    }

    /// Images appended to `split` so far.
    public func appendedCount(_ split: Split) -> Int { appended[split]?.sizes.count ?? 0 }

    // MARK: Closing

    /// Writes the provenance and the sizes of the per-image splits and closes the file,
    /// flushing everything to disk.
    public func close() throws {
        try file.setAttribute(DatasetLayout.Attribute.provenance, .string(provenance))
        for (split, entry) in appended {
            try file.createDataset(DatasetLayout.sizesPath(split), elementType: .int64, shape: [entry.sizes.count, 2])
            try file.write(entry.sizes.flatMap { [Int64($0.height), Int64($0.width)] }, to: DatasetLayout.sizesPath(split))
        }
        try file.flush()
        try file.close()
    }

    /// `round(255·clamp(v, 0, 1))`.
    public static func quantize(_ value: Float) -> UInt8 {
        UInt8(ImageArray.Values.quantize(value, maximum: 255))
    }

    private func write(_ split: Split, stored values: ImageArray.Values, at start: Int) throws {
        guard let sampleSize = sampleSizes[split] else { preconditionFailure("\(path): split \(split) written before addSplit") }
        precondition(values.count % sampleSize == 0, "\(path): \(values.count) values are not whole samples of \(sampleSize)")
        try write(values, to: DatasetLayout.imagesPath(split), rows: start ..< start + values.count / sampleSize)
    }

    private func write(_ values: ImageArray.Values, to dataset: String, rows: Range<Int>? = nil) throws {
        switch values {
        case .uint8(let v): try file.write(v, to: dataset, rows: rows)
        case .uint16(let v): try file.write(v, to: dataset, rows: rows)
        case .float32(let v): try file.write(v, to: dataset, rows: rows)
        }
    }
}
