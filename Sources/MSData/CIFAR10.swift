import Foundation

/// Reader of CIFAR-10's (and CIFAR-100's) "python version": pickled dicts (protocol 2) whose
/// `data` entry is a NumPy uint8 array `[N, 3072]`, each row a 32×32 image stored as 1024 red,
/// 1024 green, then 1024 blue values in row-major order, that is `[3, 32, 32]`. Labels are
/// not read (the tasks are image-to-image).
public enum CIFAR10 {
    /// Side of a CIFAR image.
    public static let side = 32
    /// Training batches of a CIFAR-10 folder; `test_batch` is its validation split.
    public static let trainingBatchNames = (1...5).map { "data_batch_\($0)" }
    public static let testBatchName = "test_batch"

    /// Whether `path` is a folder holding CIFAR-10's batches (`data_batch_1` at least).
    public static func isBatchFolder(_ path: String) -> Bool {
        FileManager.default.fileExists(atPath: URL(fileURLWithPath: path).appendingPathComponent(trainingBatchNames[0]).path)
    }

    /// Whether `path` starts like a pickle of protocol 2 to 5.
    public static func looksLikeBatch(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        guard let start = try? handle.read(upToCount: 2), start.count == 2 else { return false }
        return start[start.startIndex] == 0x80 && (2...5).contains(start[start.startIndex + 1])
    }

    /// The images of one batch file as uint8 `[N, 3, 32, 32]`.
    public static func readBatch(_ path: String) throws -> ImageArray {
        guard let data = FileManager.default.contents(atPath: path) else { throw DataError.missingFile(path: path) }
        let root = try Pickle.load([UInt8](data), path: path)
        guard let entry = root["data"] else { throw DataError.malformedSource(path: path, reason: "the pickled dict has no 'data' entry") }
        let (shape, type, bytes) = try ndarray(entry, path)
        let rowSize = 3 * side * side
        guard type.hasSuffix("u1"), shape.count == 2, shape[1] == rowSize, bytes.count == shape[0] * rowSize else {
            throw DataError.malformedSource(path: path, reason: "'data' is a \(type) array of shape \(shape), expected uint8 [N, \(rowSize)]")
        }
        return ImageArray(count: shape[0], channels: 3, height: side, width: side, values: .uint8(bytes))
    }

    /// The images of a CIFAR-10 folder: the training batches present and the test batch.
    public static func readFolder(_ path: String) throws -> (train: ImageArray, test: ImageArray) {
        let folder = URL(fileURLWithPath: path)
        let present = trainingBatchNames.map { folder.appendingPathComponent($0).path }
            .filter { FileManager.default.fileExists(atPath: $0) }
        let train = ImageArray.concatenate(try present.map(readBatch))
        return (train, try readBatch(folder.appendingPathComponent(testBatchName).path))
    }

    /// Shape, dtype string and raw C-order bytes of a pickled NumPy array. Protocols 2–4
    /// pickle it as `_reconstruct(ndarray, (0,), b'b')` with state `(version, shape, dtype,
    /// fortran, data)`; protocol 5 as `_frombuffer(data, dtype, shape, order)`. The dtype is
    /// `dtype('u1', …)`.
    private static func ndarray(_ value: PickleValue, _ path: String) throws -> ([Int], String, [UInt8]) {
        let notAnArray = DataError.malformedSource(path: path, reason: "'data' is not a C-order NumPy array")
        guard case .object(let array) = value else { throw notAnArray }
        let extents: [PickleValue], dtype: PickleObject, data: [UInt8]
        switch (array.callable, array.state, array.arguments.count) {
        case (.global(_, "_reconstruct"), .tuple(let state)?, _):
            guard state.count == 5, case .tuple(let e) = state[1], case .object(let d) = state[2],
                  case .bool(false) = state[3], case .bytes(let b) = state[4] else { throw notAnArray }
            (extents, dtype, data) = (e, d, b)
        case (.global(_, "_frombuffer"), _, 4):
            guard case .bytes(let b) = array.arguments[0], case .object(let d) = array.arguments[1],
                  case .tuple(let e) = array.arguments[2], case .string("C") = array.arguments[3] else { throw notAnArray }
            (extents, dtype, data) = (e, d, b)
        default:
            throw notAnArray
        }
        let shape = try extents.map { (extent: PickleValue) -> Int in
            guard case .int(let n) = extent else { throw DataError.malformedSource(path: path, reason: "'data' has a non-integer extent") }
            return n
        }
        let type: String
        switch dtype.arguments.first {
        case .string(let s)?: type = s
        case .bytes(let b)?: type = String(decoding: b, as: UTF8.self)
        default: throw DataError.malformedSource(path: path, reason: "'data' has no dtype name")
        }
        return (shape, type, data)
    }
}
