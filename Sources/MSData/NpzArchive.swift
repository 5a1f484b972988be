import Foundation

/// Reader of NumPy's `.npz` archives: zip files whose members are `.npy` files, stored
/// (`numpy.savez`, zip method 0) or deflated (`numpy.savez_compressed`, method 8). Member
/// sizes and offsets come from the central directory, with zip64 records and extra fields
/// where numpy writes them; every member's CRC-32 is checked.
public struct NpzArchive {
    /// One `.npy` member, located by the central directory.
    private struct Member {
        var name: String
        var method: Int
        var crc: UInt32
        var compressedSize, size, localHeaderOffset: Int
    }

    /// Arrays a default choice looks for, in this order, when the archive holds several.
    public static let defaultArrayNames = ["images", "x", "data"]

    public let path: String
    private let data: Data
    private var members: [Member] = []

    /// The array names (member names without `.npy`), in archive order.
    public var arrayNames: [String] { members.map(\.name) }

    /// Reads the central directory of the archive at `path` (the file is memory-mapped; members
    /// are read when asked for).
    public init(path: String) throws {
        guard FileManager.default.fileExists(atPath: path) else { throw DataError.missingFile(path: path) }
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch {
            throw DataError.unsupportedSource(path: path, reason: "cannot be read; check that it is a readable file")
        }
        self.path = path
        members = try readCentralDirectory()
        guard !members.isEmpty else { throw DataError.unsupportedSource(path: path, reason: "holds no .npy array") }
    }

    /// The array to import when none is named: the only one, else the first of
    /// `defaultArrayNames` present.
    public func defaultArrayName() throws -> String {
        if arrayNames.count == 1 { return arrayNames[0] }
        guard let name = Self.defaultArrayNames.first(where: arrayNames.contains) else {
            throw DataError.unsupportedSource(path: path, reason: "holds the arrays \(arrayNames.joined(separator: ", ")); choose one with --array NAME")
        }
        return name
    }

    /// The images of array `name` (see `NumpyFile.readImages`).
    public func readImages(_ name: String, layout: NumpyLayout = .auto) throws -> ImageArray {
        guard let member = members.first(where: { $0.name == name }) else {
            throw DataError.unsupportedSource(path: path, reason: "has no array '\(name)'; it holds \(arrayNames.joined(separator: ", "))")
        }
        let memberPath = "\(path):\(name)"
        let localNameLength = try integer(at: member.localHeaderOffset + 26, bytes: 2)
        let localExtraLength = try integer(at: member.localHeaderOffset + 28, bytes: 2)
        guard try integer(at: member.localHeaderOffset, bytes: 4) == 0x0403_4B50 else {
            throw DataError.malformedSource(path: memberPath, reason: "no zip local header where the central directory points")
        }
        let start = member.localHeaderOffset + 30 + localNameLength + localExtraLength
        let compressed = try bytes(start ..< start + member.compressedSize, memberPath)
        let contents: [UInt8]
        switch member.method {
        case 0:
            guard member.compressedSize == member.size else {
                throw DataError.malformedSource(path: memberPath, reason: "a stored member of \(member.size) bytes occupies \(member.compressedSize)")
            }
            contents = compressed
        case 8:
            contents = try Deflate.inflate(compressed, size: member.size, path: memberPath)
        default:
            throw DataError.unsupportedSource(path: memberPath, reason: "zip compression method \(member.method) is not supported; "
                + "write the archive with numpy.savez or numpy.savez_compressed")
        }
        guard Deflate.crc32(contents) == member.crc else {
            throw DataError.malformedSource(path: memberPath, reason: "the CRC-32 does not match the archive's")
        }
        return try NumpyFile.readImages(bytes: contents, path: memberPath, layout: layout)
    }

