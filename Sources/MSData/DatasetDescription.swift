/// What a dataset file holds: its root attributes and the shape and type of each split, as
/// printed by `mstrain-dist data info`. Attributes are optional here, so files written by
/// other tools can be described too.
public struct DatasetDescription: Sendable {
    public var path: String
    /// Root attributes `format`, `format_version`, `value_range`, `provenance`, `generator_seed`.
    public var attributes: [String: HDF5Attribute]
    /// Splits present, in `Split.allCases` order.
    public var splits: [(split: Split, info: HDF5DatasetInfo)]

    /// Reads the description of `path`. Throws `.missingFile`, `.notHDF5` or `.hdf5Failure`.
    public init(path: String) throws {
        self.path = path
        let file = try HDF5File(openingAt: path)
        let names = [DatasetLayout.Attribute.format, DatasetLayout.Attribute.formatVersion, DatasetLayout.Attribute.valueRange,
                     DatasetLayout.Attribute.provenance, DatasetLayout.Attribute.generatorSeed]
        attributes = [:]
        for name in names { attributes[name] = try file.attribute(name) }
        splits = try Split.allCases.filter { try file.exists(DatasetLayout.imagesPath($0)) }
            .map { ($0, try file.datasetInfo(DatasetLayout.imagesPath($0))) }
        try file.close()
    }
}
