/// What a dataset file holds: its root attributes and the shape and type of each split, as
/// printed by `mstrain-dist data info`. Attributes are optional here, so files written by
/// other tools can be described too.
public struct DatasetDescription: Sendable {
    /// One split: its images' element type and shape, and for the per-image layout their sizes.
    public struct SplitDescription: Sendable {
        public var split: Split
        /// One-array layout: the stored `[N, C, H, W]` dataset as it is (not checked further).
        /// Per-image layout: shape `[N, C]` and the images' element type (checked as
        /// `ImageDataset` checks them).
        public var info: HDF5DatasetInfo
        /// Per-image layout: the size of each image; nil for the one-array layout.
        public var sizes: [ImageSize]?

        /// `N`, the number of images.
        public var count: Int { info.shape.first ?? 0 }
    }

    public var path: String
    /// Root attributes `format`, `format_version`, `value_range`, `provenance`, `generator_seed`.
    public var attributes: [String: HDF5Attribute]
    /// Splits present, in `Split.allCases` order.
    public var splits: [SplitDescription]

    /// Reads the description of `path`. Throws `.missingFile`, `.notHDF5` or `.hdf5Failure`,
    /// and for a per-image split what `ImageDataset` throws for it.
    public init(path: String) throws {
        self.path = path
        let file = try HDF5File(openingAt: path)
        let names = [DatasetLayout.Attribute.format, DatasetLayout.Attribute.formatVersion, DatasetLayout.Attribute.valueRange,
                     DatasetLayout.Attribute.provenance, DatasetLayout.Attribute.generatorSeed]
        attributes = [:]
        for name in names { attributes[name] = try file.attribute(name) }
        splits = try Split.allCases.filter { try file.exists(DatasetLayout.imagesPath($0)) }.map { split in
            guard try file.exists(DatasetLayout.sizesPath(split)) else {
                return SplitDescription(split: split, info: try file.datasetInfo(DatasetLayout.imagesPath(split)), sizes: nil)
            }
            let stored = try StoredSplit(file, split: split)
            return SplitDescription(split: split, info: HDF5DatasetInfo(shape: [stored.sizes.count, stored.channels], elementType: stored.storage.elementType),
                                    sizes: stored.sizes)
        }
        try file.close()
    }
}
