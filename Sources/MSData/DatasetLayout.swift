/// A part of a dataset. Training draws from `train`, validation metrics use `valid`, `test`
/// is optional and held out.
public enum Split: String, CaseIterable, Sendable, CustomStringConvertible {
    case train, valid, test

    public var description: String { rawValue }

    /// Index of the split in random-stream derivations (`train` 0, `valid` 1, `test` 2).
    public var streamIndex: UInt64 {
        switch self {
        case .train: return 0
        case .valid: return 1
        case .test: return 2
        }
    }
}

/// How samples are stored in a dataset file (see docs/datasets.md).
public enum SampleStorage: String, Sendable, CustomStringConvertible {
    /// uint8, values 0...255.
    case uint8
    /// float32, values in [0, 1].
    case float32

    public var description: String { rawValue }

    var elementType: HDF5ElementType { self == .uint8 ? .uint8 : .float32 }

    /// The root attribute `value_range`.
    public var valueRange: String { self == .uint8 ? "0..255" : "0..1" }

    /// The factor that maps stored values onto [0, 1]: 1/255 for uint8, 1 for float32.
    public var unitScale: Float { self == .uint8 ? 1 / 255 : 1 }
}

/// Names and constants of the dataset file layout:
///
///     /                      attributes format, format_version, value_range, provenance,
///                            generator_seed (generated data only)
///     /train/images          [N, C, H, W], uint8 or float32, chunks [1, C, H, W]
///     /valid/images          same
///     /test/images           optional, same
public enum DatasetLayout {
    /// Value of the root attribute `format`.
    public static let format = "mstrain-dataset"
    /// Value of the root attribute `format_version` written by this program.
    public static let formatVersion: Int64 = 1

    /// Root attribute names.
    public enum Attribute {
        public static let format = "format"
        public static let formatVersion = "format_version"
        public static let valueRange = "value_range"
        public static let provenance = "provenance"
        public static let generatorSeed = "generator_seed"
    }

    /// `/<split>/images`.
    public static func imagesPath(_ split: Split) -> String { "/\(split.rawValue)/images" }
}
