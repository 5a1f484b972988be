import CImageCodecs
import Foundation

/// A whole-file checksum for HDF5 files this program writes (checkpoints, weights), kept in the
/// file's HDF5 user block: the first `headerBytes` bytes, which HDF5 and h5py skip. The header
/// is ASCII, padded with zero bytes (checked too):
///
///     <format> <version>\n        e.g. "mstrain-checkpoint 2"
///     crc32 <8 hex digits>\n      CRC-32 (zlib's, as Python's zlib.crc32) of bytes [headerBytes, size)
///     bytes <size>\n              the whole file's size in bytes
///
/// `verify` reads the raw bytes before HDF5 opens the file, so a truncated or damaged file is
/// refused before the HDF5 library parses its metadata (which a damaged file can crash).
public enum HDF5Seal {
    /// Size of the user block the file must be created with (`HDF5File(creatingAt:userBlockBytes:)`).
    public static let headerBytes = 512
    /// The first bytes of an HDF5 file without a user block.
    static let hdf5Signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]

    /// Writes the header into the closed HDF5 file at `path`, which was created with a user
    /// block of `headerBytes`.
    public static func seal(_ path: String, format: String, version: Int64) throws {
        guard let handle = FileHandle(forUpdatingAtPath: path) else {
            throw DataError.cannotWrite(path: path, reason: "cannot reopen it to write its checksum")
        }
        defer { try? handle.close() }
        do {
            let (crc, size) = try checksum(of: handle)
            let text = "\(format) \(version)\ncrc32 \(hex(crc))\nbytes \(size)\n"
            precondition(text.utf8.count < headerBytes, "HDF5Seal: header of \(text.utf8.count) bytes for \(path)")
            try handle.seek(toOffset: 0)
            try handle.write(contentsOf: Data(text.utf8) + Data(count: headerBytes - text.utf8.count))
        } catch let error as DataError {
            throw error
        } catch {
            throw DataError.cannotWrite(path: path, reason: "writing its checksum failed: \(error.localizedDescription)")
        }
    }

    /// Checks that `path` is a complete, undamaged `format` file of `version` written by `seal`.
    /// Throws `HDF5SealError` saying what is wrong.
    public static func verify(_ path: String, format: String, version: Int64) throws {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else { throw HDF5SealError(path, .missing) }
        guard !isFolder.boolValue else { throw HDF5SealError(path, .folder) }
        guard let handle = FileHandle(forReadingAtPath: path) else { throw HDF5SealError(path, .unreadable) }
        defer { try? handle.close() }
        let head = [UInt8]((try? handle.read(upToCount: headerBytes)) ?? Data())
        guard !head.starts(with: hdf5Signature) else { throw HDF5SealError(path, .unsealed(format: format, version: version)) }
        guard head.count == headerBytes else { throw HDF5SealError(path, .damaged("it is shorter than its \(headerBytes)-byte header")) }
        let textBytes = head.prefix { $0 != 0 }
        let lines = String(decoding: textBytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard head[textBytes.count...].allSatisfy({ $0 == 0 }), lines.count == 4, lines[3].isEmpty,
              let expectedCRC = field(lines[1], "crc32").flatMap({ UInt32($0, radix: 16) }),
              let expectedSize = field(lines[2], "bytes").flatMap({ Int($0) }) else {
            throw HDF5SealError(path, .damaged("its checksum header is unreadable"))
        }
        guard lines[0] == "\(format) \(version)" else {
            throw HDF5SealError(path, .otherFormat(found: lines[0], expected: "\(format) \(version)"))
        }
        let (crc, size) = try checksum(of: handle)
        guard size == expectedSize else {
            throw HDF5SealError(path, .damaged("it has \(size) bytes, its header says \(expectedSize) (truncated or extended)"))
        }
        guard crc == expectedCRC else {
            throw HDF5SealError(path, .damaged("its CRC-32 is \(hex(crc)), its header says \(hex(expectedCRC))"))
        }
    }

    /// CRC-32 of the bytes after the header, and the file's size.
    private static func checksum(of handle: FileHandle) throws -> (crc: UInt32, size: Int) {
        try handle.seek(toOffset: UInt64(headerBytes))
        var crc = UInt(crc32_z(0, nil, 0))
        var size = headerBytes
        while let block = try handle.read(upToCount: 4 << 20), !block.isEmpty {
            crc = block.withUnsafeBytes { UInt(crc32_z(crc, $0.bindMemory(to: UInt8.self).baseAddress, $0.count)) }
            size += block.count
        }
        return (UInt32(truncatingIfNeeded: crc), size)
    }

    /// The value of `"<name> <value>"`, or nil.
    private static func field(_ line: String, _ name: String) -> String? {
        line.hasPrefix(name + " ") ? String(line.dropFirst(name.count + 1)) : nil
    }

    private static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 8 - digits.count) + digits
    }
}

/// Why `HDF5Seal.verify` refused a file. `problem` reads after the file name ("PATH: problem").
public struct HDF5SealError: Error, Equatable, CustomStringConvertible {
    public enum Kind: Equatable, Sendable {
        case missing, folder, unreadable
        /// A plain HDF5 file: no header (written before format `version` added it).
        case unsealed(format: String, version: Int64)
        /// The header names another format or version.
        case otherFormat(found: String, expected: String)
        case damaged(String)
    }

    public let path: String
    public let kind: Kind

    init(_ path: String, _ kind: Kind) { (self.path, self.kind) = (path, kind) }

    /// What is wrong, without the file name.
    public var problem: String {
        switch kind {
        case .missing: return "no such file"
        case .folder: return "is a folder, not a file"
        case .unreadable: return "cannot be opened for reading (check its permissions)"
        case .unsealed(let format, let version):
            return "has no checksum header: not a \(format) file of version \(version) "
                + "(older versions of mstrain-dist wrote no checksum and are not read)"
        case .otherFormat(let found, let expected): return "its header says '\(found)', expected '\(expected)'"
        case .damaged(let reason): return "the file is damaged: \(reason)"
        }
    }

    public var description: String { "\(path): \(problem)" }

    /// The file is missing, a folder or not readable (rather than damaged or of another format).
    public var isInaccessible: Bool {
        switch kind {
        case .missing, .folder, .unreadable: return true
        default: return false
        }
    }
}
