import CHDF5
import Foundation

// The only file that imports CHDF5: every HDF5 call of the program goes through `HDF5File`.
// Each call's status is checked; a failure throws `DataError` naming the file and the object.
// HDF5's own error-stack printing is switched off, so users see only those messages.

/// Element types of HDF5 datasets this program writes and reads.
public enum HDF5ElementType: String, Sendable, CustomStringConvertible {
    case uint8, uint16, int64, float32, float64
    public var description: String { rawValue }
}

/// Swift types that map to an HDF5 element type. Reading converts from the stored type
/// (for example uint8 → Float); writing converts to the dataset's type by HDF5's rules
/// (float → integer truncates: quantize before writing if rounding matters).
public protocol HDF5Element {
    static var hdf5ElementType: HDF5ElementType { get }
}
extension UInt8: HDF5Element { public static var hdf5ElementType: HDF5ElementType { .uint8 } }
extension UInt16: HDF5Element { public static var hdf5ElementType: HDF5ElementType { .uint16 } }
extension Int64: HDF5Element { public static var hdf5ElementType: HDF5ElementType { .int64 } }
extension Float: HDF5Element { public static var hdf5ElementType: HDF5ElementType { .float32 } }
extension Double: HDF5Element { public static var hdf5ElementType: HDF5ElementType { .float64 } }

/// A scalar attribute value.
public enum HDF5Attribute: Equatable, Sendable, CustomStringConvertible {
    case int64(Int64)
    case double(Double)
    case string(String)

    public var description: String {
        switch self {
        case .int64(let v): return String(v)
        case .double(let v): return String(v)
        case .string(let v): return v
        }
    }
}

/// Shape and element type of a stored dataset.
public struct HDF5DatasetInfo: Equatable, Sendable {
    public var shape: [Int]
    public var elementType: HDF5ElementType

    public init(shape: [Int], elementType: HDF5ElementType) {
        (self.shape, self.elementType) = (shape, elementType)
    }
}

/// HDF5 (serial) is not thread-safe, so all calls of the process are serialised by one lock.
private let hdf5Lock = NSLock()
/// Set up once per process, before any other HDF5 call: no clean-up at exit, error printing off.
private let hdf5Ready: Bool = mstrain_h5_initialise() >= 0

/// An open HDF5 file. Object paths are absolute (`/train/images`); parents of new groups and
/// datasets are created as needed. Close with `close()` (also done on deinit, unchecked).
public final class HDF5File: @unchecked Sendable {
    /// Path as given when opening.
    public let path: String
    private var id: hid_t
    /// Created by this process: a failing HDF5 call is a failure to write it (a full disk, say).
    private let isNew: Bool

