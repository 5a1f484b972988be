import Foundation
import MSTensor

/// One split of a dataset file, read as training tensors.
///
/// Images come out as Float tensors scaled to [−1, 1]: a stored value `v` becomes `2·v·s − 1`,
/// with `s` = 1/255 for uint8, 1/65535 for uint16 and 1 for float32 storage (so [0, 1] maps to
/// [−1, 1]). Both layouts of docs/datasets.md are read: one `[N, C, H, W]` array (format
/// version 1) and one `[C, H, W]` dataset per image, whose sizes may differ (version 2).
/// `samples` stacks whole images of one size; `region` reads a window of any image.
///
/// When the whole split as Float (`4·C·ΣH·W` bytes) fits `memoryBudgetBytes`, it is read once
/// and kept in memory; otherwise each request reads the chunks it needs. Both paths give
/// identical values. Concurrent reads are safe (HDF5 access is serialised by `HDF5File`).
public final class ImageDataset: @unchecked Sendable {
    public let path: String
    public let split: Split
    /// `N`, the number of images, and `C`, their channels (1 or 3).
    public let count, channels: Int
    /// For images of one size, that size. For images of different sizes, the smallest height
    /// and the smallest width over the images: the largest window every image can give.
    public let height, width: Int
    public let storage: SampleStorage
    /// The size of each image, in index order.
    public let sizes: [ImageSize]
    /// Whether the split is held in memory (otherwise read on demand).
    public var isCached: Bool { cache != nil }

    /// The size of every image, nil when the sizes differ.
    public let uniformSize: ImageSize?

    private let stored: StoredSplit
    /// The file, kept open for reads on demand; nil when cached.
    private let file: HDF5File?
    /// The whole split, already scaled to [−1, 1], image after image.
    private let cache: [Float]?
    /// Where image `i` starts in the cache: `offsets[i] = C·Σ_{j<i} H_j·W_j` (count + 1 entries).
    private let offsets: [Int]

    /// Opens `split` of the dataset at `path` and checks it.
    /// - Parameters:
    ///   - levels: number of mesh levels the data will be restricted to; `height` and `width`
    ///     (for images of different sizes the smallest ones) must be divisible by `2^(levels − 1)`.
    ///   - memoryBudgetBytes: cache the split when its Float size is at most this (default 2 GiB).
    /// - Throws: `DataError.missingFile`, `.notHDF5`, `.missingObject`, `.unsupportedElementType`,
    ///   `.wrongRank`, `.unsupportedChannels`, `.indivisibleSize`, `.emptySplit`,
    ///   `.malformedLayout` or `.hdf5Failure`.
    public init(path: String, split: Split, levels: Int = 1, memoryBudgetBytes: Int = 2 << 30) throws {
        precondition(levels >= 1, "ImageDataset: levels must be at least 1, got \(levels)")
        self.path = path
        self.split = split
        let file = try HDF5File(openingAt: path)
        stored = try StoredSplit(file, split: split)
        (count, channels, storage, sizes) = (stored.sizes.count, stored.channels, stored.storage, stored.sizes)
        let sizes = stored.sizes
        height = sizes.map(\.height).min()!
        width = sizes.map(\.width).min()!
        uniformSize = sizes.allSatisfy { $0 == sizes[0] } ? sizes[0] : nil
        let factor = 1 << (levels - 1)
        guard height % factor == 0, width % factor == 0 else {
            throw DataError.indivisibleSize(file: path, dataset: stored.imagesObject, shape: [count, channels, height, width], levels: levels)
        }
        var offsets = [0]
        for size in sizes { offsets.append(offsets.last! + channels * size.pixels) }
        self.offsets = offsets

        if offsets[count] * MemoryLayout<Float>.size <= memoryBudgetBytes {
            var all = [Float](repeating: 0, count: offsets[count])
            for block in ImageDataset.blocks(offsets) {
                ImageDataset.scale(try stored.read(file, images: block), into: &all, at: offsets[block.lowerBound], unitScale: storage.unitScale)
            }
            cache = all
            self.file = nil
            try file.close()
        } else {
            cache = nil
            self.file = file
        }
    }

