import Foundation

/// Where and how the images of one split are stored, checked on opening: the one-array layout
/// (`[N, C, H, W]`, format version 1) or the per-image layout (one `[C, H, W]` dataset per
/// image and `/<split>/sizes`, format version 2); see `DatasetLayout`. Reads return stored
/// values converted to Float, unscaled.
struct StoredSplit {
    enum Layout {
        /// The `[N, C, H, W]` dataset.
        case array(dataset: String)
        /// The per-image layout of `split`.
        case perImage(split: Split)
    }

    let layout: Layout
    let channels: Int
    let storage: SampleStorage
    /// `(H, W)` of each image, in index order.
    let sizes: [ImageSize]

    /// The path to name in errors about the split's images.
    var imagesObject: String {
        switch layout {
        case .array(let dataset): return dataset
        case .perImage(let split): return DatasetLayout.imagesPath(split)
        }
    }

    /// Opens `split` of `file` and checks its layout, element type, channels and extents.
    /// - Throws: `DataError.missingObject`, `.unsupportedElementType`, `.wrongRank`,
    ///   `.unsupportedChannels`, `.emptySplit`, `.malformedLayout` or `.hdf5Failure`.
    init(_ file: HDF5File, split: Split) throws {
        let images = DatasetLayout.imagesPath(split)
        guard try file.exists(images) else {
            throw DataError.missingObject(file: file.path, object: "\(split) split (\(images))",
                                          hint: "Choose a split the file holds (`mstrain-dist data info` lists them) or write this one.")
        }
        if try file.exists(DatasetLayout.sizesPath(split)) {
            try self.init(perImage: file, split: split)
        } else {
            try self.init(array: file, dataset: images)
        }
    }

    private init(array file: HDF5File, dataset: String) throws {
        let info = try file.datasetInfo(dataset)
        let shape = info.shape
        guard let storage = SampleStorage(info.elementType) else {
            throw DataError.unsupportedElementType(file: file.path, object: dataset, found: info.elementType.rawValue)
        }
        guard shape.count == 4 else { throw DataError.wrongRank(file: file.path, dataset: dataset, shape: shape) }
        guard shape[1] == 1 || shape[1] == 3 else { throw DataError.unsupportedChannels(file: file.path, dataset: dataset, shape: shape) }
        guard shape[0] > 0 else { throw DataError.emptySplit(file: file.path, dataset: dataset) }
        try StoredSplit.checkElementCount(shape.reduce(1 as Int?) { product, extent in
            product.flatMap { let r = $0.multipliedReportingOverflow(by: extent); return r.overflow ? nil : r.partialValue }
        }, file, dataset)
        layout = .array(dataset: dataset)
        (self.storage, channels) = (storage, shape[1])
        sizes = Array(repeating: ImageSize(height: shape[2], width: shape[3]), count: shape[0])
    }

    /// Checks `/<split>/sizes` and every image dataset against it: `[C, H_i, W_i]`, one `C` and
    /// one element type throughout.
    private init(perImage file: HDF5File, split: Split) throws {
        let sizesPath = DatasetLayout.sizesPath(split)
        let sizesInfo = try file.datasetInfo(sizesPath)
        guard sizesInfo.shape.count == 2, sizesInfo.shape[1] == 2 else {
            throw DataError.malformedLayout(file: file.path, object: sizesPath, reason: "has shape \(sizesInfo.shape), not [N, 2]")
        }
        guard sizesInfo.shape[0] > 0 else { throw DataError.emptySplit(file: file.path, dataset: sizesPath) }
        let pairs = try file.read(Int64.self, from: sizesPath)
        sizes = try stride(from: 0, to: pairs.count, by: 2).map { k in
            guard pairs[k] > 0, pairs[k + 1] > 0, pairs[k] <= Int32.max, pairs[k + 1] <= Int32.max else {
                throw DataError.malformedLayout(file: file.path, object: sizesPath, reason: "row \(k / 2) holds (\(pairs[k]), \(pairs[k + 1])), not a size (H, W)")
            }
            return ImageSize(height: Int(pairs[k]), width: Int(pairs[k + 1]))
        }
        let first = try file.datasetInfo(DatasetLayout.imagePath(split, 0))
        guard let storage = SampleStorage(first.elementType) else {
            throw DataError.unsupportedElementType(file: file.path, object: DatasetLayout.imagePath(split, 0), found: first.elementType.rawValue)
        }
        guard first.shape.count == 3 else {
            throw DataError.malformedLayout(file: file.path, object: DatasetLayout.imagePath(split, 0), reason: "has shape \(first.shape), not [C, H, W]")
        }
        guard first.shape[0] == 1 || first.shape[0] == 3 else {
            throw DataError.unsupportedChannels(file: file.path, dataset: DatasetLayout.imagePath(split, 0), shape: first.shape)
        }
        (layout, self.storage, channels) = (.perImage(split: split), storage, first.shape[0])
        try StoredSplit.checkElementCount(sizes.reduce(0 as Int?) { sum, size in
            sum.flatMap { let r = $0.addingReportingOverflow(channels * size.pixels); return r.overflow ? nil : r.partialValue }
        }, file, DatasetLayout.imagesPath(split))
        for (index, size) in sizes.enumerated() {
            let image = DatasetLayout.imagePath(split, index)
            let info = index == 0 ? first : try file.datasetInfo(image)
            guard info == HDF5DatasetInfo(shape: [channels, size.height, size.width], elementType: storage.elementType) else {
                throw DataError.malformedLayout(file: file.path, object: image, reason: "is \(info.elementType) \(info.shape), but \(sizesPath) "
                    + "and image 0 make it \(storage) [\(channels), \(size.height), \(size.width)]")
            }
        }
    }

    /// Stored values of the window `rows × columns` of image `index`, `[C, rows.count,
    /// columns.count]`; reads only the chunks the window touches.
    func read(_ file: HDF5File, _ index: Int, rows: Range<Int>, columns: Range<Int>) throws -> [Float] {
        switch layout {
        case .array(let dataset):
            return try file.read(Float.self, from: dataset, start: [index, 0, rows.lowerBound, columns.lowerBound],
                                 count: [1, channels, rows.count, columns.count])
        case .perImage(let split):
            return try file.read(Float.self, from: DatasetLayout.imagePath(split, index), start: [0, rows.lowerBound, columns.lowerBound],
                                 count: [channels, rows.count, columns.count])
        }
    }

    /// Stored values of the whole images `range`, one after the other (`[n, C, H, W]` when
    /// they share one size); the one-array layout reads them with one hyperslab.
    func read(_ file: HDF5File, images range: Range<Int>) throws -> [Float] {
        switch layout {
        case .array(let dataset):
            return try file.read(Float.self, from: dataset, rows: range)
        case .perImage(let split):
            var values: [Float] = []
            values.reserveCapacity(range.reduce(0) { $0 + channels * sizes[$1].pixels })
            for index in range { values += try file.read(Float.self, from: DatasetLayout.imagePath(split, index)) }
            return values
        }
    }

    /// A damaged header can claim any extent; the (uncompressed) data cannot be larger than
    /// the file. Throws unless `elements` (nil when counting it overflowed) is at most the
    /// file's size plus 1 MiB.
    private static func checkElementCount(_ elements: Int?, _ file: HDF5File, _ object: String) throws {
        let fileSize = ((try? FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int) ?? nil) ?? Int.max / 4
        guard let elements, elements <= fileSize + (1 << 20) else {
            throw DataError.hdf5Failure(file: file.path, operation: "read the extents of", object: object)
        }
    }
}
