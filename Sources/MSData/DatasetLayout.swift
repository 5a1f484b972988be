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
    /// uint16, values 0...65535 (16-bit PNGs; format version 2).
    case uint16
    /// float32, values in [0, 1].
    case float32

    public var description: String { rawValue }

    var elementType: HDF5ElementType {
        switch self {
        case .uint8: return .uint8
        case .uint16: return .uint16
        case .float32: return .float32
        }
    }

    /// The storage of a dataset of `elementType`, nil for element types images are not stored in.
    init?(_ elementType: HDF5ElementType) {
        switch elementType {
        case .uint8: self = .uint8
        case .uint16: self = .uint16
        case .float32: self = .float32
        case .int64, .float64: return nil
        }
    }

    /// The largest stored value: 255, 65535, or 1 for float32.
    public var maximum: Float {
        switch self {
        case .uint8: return 255
        case .uint16: return 65535
        case .float32: return 1
        }
    }

    /// The root attribute `value_range`.
    public var valueRange: String { self == .float32 ? "0..1" : "0..\(Int(maximum))" }

    /// The factor that maps stored values onto [0, 1]: 1/255 for uint8, 1/65535 for uint16,
    /// 1 for float32.
    public var unitScale: Float { 1 / maximum }
}

/// How the images of a split are stored.
public enum SplitLayout: Sendable {
    /// One `[N, C, H, W]` dataset `/<split>/images`: every image has one size (format version 1).
    case array
    /// A group `/<split>/images` holding one `[C, H, W]` dataset per image, and the sizes in
    /// `/<split>/sizes` (format version 2): images may differ in size.
    case perImage
}

/// Names and constants of the dataset file layout (docs/datasets.md):
///
///     /                      attributes format, format_version, value_range, provenance,
///                            generator_seed (generated data only)
///     one-array layout (format version 1):
///     /<split>/images        [N, C, H, W], uint8, uint16 or float32, chunks [1, C, min(H, 256), min(W, 256)]
///     per-image layout (format version 2):
///     /<split>/images/0000000, /<split>/images/0000001, …
///                            one [C, H_i, W_i] dataset per image, chunks [C, min(H_i, 256), min(W_i, 256)]
///     /<split>/sizes         [N, 2] int64: (H_i, W_i) of image i
///
/// The splits are `train`, `valid` and optionally `test`. Readers tell the layouts apart by
/// the presence of `/<split>/sizes`.
public enum DatasetLayout {
    /// Value of the root attribute `format`.
    public static let format = "mstrain-dataset"

    /// Value of the root attribute `format_version`: 1 for the one-array layout of uint8 or
    /// float32 images (which readers of version 1 read), 2 for the per-image layout or uint16.
    public static func formatVersion(layout: SplitLayout, storage: SampleStorage) -> Int64 {
        layout == .perImage || storage == .uint16 ? 2 : 1
    }

    /// Side of the square tiles images are chunked in: a window of an image touches only the
    /// chunks it overlaps.
    public static let tileSide = 256

    /// Root attribute names.
    public enum Attribute {
        public static let format = "format"
        public static let formatVersion = "format_version"
        public static let valueRange = "value_range"
        public static let provenance = "provenance"
        public static let generatorSeed = "generator_seed"
    }

    /// `/<split>/images`: the `[N, C, H, W]` dataset, or the group of per-image datasets.
    public static func imagesPath(_ split: Split) -> String { "/\(split.rawValue)/images" }

    /// `/<split>/sizes`, per-image layout only.
    public static func sizesPath(_ split: Split) -> String { "/\(split.rawValue)/sizes" }

    /// `/<split>/images/0000042`: image `index` of the per-image layout, named by its index
    /// zero-padded to 7 digits (more when the index needs them).
    public static func imagePath(_ split: Split, _ index: Int) -> String { imagesPath(split) + "/" + imageName(index) }

    /// `0000042`: `index` zero-padded to 7 digits (more when it needs them).
    public static func imageName(_ index: Int) -> String {
        let digits = String(index)
        return String(repeating: "0", count: max(0, 7 - digits.count)) + digits
    }

    /// The chunk shape of an image of `channels × height × width` (leading axes of extent 1,
    /// such as the sample axis of the one-array layout, are added by the caller).
    static func tileChunk(channels: Int, height: Int, width: Int) -> [Int] {
        [channels, max(1, min(height, tileSide)), max(1, min(width, tileSide))]
    }
}