    /// Images `indices` (each in `0..<count`, repeats allowed) as `[indices.count, C, H, W]` in
    /// [−1, 1], in the order given. The images must share one size.
    /// - Throws: `DataError.imagesDifferInSize` when the split's sizes differ (read windows of
    ///   one size with `region` instead), or an HDF5 failure of a read on demand.
    public func samples(_ indices: [Int]) throws -> Tensor {
        for index in indices {
            precondition(index >= 0 && index < count, "\(path):\(split): sample \(index) out of range 0..<\(count)")
        }
        guard let size = uniformSize else {
            throw DataError.imagesDifferInSize(file: path, object: stored.imagesObject, smallest: ImageSize(height: height, width: width),
                                               largest: ImageSize(height: sizes.map(\.height).max()!, width: sizes.map(\.width).max()!))
        }
        let sampleSize = channels * size.pixels
        var out = [Float](repeating: 0, count: indices.count * sampleSize)
        if let cache {
            for (k, index) in indices.enumerated() {
                out.replaceSubrange(k * sampleSize ..< (k + 1) * sampleSize, with: cache[offsets[index] ..< offsets[index + 1]])
            }
        } else if let file {
            // Runs of consecutive indices are read together (one hyperslab in the one-array layout).
            var k = 0
            while k < indices.count {
                var end = k + 1
                while end < indices.count && indices[end] == indices[end - 1] + 1 { end += 1 }
                let values = try stored.read(file, images: indices[k] ..< indices[end - 1] + 1)
                ImageDataset.scale(values, into: &out, at: k * sampleSize, unitScale: storage.unitScale)
                k = end
            }
        }
        return Tensor(shape: [indices.count, channels, size.height, size.width], scalars: out)
    }

    /// The window `rows × columns` of image `index` as `[1, C, rows.count, columns.count]` in
    /// [−1, 1]: bitwise the same values as that window of the whole image. Uncached, it reads
    /// only the HDF5 chunks (tiles) the window touches.
    /// - Precondition: `index` in `0..<count`, `rows` within `0..<sizes[index].height` and
    ///   `columns` within `0..<sizes[index].width`.
    public func region(_ index: Int, rows: Range<Int>, columns: Range<Int>) throws -> Tensor {
        precondition(index >= 0 && index < count, "\(path):\(split): image \(index) out of range 0..<\(count)")
        let size = sizes[index]
        precondition(rows.lowerBound >= 0 && rows.upperBound <= size.height && columns.lowerBound >= 0 && columns.upperBound <= size.width,
                     "\(path):\(split): window rows \(rows), columns \(columns) outside image \(index) of \(size) pixels (W×H)")
        var out = [Float](repeating: 0, count: channels * rows.count * columns.count)
        if let cache {
            var k = 0
            for c in 0..<channels {
                for y in rows {
                    let start = offsets[index] + (c * size.height + y) * size.width
                    out.replaceSubrange(k ..< k + columns.count, with: cache[start + columns.lowerBound ..< start + columns.upperBound])
                    k += columns.count
                }
            }
        } else if let file {
            ImageDataset.scale(try stored.read(file, index, rows: rows, columns: columns), into: &out, at: 0, unitScale: storage.unitScale)
        }
        return Tensor(shape: [1, channels, rows.count, columns.count], scalars: out)
    }

    /// Consecutive ranges of images, each one image or at most ~64 MiB as Float: reading a
    /// split block by block bounds the temporary memory.
    var blocks: [Range<Int>] { ImageDataset.blocks(offsets) }

    private static func blocks(_ offsets: [Int]) -> [Range<Int>] {
        var blocks: [Range<Int>] = []
        var start = 0
        while start < offsets.count - 1 {
            var end = start + 1
            while end < offsets.count - 1 && (offsets[end + 1] - offsets[start]) * MemoryLayout<Float>.size <= 64 << 20 { end += 1 }
            blocks.append(start ..< end)
            start = end
        }
        return blocks
    }

    /// The whole images of `range` one after the other (`C·H_i·W_i` values each) in [−1, 1],
    /// whatever their sizes.
    func wholeImages(_ range: Range<Int>) throws -> [Float] {
        if let cache { return Array(cache[offsets[range.lowerBound] ..< offsets[range.upperBound]]) }
        var out = [Float](repeating: 0, count: offsets[range.upperBound] - offsets[range.lowerBound])
        if let file { ImageDataset.scale(try stored.read(file, images: range), into: &out, at: 0, unitScale: storage.unitScale) }
        return out
    }

    /// `destination[offset + i] = 2·values[i]·unitScale − 1`.
    private static func scale(_ values: [Float], into destination: inout [Float], at offset: Int, unitScale: Float) {
        let factor = 2 * unitScale
        destination.withUnsafeMutableBufferPointer { d in
            for i in 0..<values.count { d[offset + i] = values[i] * factor - 1 }
        }
    }
}
