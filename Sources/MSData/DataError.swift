/// Everything that can go wrong with dataset files, import sources and generator options.
///
/// Each message is one line that names the file (and the object inside it), says what is
/// wrong and what to do about it.
public enum DataError: Error, Equatable, CustomStringConvertible {
    /// Nothing exists at `path`.
    case missingFile(path: String)
    /// `path` exists but this process may not read it.
    case notReadable(path: String)
    /// `path` exists but is not an HDF5 file.
    case notHDF5(path: String)
    /// A file could not be created, renamed or removed.
    case cannotWrite(path: String, reason: String)
    /// The file has no group, dataset or attribute at `object`.
    case missingObject(file: String, object: String, hint: String)
    /// An image dataset is not 4-dimensional `[N, C, H, W]`.
    case wrongRank(file: String, dataset: String, shape: [Int])
    /// An image dataset has `C` other than 1 or 3.
    case unsupportedChannels(file: String, dataset: String, shape: [Int])
    /// `H` or `W` is not divisible by `2^(levels − 1)`, so the coarsest level is not a whole mesh
    /// (for images of different sizes: the smallest `H` or `W`, passed in `shape`).
    case indivisibleSize(file: String, dataset: String, shape: [Int], levels: Int)
    /// An image dataset holds no sample.
    case emptySplit(file: String, dataset: String)
    /// A split's images differ in size, so they do not stack into one `[n, C, H, W]` batch.
    case imagesDifferInSize(file: String, object: String, smallest: ImageSize, largest: ImageSize)
    /// The objects of a split disagree with each other or with the layout (per-image sizes,
    /// shapes or element types).
    case malformedLayout(file: String, object: String, reason: String)
    /// A dataset or attribute has an element type this program does not read.
    case unsupportedElementType(file: String, object: String, found: String)
    /// An HDF5 call failed for another reason.
    case hdf5Failure(file: String, operation: String, object: String)
    /// Reading the file made the HDF5 library crash or hang (in `HDF5ReadCheck`'s child process).
    case damaged(path: String, reason: String)
    /// `HDF5ReadCheck` could not run its child process.
    case readCheckFailed(path: String, reason: String)
    /// A generator or import option is out of range.
    case invalidOption(String)
    /// An import source has a format this program does not read (yet).
    case unsupportedSource(path: String, reason: String)
    /// An import source could be read but its content is not what its format promises.
    case malformedSource(path: String, reason: String)

    public var description: String {
        switch self {
        case .missingFile(let path):
            return "\(path): no such file. Check the path, or create a dataset with `mstrain-dist data synth` or `mstrain-dist data import`."
        case .notReadable(let path):
            return "\(path): permission denied. Make the file readable for this user (chmod/chown), or run as a user who may read it."
        case .notHDF5(let path):
            return "\(path): not an HDF5 file. Datasets are HDF5 files written by `mstrain-dist data synth` or `mstrain-dist data import`."
        case .cannotWrite(let path, let reason):
            return "\(path): cannot write (\(reason)). Check that the folder exists, is writable and has free space."
        case .missingObject(let file, let object, let hint):
            return "\(file): has no \(object). \(hint)"
        case .wrongRank(let file, let dataset, let shape):
            return "\(file):\(dataset): expected 4 axes [N, C, H, W], found shape \(shape). Re-import the images with `mstrain-dist data import`."
        case .unsupportedChannels(let file, let dataset, let shape):
            return "\(file):\(dataset): expected 1 or 3 channels (C in [N, C, H, W]), found shape \(shape). Convert the images to grey or RGB and re-import them."
        case .indivisibleSize(let file, let dataset, let shape, let levels):
            let factor = 1 << (levels - 1)
            return "\(file):\(dataset): H and W of shape \(shape) (the smallest over the images when they differ in size) must be divisible by 2^(levels−1) = \(factor) for \(levels) levels. Use fewer levels or re-import with `--size` a multiple of \(factor)."
        case .emptySplit(let file, let dataset):
            return "\(file):\(dataset): holds no sample. Write at least one image into this split (for example `--valid-count 1` with `data synth`)."
        case .imagesDifferInSize(let file, let object, let smallest, let largest):
            return "\(file):\(object): images differ in size (from \(smallest) to \(largest) pixels, W×H), so they do not stack into one batch; train with --patch (windows of one size), or re-import with `--size` to give every image one size."
        case .malformedLayout(let file, let object, let reason):
            return "\(file):\(object): \(reason). The file is damaged or not in the layout of docs/datasets.md; write it again with `mstrain-dist data import`."
        case .unsupportedElementType(let file, let object, let found):
            return "\(file):\(object): element type \(found) is not supported. Image datasets are uint8 (0..255), uint16 (0..65535) or float32 (0..1)."
        case .hdf5Failure(let file, let operation, let object):
            return "\(file): HDF5 failed to \(operation) \(object). The file may be damaged, truncated or on a full disk; inspect it with `h5dump -H` or write it again."
        case .damaged(let path, let reason):
            return "\(path) is damaged: HDF5 could not read it (\(reason)). Re-create it with `mstrain-dist data synth` or `mstrain-dist data import`."
        case .readCheckFailed(let path, let reason):
            return "\(path): could not be checked before reading (\(reason)). Check the mstrain-dist installation."
        case .invalidOption(let message):
            return message
        case .unsupportedSource(let path, let reason):
            return "\(path): \(reason)"
        case .malformedSource(let path, let reason):
            return "\(path): \(reason). The source is damaged or not in the format its name suggests."
        }
    }
}
