import Foundation
import MSTensor

/// One split of a dataset file, read as training tensors.
///
/// Samples come out as `[n, C, H, W]` Float tensors scaled to [−1, 1]: a stored value `v`
/// becomes `2·v·s − 1`, with `s` = 1/255 for uint8 and 1 for float32 storage (so [0, 1] maps to
/// [−1, 1]). When the whole split as Float (`N·C·H·W·4` bytes) fits `memoryBudgetBytes`, it is
/// read once and kept in memory; otherwise each request reads the chunks it needs.
/// Concurrent reads are safe (HDF5 access is serialised by `HDF5File`).
public final class ImageDataset: @unchecked Sendable {
    public let path: String
    public let split: Split
    /// `N`, `C`, `H`, `W` of the stored `[N, C, H, W]` dataset.
    public let count, channels, height, width: Int
    public let storage: SampleStorage
    /// Whether the split is held in memory (otherwise read on demand).
    public var isCached: Bool { cache != nil }

    /// Elements per sample, `C·H·W`.
    private let sampleSize: Int
    /// The file, kept open for reads on demand; nil when cached.
    private let file: HDF5File?
    /// The whole split, already scaled to [−1, 1].
    private let cache: [Float]?

    /// Opens `split` of the dataset at `path` and checks it.
    /// - Parameters:
    ///   - levels: number of mesh levels the data will be restricted to; `H` and `W` must be
    ///     divisible by `2^(levels − 1)`.
    ///   - memoryBudgetBytes: cache the split when its Float size is at most this (default 2 GiB).
    /// - Throws: `DataError.missingFile`, `.notHDF5`, `.missingObject`, `.unsupportedElementType`,
    ///   `.wrongRank`, `.unsupportedChannels`, `.indivisibleSize` or `.emptySplit`.
    public init(path: String, split: Split, levels: Int = 1, memoryBudgetBytes: Int = 2 << 30) throws {
        precondition(levels >= 1, "ImageDataset: levels must be at least 1, got \(levels)")
        self.path = path
        self.split = split
        let file = try HDF5File(openingAt: path)
        let dataset = DatasetLayout.imagesPath(split)
        guard try file.exists(dataset) else {
            throw DataError.missingObject(file: path, object: "\(split) split (dataset \(dataset))",
                                          hint: "Choose a split the file holds (`mstrain-dist data info` lists them) or write this one.")
        }
        let info = try file.datasetInfo(dataset)
        switch info.elementType {
        case .uint8: storage = .uint8
        case .float32: storage = .float32
        default: throw DataError.unsupportedElementType(file: path, object: dataset, found: info.elementType.rawValue)
        }
        let shape = info.shape
        guard shape.count == 4 else { throw DataError.wrongRank(file: path, dataset: dataset, shape: shape) }
        guard shape[1] == 1 || shape[1] == 3 else { throw DataError.unsupportedChannels(file: path, dataset: dataset, shape: shape) }
        let factor = 1 << (levels - 1)
        guard shape[2] % factor == 0, shape[3] % factor == 0 else {
            throw DataError.indivisibleSize(file: path, dataset: dataset, shape: shape, levels: levels)
        }
        guard shape[0] > 0 else { throw DataError.emptySplit(file: path, dataset: dataset) }
        // A damaged header can claim any extent; the (uncompressed) data cannot be larger than
        // the file.
        let fileSize = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? nil
        let elements = shape.reduce((1, false)) { partial, extent in
            let (product, overflow) = partial.0.multipliedReportingOverflow(by: extent)
            return (product, partial.1 || overflow)
        }
        guard !elements.1, elements.0 <= (fileSize ?? Int.max / 8) + (1 << 20) else {
            throw DataError.hdf5Failure(file: path, operation: "read the extent \(shape) of", object: dataset)
        }
        (count, channels, height, width) = (shape[0], shape[1], shape[2], shape[3])
        sampleSize = channels * height * width

        if count * sampleSize * MemoryLayout<Float>.size <= memoryBudgetBytes {
            var all = [Float](repeating: 0, count: count * sampleSize)
            // Blocks of at most ~64 MiB bound the temporary memory of the read.
            let blockRows = max(1, (64 << 20) / (sampleSize * MemoryLayout<Float>.size))
            for start in stride(from: 0, to: count, by: blockRows) {
                let rows = start ..< min(count, start + blockRows)
                let values = try file.read(Float.self, from: dataset, rows: rows)
                ImageDataset.scale(values, into: &all, at: start * sampleSize, unitScale: storage.unitScale)
            }
            cache = all
            self.file = nil
            try file.close()
        } else {
            cache = nil
            self.file = file
        }
    }

    /// Samples `indices` (each in `0..<count`, repeats allowed) as `[indices.count, C, H, W]`
    /// in [−1, 1], in the order given.
    public func samples(_ indices: [Int]) throws -> Tensor {
        for index in indices {
            precondition(index >= 0 && index < count, "\(path):\(split): sample \(index) out of range 0..<\(count)")
        }
        var out = [Float](repeating: 0, count: indices.count * sampleSize)
        if let cache {
            for (k, index) in indices.enumerated() {
                out.replaceSubrange(k * sampleSize ..< (k + 1) * sampleSize, with: cache[index * sampleSize ..< (index + 1) * sampleSize])
            }
        } else if let file {
            // Runs of consecutive indices are read with one hyperslab each.
            var k = 0
            while k < indices.count {
                var end = k + 1
                while end < indices.count && indices[end] == indices[end - 1] + 1 { end += 1 }
                let values = try file.read(Float.self, from: DatasetLayout.imagesPath(split), rows: indices[k] ..< indices[end - 1] + 1)
                ImageDataset.scale(values, into: &out, at: k * sampleSize, unitScale: storage.unitScale)
                k = end
            }
        }
        return Tensor(shape: [indices.count, channels, height, width], scalars: out)
    }

    /// `destination[offset + i] = 2·values[i]·unitScale − 1`.
    private static func scale(_ values: [Float], into destination: inout [Float], at offset: Int, unitScale: Float) {
        let factor = 2 * unitScale
        destination.withUnsafeMutableBufferPointer { d in
            for i in 0..<values.count { d[offset + i] = values[i] * factor - 1 }
        }
    }
}