    /// The `.npy` members listed by the central directory.
    private func readCentralDirectory() throws -> [Member] {
        let end = try endOfCentralDirectory()
        var count = try integer(at: end + 10, bytes: 2)
        var offset = try integer(at: end + 16, bytes: 4)
        if count == 0xFFFF || offset == 0xFFFF_FFFF {   // zip64: the real values are in the zip64 end record
            guard end >= 20, try integer(at: end - 20, bytes: 4) == 0x0706_4B50 else {
                throw DataError.malformedSource(path: path, reason: "the zip64 end-of-central-directory locator is missing")
            }
            let record = try integer(at: end - 12, bytes: 8)
            guard try integer(at: record, bytes: 4) == 0x0606_4B50 else {
                throw DataError.malformedSource(path: path, reason: "the zip64 end-of-central-directory record is missing")
            }
            (count, offset) = (try integer(at: record + 32, bytes: 8), try integer(at: record + 48, bytes: 8))
        }
        var members: [Member] = []
        for _ in 0..<count {
            guard try integer(at: offset, bytes: 4) == 0x0201_4B50 else {
                throw DataError.malformedSource(path: path, reason: "a zip central directory entry is damaged")
            }
            let nameLength = try integer(at: offset + 28, bytes: 2), extraLength = try integer(at: offset + 30, bytes: 2)
            let commentLength = try integer(at: offset + 32, bytes: 2)
            let name = String(decoding: try bytes(offset + 46 ..< offset + 46 + nameLength, path), as: UTF8.self)
            var member = Member(name: name, method: try integer(at: offset + 10, bytes: 2),
                                crc: UInt32(try integer(at: offset + 16, bytes: 4)),
                                compressedSize: try integer(at: offset + 20, bytes: 4), size: try integer(at: offset + 24, bytes: 4),
                                localHeaderOffset: try integer(at: offset + 42, bytes: 4))
            if try integer(at: offset + 8, bytes: 2) & 1 != 0 {
                throw DataError.unsupportedSource(path: "\(path):\(name)", reason: "is encrypted; save the arrays again without encryption")
            }
            try applyZip64Extra(offset + 46 + nameLength ..< offset + 46 + nameLength + extraLength, to: &member)
            if name.hasSuffix(".npy") {
                member.name = String(name.dropLast(4))
                members.append(member)
            }
            offset += 46 + nameLength + extraLength + commentLength
        }
        return members
    }

    /// Offset of the end-of-central-directory record: the last signature within the final
    /// 22 + 65535 bytes (the record and the longest comment).
    private func endOfCentralDirectory() throws -> Int {
        let notZip = DataError.malformedSource(path: path, reason: "has no zip end-of-central-directory record, so it is not an .npz (zip) archive")
        guard data.count >= 22 else { throw notZip }
        for candidate in stride(from: data.count - 22, through: max(0, data.count - 22 - 0xFFFF), by: -1) {
            if try integer(at: candidate, bytes: 4) == 0x0605_4B50 { return candidate }
        }
        throw notZip
    }

    /// Replaces the sizes and offset saturated at 0xFFFFFFFF by the 64-bit values of the zip64
    /// extra field (id 1), which lists only the saturated ones, in the order size, compressed
    /// size, offset.
    private func applyZip64Extra(_ extra: Range<Int>, to member: inout Member) throws {
        var field = extra.lowerBound
        while field + 4 <= extra.upperBound {
            let id = try integer(at: field, bytes: 2), length = try integer(at: field + 2, bytes: 2)
            if id == 1 {
                var value = field + 4
                for keyPath in [\Member.size, \Member.compressedSize, \Member.localHeaderOffset] where member[keyPath: keyPath] == 0xFFFF_FFFF {
                    guard value + 8 <= field + 4 + length else {
                        throw DataError.malformedSource(path: "\(path):\(member.name)", reason: "the zip64 extra field is too short")
                    }
                    member[keyPath: keyPath] = try integer(at: value, bytes: 8)
                    value += 8
                }
            }
            field += 4 + length
        }
    }

    /// The little-endian unsigned integer of `bytes` bytes at `offset`.
    private func integer(at offset: Int, bytes count: Int) throws -> Int {
        try bytes(offset ..< offset + count, path).reversed().reduce(0) { $0 << 8 | Int($1) }
    }

    /// The bytes of `range`, which must lie inside the file.
    private func bytes(_ range: Range<Int>, _ name: String) throws -> [UInt8] {
        guard range.lowerBound >= 0, range.upperBound <= data.count else {
            throw DataError.malformedSource(path: name, reason: "is truncated: a zip record points past the end of the file")
        }
        return [UInt8](data[range])
    }
}
