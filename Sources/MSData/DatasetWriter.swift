/// Writes a dataset file in the layout of `DatasetLayout`: root attributes first, then one
/// `[N, C, H, W]` dataset per split, filled batch by batch along axis 0.
///
/// Callers that must not leave a half-written file behind write through `AtomicOutput`.
public final class DatasetWriter {
    public let path: String
    public let storage: SampleStorage
    private let file: HDF5File
    /// Elements per sample (`C·H·W`) of each split created so far.
    private var sampleSizes: [Split: Int] = [:]

    /// Creates (truncates) `path` and writes the root attributes.
    /// - Parameters:
    ///   - provenance: how the images were made: the generator and its options, or the source.
    ///   - generatorSeed: the seed of generated data; nil for imported data.
    public init(path: String, storage: SampleStorage, provenance: String, generatorSeed: UInt64? = nil) throws {
        self.path = path
        self.storage = storage
        file = try HDF5File(creatingAt: path)
        try file.setAttribute(DatasetLayout.Attribute.format, .string(DatasetLayout.format))
        try file.setAttribute(DatasetLayout.Attribute.formatVersion, .int64(DatasetLayout.formatVersion))
        try file.setAttribute(DatasetLayout.Attribute.valueRange, .string(storage.valueRange))
        try file.setAttribute(DatasetLayout.Attribute.provenance, .string(provenance))
        if let generatorSeed {
            try file.setAttribute(DatasetLayout.Attribute.generatorSeed, .int64(Int64(bitPattern: generatorSeed)))
        }
    }

    /// Creates `/<split>/images` of shape `[count, channels, height, width]`, one chunk per sample.
    public func addSplit(_ split: Split, count: Int, channels: Int, height: Int, width: Int) throws {
        precondition(sampleSizes[split] == nil, "\(path): split \(split) added twice")
        try file.createDataset(DatasetLayout.imagesPath(split), elementType: storage.elementType,
                               shape: [count, channels, height, width], chunk: [1, channels, height, width])
        sampleSizes[split] = channels * height * width
    }

    /// Writes samples `start ..< start + n` of `split` from `images`, `n` samples `[n, C, H, W]`
    /// with values in [0, 1]. For uint8 storage each value becomes `round(255·clamp(v, 0, 1))`.
    public func write(_ split: Split, unitImages images: [Float], at start: Int) throws {
        switch storage {
        case .float32: try write(split, stored: images, at: start)
        case .uint8: try write(split, stored: images.map(DatasetWriter.quantize), at: start)
        }
    }

    /// Writes samples `start ..< start + n` of `split` from uint8 values (storage must be uint8).
    public func write(_ split: Split, bytes: [UInt8], at start: Int) throws {
        precondition(storage == .uint8, "\(path): uint8 samples written into a \(storage) dataset")
        try write(split, stored: bytes, at: start)
    }

    /// Closes the file, flushing everything to disk.
    public func close() throws {
        try file.flush()
        try file.close()
    }

    /// `round(255·clamp(v, 0, 1))`.
    @inlinable
    public static func quantize(_ value: Float) -> UInt8 {
        UInt8((min(max(value, 0), 1) * 255).rounded())
    }

    private func write<T: HDF5Element>(_ split: Split, stored values: [T], at start: Int) throws {
        guard let sampleSize = sampleSizes[split] else { preconditionFailure("\(path): split \(split) written before addSplit") }
        precondition(values.count % sampleSize == 0, "\(path): \(values.count) values are not whole samples of \(sampleSize)")
        try file.write(values, to: DatasetLayout.imagesPath(split), rows: start ..< start + values.count / sampleSize)
    }
}