    /// Opens an existing file, read-only unless `writable`.
    /// Throws `.missingFile`, `.notReadable`, `.notHDF5` or `.hdf5Failure`.
    public init(openingAt path: String, writable: Bool = false) throws {
        self.path = path
        isNew = false
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw DataError.missingFile(path: path)
        }
        guard isFolder.boolValue || FileManager.default.isReadableFile(atPath: path) else { throw DataError.notReadable(path: path) }
        id = try HDF5File.locked {
            guard !isFolder.boolValue, H5Fis_hdf5(path) > 0 else { throw DataError.notHDF5(path: path) }
            let flags = writable ? mstrain_h5f_acc_rdwr() : mstrain_h5f_acc_rdonly()
            let id = H5Fopen(path, flags, mstrain_h5p_default())
            guard id >= 0 else { throw DataError.hdf5Failure(file: path, operation: "open", object: "the file") }
            return id
        }
    }

    /// Creates a file, replacing any file at `path`. With `userBlockBytes` (0, or a power of two
    /// ≥ 512) the file starts with that many bytes that HDF5 leaves alone (`HDF5Seal` writes its
    /// header there). Throws `.cannotWrite`.
    public init(creatingAt path: String, userBlockBytes: Int = 0) throws {
        precondition(userBlockBytes == 0 || (userBlockBytes >= 512 && userBlockBytes & (userBlockBytes - 1) == 0),
                     "HDF5File: user block of \(userBlockBytes) bytes is not 0 or a power of two ≥ 512")
        self.path = path
        isNew = true
        id = try HDF5File.locked {
            let properties = H5Pcreate(mstrain_h5p_file_create())
            guard properties >= 0 else { throw DataError.cannotWrite(path: path, reason: "HDF5 could not create file properties") }
            defer { H5Pclose(properties) }
            guard H5Pset_userblock(properties, hsize_t(userBlockBytes)) >= 0 else {
                throw DataError.cannotWrite(path: path, reason: "HDF5 refused a user block of \(userBlockBytes) bytes")
            }
            let id = H5Fcreate(path, mstrain_h5f_acc_trunc(), properties, mstrain_h5p_default())
            guard id >= 0 else { throw DataError.cannotWrite(path: path, reason: "HDF5 could not create the file") }
            return id
        }
    }

    deinit {
        if id >= 0 { _ = HDF5File.locked { H5Fclose(id) } }
    }

    /// The file's size in bytes plus 1 MiB: an upper bound on the element count of any
    /// uncompressed selection the file can really hold.
    private var fileSizeLimit: Int {
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? nil
        return (size ?? Int.max / 2) + (1 << 20)
    }

    /// Writes buffered data to disk.
    public func flush() throws {
        try locked { try check(H5Fflush(id, H5F_SCOPE_GLOBAL), "flush", "the file") }
    }

    /// Closes the file; further use is a programming error. Closing twice does nothing.
    public func close() throws {
        guard id >= 0 else { return }
        let status = HDF5File.locked { H5Fclose(id) }
        id = -1
        try check(status, "close", "the file")
    }

    // MARK: - Groups and existence

    /// Whether a group or dataset exists at `objectPath` (every component is checked).
    public func exists(_ objectPath: String) throws -> Bool {
        try locked { try existsUnlocked(objectPath) }
    }

    /// Creates the group `groupPath` and any missing parents; existing groups are kept.
    public func createGroup(_ groupPath: String) throws {
        try locked { try createGroupsUnlocked(prefixes(of: groupPath)) }
    }

    // MARK: - Datasets

    /// Creates a dataset of `shape`. With `chunk` (one extent per axis, each ≥ 1) the data is
    /// stored in chunks of that shape and axis 0 may later grow; without, contiguously.
    public func createDataset(_ datasetPath: String, elementType: HDF5ElementType, shape: [Int], chunk: [Int]? = nil) throws {
        precondition(shape.allSatisfy { $0 >= 0 }, "createDataset: negative extent in \(shape)")
        if let chunk {
            precondition(chunk.count == shape.count && chunk.allSatisfy { $0 >= 1 },
                         "createDataset: chunk \(chunk) does not fit shape \(shape)")
        }
        try locked {
            try createGroupsUnlocked(prefixes(of: datasetPath).dropLast())
            let dims = shape.map { hsize_t($0) }
            var maxDims = dims
            if chunk != nil, !maxDims.isEmpty { maxDims[0] = mstrain_h5s_unlimited() }
            let space = try checkID(H5Screate_simple(Int32(shape.count), dims, maxDims), "create a dataspace for", datasetPath)
            defer { H5Sclose(space) }
            let properties = try checkID(H5Pcreate(mstrain_h5p_dataset_create()), "create properties for", datasetPath)
            defer { H5Pclose(properties) }
            if let chunk {
                try check(H5Pset_chunk(properties, Int32(chunk.count), chunk.map { hsize_t($0) }), "set the chunk shape of", datasetPath)
            }
            let dataset = try checkID(
                H5Dcreate2(id, datasetPath, nativeType(elementType), space, mstrain_h5p_default(), properties, mstrain_h5p_default()),
                "create the dataset", datasetPath)
            H5Dclose(dataset)
        }
    }

    /// Shape and element type of the dataset at `datasetPath`.
    public func datasetInfo(_ datasetPath: String) throws -> HDF5DatasetInfo {
        try locked {
            let dataset = try openDatasetUnlocked(datasetPath)
            defer { H5Dclose(dataset) }
            let shape = try extentUnlocked(dataset, datasetPath)
            let type = try checkID(H5Dget_type(dataset), "read the element type of", datasetPath)
            defer { H5Tclose(type) }
            return HDF5DatasetInfo(shape: shape, elementType: try elementType(of: type, datasetPath))
        }
    }

    /// Writes `values` (row-major) into the whole dataset, or into `rows` of axis 0 only.
    /// `values.count` must equal the number of selected elements.
    public func write<T: HDF5Element>(_ values: [T], to datasetPath: String, rows: Range<Int>? = nil) throws {
        try write(values, to: datasetPath, selection: rows.map(Selection.rows) ?? .all)
    }

    /// Reads the whole dataset, or `rows` of axis 0 only, converted to `T` by HDF5.
    public func read<T: HDF5Element>(_ type: T.Type = T.self, from datasetPath: String, rows: Range<Int>? = nil) throws -> [T] {
        try read(type, from: datasetPath, selection: rows.map(Selection.rows) ?? .all)
    }

    /// Reads the hyperslab `start ..< start + count` (one entry per axis) of the dataset,
    /// row-major with shape `count`, converted to `T` by HDF5. For a chunked dataset HDF5 reads
    /// only the chunks that the hyperslab touches. Throws `.hdf5Failure` if the hyperslab does
    /// not lie inside the stored extent.
    public func read<T: HDF5Element>(_ type: T.Type = T.self, from datasetPath: String, start: [Int], count: [Int]) throws -> [T] {
        precondition(start.count == count.count && start.allSatisfy { $0 >= 0 } && count.allSatisfy { $0 >= 0 },
                     "\(path):\(datasetPath): hyperslab start \(start), count \(count)")
        return try read(type, from: datasetPath, selection: .hyperslab(start: start, count: count))
    }

    /// Sets the extent of axis 0 of a chunked dataset (created with `chunk`) to `rows`,
    /// dropping the rows past it or adding rows of zeros.
    public func resize(_ datasetPath: String, rows: Int) throws {
        precondition(rows >= 0, "\(path):\(datasetPath): negative row count \(rows)")
        try locked {
            let dataset = try openDatasetUnlocked(datasetPath)
            defer { H5Dclose(dataset) }
            var dims = try extentUnlocked(dataset, datasetPath).map { hsize_t($0) }
            precondition(!dims.isEmpty, "\(path):\(datasetPath): a scalar dataset has no rows")
            dims[0] = hsize_t(rows)
            try check(H5Dset_extent(dataset, dims), "resize to \(rows) rows", datasetPath)
        }
    }

    /// The part of a dataset that a read or write transfers.
    private enum Selection {
        case all
        /// A range of axis 0, every element of the other axes.
        case rows(Range<Int>)
        /// `start ..< start + count` on every axis.
        case hyperslab(start: [Int], count: [Int])
    }

    private func write<T: HDF5Element>(_ values: [T], to datasetPath: String, selection: Selection) throws {
        try locked {
            try transferUnlocked(datasetPath, selection, expectedCount: values.count) { dataset, memory, file, _ in
                try values.withUnsafeBytes { bytes in
                    try check(H5Dwrite(dataset, nativeType(T.hdf5ElementType), memory, file, mstrain_h5p_default(), bytes.baseAddress),
                              "write", datasetPath)
                }
            }
        }
    }

    private func read<T: HDF5Element>(_ type: T.Type, from datasetPath: String, selection: Selection) throws -> [T] {
        try locked {
            var values: [T] = []
            try transferUnlocked(datasetPath, selection) { dataset, memory, file, count in
                // A damaged header can claim any extent: refuse a selection larger than the
                // whole file could hold (the project's datasets are not compressed; a byte
                // per element is the smallest stored type) instead of allocating it.
                guard count <= fileSizeLimit else {
                    throw DataError.hdf5Failure(file: path, operation: "read \(count) elements of", object: datasetPath)
                }
                values = try [T](unsafeUninitializedCapacity: count) { buffer, initialized in
                    try check(H5Dread(dataset, nativeType(T.hdf5ElementType), memory, file, mstrain_h5p_default(), buffer.baseAddress),
                              "read", datasetPath)
                    initialized = count
                }
            }
            return values
        }
    }

    // MARK: - Attributes

    /// Sets the scalar attribute `name` on the group or dataset `objectPath`, replacing any.
    /// Strings are stored as variable-length UTF-8 (h5py reads them as `str`).
    public func setAttribute(_ name: String, _ value: HDF5Attribute, on objectPath: String = "/") throws {
        try locked {
            let object = try checkID(H5Oopen(id, objectPath, mstrain_h5p_default()), "open", objectPath)
            defer { H5Oclose(object) }
            let what = "attribute \(name) of \(objectPath)"
            if try checkFlag(H5Aexists(object, name), "look up", what) {
                try check(H5Adelete(object, name), "replace", what)
            }
            let space = try checkID(H5Screate(H5S_SCALAR), "create a dataspace for", what)
            defer { H5Sclose(space) }
            let type: hid_t
            switch value {
            case .int64: type = try checkID(H5Tcopy(mstrain_h5t_native_int64()), "create the type of", what)
            case .double: type = try checkID(H5Tcopy(mstrain_h5t_native_double()), "create the type of", what)
            case .string:
                type = try checkID(H5Tcopy(mstrain_h5t_c_s1()), "create the type of", what)
                try check(H5Tset_size(type, mstrain_h5t_variable()), "size the type of", what)
                try check(H5Tset_cset(type, H5T_CSET_UTF8), "set the encoding of", what)
            }
            defer { H5Tclose(type) }
            let attribute = try checkID(H5Acreate2(object, name, type, space, mstrain_h5p_default(), mstrain_h5p_default()), "create", what)
            defer { H5Aclose(attribute) }
            switch value {
            case .int64(var v): try check(H5Awrite(attribute, type, &v), "write", what)
            case .double(var v): try check(H5Awrite(attribute, type, &v), "write", what)
            case .string(let text):
                try text.withCString { characters in
                    var pointer: UnsafePointer<CChar>? = characters
                    try check(H5Awrite(attribute, type, &pointer), "write", what)
                }
            }
        }
    }

    /// The scalar attribute `name` of `objectPath`, or nil if it has none. Integers are read
    /// as Int64, floats as Double, fixed- and variable-length strings as String.
    public func attribute(_ name: String, on objectPath: String = "/") throws -> HDF5Attribute? {
        try locked {
            let object = try checkID(H5Oopen(id, objectPath, mstrain_h5p_default()), "open", objectPath)
            defer { H5Oclose(object) }
            let what = "attribute \(name) of \(objectPath)"
            guard try checkFlag(H5Aexists(object, name), "look up", what) else { return nil }
            let attribute = try checkID(H5Aopen(object, name, mstrain_h5p_default()), "open", what)
            defer { H5Aclose(attribute) }
            let space = try checkID(H5Aget_space(attribute), "read the dataspace of", what)
            defer { H5Sclose(space) }
            guard H5Sget_simple_extent_npoints(space) == 1 else {
                throw DataError.unsupportedElementType(file: path, object: what, found: "an array (only scalars are read)")
            }
            let type = try checkID(H5Aget_type(attribute), "read the type of", what)
            defer { H5Tclose(type) }
            switch H5Tget_class(type) {
            case H5T_INTEGER:
                var v: Int64 = 0
                try check(H5Aread(attribute, mstrain_h5t_native_int64(), &v), "read", what)
                return .int64(v)
            case H5T_FLOAT:
                var v: Double = 0
                try check(H5Aread(attribute, mstrain_h5t_native_double(), &v), "read", what)
                return .double(v)
            case H5T_STRING:
                return .string(try readStringUnlocked(attribute, type, what))
            default:
                throw DataError.unsupportedElementType(file: path, object: what, found: "a compound or other non-scalar type")
            }
        }
    }

    // MARK: - Internals (callers hold the lock)

    private static func locked<R>(_ body: () throws -> R) rethrows -> R {
        precondition(hdf5Ready, "HDF5 could not be initialised")
        hdf5Lock.lock()
        defer { hdf5Lock.unlock() }
        return try body()
    }

    private func locked<R>(_ body: () throws -> R) throws -> R {
        try HDF5File.locked {
            precondition(id >= 0, "\(path): used after close()")
            return try body()
        }
    }

    private func check(_ status: herr_t, _ operation: String, _ object: String) throws {
        if status < 0 { throw failure(operation, object) }
    }

    private func checkID(_ object: hid_t, _ operation: String, _ what: String) throws -> hid_t {
        if object < 0 { throw failure(operation, what) }
        return object
    }

    /// The error of a failed HDF5 call: `.cannotWrite` for a file this process creates, else
    /// `.hdf5Failure`.
    private func failure(_ operation: String, _ object: String) -> DataError {
        isNew ? .cannotWrite(path: path, reason: "HDF5 failed to \(operation) \(object)")
            : .hdf5Failure(file: path, operation: operation, object: object)
    }

    private func checkFlag(_ flag: htri_t, _ operation: String, _ what: String) throws -> Bool {
        try check(flag, operation, what)
        return flag > 0
    }

    /// `/a/b/c` → `["/a", "/a/b", "/a/b/c"]`.
    private func prefixes(of objectPath: String) -> [String] {
        var result: [String] = []
        var current = ""
        for component in objectPath.split(separator: "/") {
            current += "/" + component
            result.append(current)
        }
        return result
    }

    private func existsUnlocked(_ objectPath: String) throws -> Bool {
        for prefix in prefixes(of: objectPath) {
            guard try checkFlag(H5Lexists(id, prefix, mstrain_h5p_default()), "look up", prefix) else { return false }
        }
        return true
    }

    private func createGroupsUnlocked<S: Sequence>(_ groups: S) throws where S.Element == String {
        for group in groups where !(try checkFlag(H5Lexists(id, group, mstrain_h5p_default()), "look up", group)) {
            let created = try checkID(H5Gcreate2(id, group, mstrain_h5p_default(), mstrain_h5p_default(), mstrain_h5p_default()),
                                      "create the group", group)
            H5Gclose(created)
        }
    }

    private func openDatasetUnlocked(_ datasetPath: String) throws -> hid_t {
        guard try existsUnlocked(datasetPath) else {
            throw DataError.missingObject(file: path, object: "dataset \(datasetPath)",
                                          hint: "Check the name; `h5ls -r FILE` lists what the file holds.")
        }
        return try checkID(H5Dopen2(id, datasetPath, mstrain_h5p_default()), "open the dataset", datasetPath)
    }

    private func extentUnlocked(_ dataset: hid_t, _ datasetPath: String) throws -> [Int] {
        let space = try checkID(H5Dget_space(dataset), "read the dataspace of", datasetPath)
        defer { H5Sclose(space) }
        let rank = H5Sget_simple_extent_ndims(space)
        guard rank >= 0 else { throw DataError.hdf5Failure(file: path, operation: "read the rank of", object: datasetPath) }
        var dims = [hsize_t](repeating: 0, count: Int(rank))
        try check(H5Sget_simple_extent_dims(space, &dims, nil), "read the shape of", datasetPath)
        return dims.map { Int($0) }
    }

    /// Opens `datasetPath`, selects `selection` in the file and a matching memory dataspace,
    /// and hands both and the number of selected elements to `body`, unless the selection is
    /// empty. A write passes its value count as `expectedCount`. A selection outside the stored
    /// extent throws: the caller took the extent from the file, which is then inconsistent.
    private func transferUnlocked(_ datasetPath: String, _ selection: Selection, expectedCount: Int? = nil,
                                  _ body: (_ dataset: hid_t, _ memory: hid_t, _ file: hid_t, _ count: Int) throws -> Void) throws {
        let dataset = try openDatasetUnlocked(datasetPath)
        defer { H5Dclose(dataset) }
        let shape = try extentUnlocked(dataset, datasetPath)
        let window: (start: [Int], count: [Int])?
        switch selection {
        case .all: window = nil
        case .rows(let rows):
            guard !shape.isEmpty, rows.lowerBound >= 0, rows.upperBound <= shape[0] else {
                throw failure("select rows \(rows) (the stored shape is \(shape)) of", datasetPath)
            }
            window = ([rows.lowerBound] + [Int](repeating: 0, count: shape.count - 1), [rows.count] + shape.dropFirst())
        case .hyperslab(let start, let count):
            guard start.count == shape.count, zip(zip(start, count), shape).allSatisfy({ $0.0 + $0.1 <= $1 }) else {
                throw failure("select start \(start), count \(count) (the stored shape is \(shape)) of", datasetPath)
            }
            window = (start, count)
        }
        let selected = window?.count ?? shape
        let count = selected.reduce(1, *)
        precondition(expectedCount.map { $0 == count } ?? true,
                     "\(path):\(datasetPath): \(expectedCount ?? 0) values for a selection of shape \(selected)")
        if count == 0 { return }
        let fileSpace = try checkID(H5Dget_space(dataset), "read the dataspace of", datasetPath)
        defer { H5Sclose(fileSpace) }
        if let window {
            try check(H5Sselect_hyperslab(fileSpace, H5S_SELECT_SET, window.start.map { hsize_t($0) }, nil, window.count.map { hsize_t($0) }, nil),
                      "select start \(window.start), count \(window.count) of", datasetPath)
        }
        let memoryDims = selected.map { hsize_t($0) }
        let memorySpace = try checkID(H5Screate_simple(Int32(memoryDims.count), memoryDims, nil), "create a memory dataspace for", datasetPath)
        defer { H5Sclose(memorySpace) }
        try body(dataset, memorySpace, fileSpace, count)
    }

    private func nativeType(_ elementType: HDF5ElementType) -> hid_t {
        switch elementType {
        case .uint8: return mstrain_h5t_native_uint8()
        case .uint16: return mstrain_h5t_native_uint16()
        case .int64: return mstrain_h5t_native_int64()
        case .float32: return mstrain_h5t_native_float()
        case .float64: return mstrain_h5t_native_double()
        }
    }

    private func elementType(of type: hid_t, _ what: String) throws -> HDF5ElementType {
        let size = H5Tget_size(type)
        switch (H5Tget_class(type), size, H5Tget_sign(type)) {
        case (H5T_INTEGER, 1, H5T_SGN_NONE): return .uint8
        case (H5T_INTEGER, 2, H5T_SGN_NONE): return .uint16
        case (H5T_INTEGER, 8, H5T_SGN_2): return .int64
        case (H5T_FLOAT, 4, _): return .float32
        case (H5T_FLOAT, 8, _): return .float64
        case (let typeClass, _, let sign):
            let kind = typeClass == H5T_INTEGER ? (sign == H5T_SGN_NONE ? "unsigned integer" : "signed integer")
                : typeClass == H5T_FLOAT ? "float" : "non-numeric"
            throw DataError.unsupportedElementType(file: path, object: what, found: "\(kind) of \(size) bytes")
        }
    }

    private func readStringUnlocked(_ attribute: hid_t, _ type: hid_t, _ what: String) throws -> String {
        if try checkFlag(H5Tis_variable_str(type), "read the type of", what) {
            // The stored type as memory type: HDF5 does not convert between ASCII and UTF-8.
            let memoryType = try checkID(H5Tcopy(type), "copy the type of", what)
            defer { H5Tclose(memoryType) }
            var pointer: UnsafeMutablePointer<CChar>? = nil
            try check(H5Aread(attribute, memoryType, &pointer), "read", what)
            defer { H5free_memory(pointer) }
            return pointer.map { String(cString: $0) } ?? ""
        }
        let size = H5Tget_size(type)
        guard size > 0, size <= fileSizeLimit else {
            throw DataError.hdf5Failure(file: path, operation: "read a \(size)-byte string", object: what)
        }
        var bytes = [UInt8](repeating: 0, count: size)
        try check(H5Aread(attribute, type, &bytes), "read", what)
        let end = bytes.firstIndex(of: 0) ?? bytes.count
        return String(decoding: bytes[..<end], as: UTF8.self)
    }
}
