import Foundation

/// How the axes of a 4-D NumPy image array are ordered.
public enum NumpyLayout: String, CaseIterable, Sendable {
    /// `[N, H, W, C]` when the last axis is 1 or 3, `[N, C, H, W]` when the second is; an
    /// array where both could be channels must be given a layout explicitly.
    case auto
    case nhwc
    case nchw
}

/// Reader of NumPy's `.npy` files (format versions 1.0–3.0): a magic string, a header that is
/// a Python dict literal `{'descr': '<f4', 'fortran_order': False, 'shape': (N, H, W, C), }`,
/// then the raw elements. Element types `|u1` (uint8), `<f4` and `<f8` (read as float32, which
/// must lie in [0, 1]); C order only.
public enum NumpyFile {
    /// Reads the images of `path`: `[N, H, W]` (one channel) or 4-D in `layout`.
    public static func readImages(_ path: String, layout: NumpyLayout = .auto) throws -> ImageArray {
        guard let data = FileManager.default.contents(atPath: path) else { throw DataError.missingFile(path: path) }
        return try readImages(bytes: [UInt8](data), path: path, layout: layout)
    }

    /// Reads the images of a `.npy` file held in `bytes`; `path` names it in errors (for a
    /// member of an `.npz` archive, `archive.npz:member`).
    public static func readImages(bytes: [UInt8], path: String, layout: NumpyLayout = .auto) throws -> ImageArray {
        let (header, bodyStart) = try splitHeader(bytes, path)
        let descr = try field("descr", in: header, path)
        guard try field("fortran_order", in: header, path) == "False" else {
            throw DataError.unsupportedSource(path: path, reason: "the array is in Fortran order; save it with numpy.ascontiguousarray first")
        }
        let shapeText = try field("shape", in: header, path)
        let shape = try shapeText.trimmingCharacters(in: CharacterSet(charactersIn: "()"))
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            .map { (item: String) -> Int in
                guard let extent = Int(item), extent >= 0 else { throw DataError.malformedSource(path: path, reason: "bad shape \(shapeText)") }
                return extent
            }
        let (nchw, isNHWC) = try imageShape(shape, layout: layout, path)
        let elements = shape.reduce(1, *)
        let body = bytes[bodyStart...]
        let width = ["|u1": 1, "u1": 1, "<u1": 1, "<f4": 4, "<f8": 8][descr]
        guard let width else {
            throw DataError.unsupportedSource(path: path, reason: "element type \(descr) is not supported; save uint8 (0..255) or float32 (0..1) images")
        }
        guard body.count == elements * width else {
            throw DataError.malformedSource(path: path, reason: "shape \(shape) needs \(elements * width) bytes of \(descr), found \(body.count)")
        }
        let values: ImageArray.Values
        switch width {
        case 1:
            values = .uint8(Array(body))
        default:
            let floats: [Float] = body.withUnsafeBytes { raw in
                width == 4 ? (0..<elements).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
                    : (0..<elements).map { Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * $0, as: UInt64.self)))) }
            }
            if let bad = floats.first(where: { !($0 >= 0 && $0 <= 1) }) {
                throw DataError.unsupportedSource(path: path, reason: "float images must lie in [0, 1], found \(bad); divide 0..255 data by 255 or save it as uint8")
            }
            values = .float32(floats)
        }
        let stored = ImageArray(count: nchw[0], channels: nchw[1], height: nchw[2], width: nchw[3], values: values)
        return isNHWC ? stored.transposedFromNHWC() : stored
    }

    /// The header text and the offset of the first element.
    private static func splitHeader(_ bytes: [UInt8], _ path: String) throws -> (String, Int) {
        guard bytes.count >= 10, bytes[0..<6] == [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59] else {
            throw DataError.malformedSource(path: path, reason: "no NumPy magic string at the start")
        }
        let major = bytes[6]
        let lengthBytes = major == 1 ? 2 : 4
        guard major >= 1 && major <= 3, bytes.count >= 8 + lengthBytes else {
            throw DataError.unsupportedSource(path: path, reason: ".npy format version \(major) is not supported (1 to 3 are)")
        }
        let length = (0..<lengthBytes).reduce(0) { $0 | Int(bytes[8 + $1]) << (8 * $1) }
        let start = 8 + lengthBytes
        guard bytes.count >= start + length else { throw DataError.malformedSource(path: path, reason: "the header is truncated") }
        return (String(decoding: bytes[start ..< start + length], as: UTF8.self), start + length)
    }

    /// The value text of `'key': value` in the header dict: a quoted string without quotes, a
    /// parenthesised tuple with its parentheses, or a bare word.
    private static func field(_ key: String, in header: String, _ path: String) throws -> String {
        guard let keyRange = header.range(of: "'\(key)'") ?? header.range(of: "\"\(key)\""),
              let colon = header[keyRange.upperBound...].firstIndex(of: ":") else {
            throw DataError.malformedSource(path: path, reason: "the header has no '\(key)'")
        }
        let rest = header[header.index(after: colon)...].drop { $0 == " " }
        if let quote = rest.first, quote == "'" || quote == "\"" {
            return String(rest.dropFirst().prefix { $0 != quote })
        }
        if rest.first == "(" { return String(rest.prefix { $0 != ")" }) + ")" }
        return String(rest.prefix { $0 != "," && $0 != "}" }).trimmingCharacters(in: .whitespaces)
    }

    /// `[N, C, H, W]` of an array of `shape` in `layout`, and whether the array is `[N, H, W, C]`.
    private static func imageShape(_ shape: [Int], layout: NumpyLayout, _ path: String) throws -> ([Int], Bool) {
        if shape.count == 3 { return ([shape[0], 1, shape[1], shape[2]], false) }
        guard shape.count == 4 else {
            throw DataError.unsupportedSource(path: path, reason: "expected an image array [N, H, W], [N, H, W, C] or [N, C, H, W], found shape \(shape)")
        }
        let lastIsChannels = shape[3] == 1 || shape[3] == 3, secondIsChannels = shape[1] == 1 || shape[1] == 3
        switch layout {
        case .nhwc: return ([shape[0], shape[3], shape[1], shape[2]], true)
        case .nchw: return (shape, false)
        case .auto:
            if lastIsChannels && secondIsChannels {
                throw DataError.unsupportedSource(path: path, reason: "shape \(shape) could be NHWC or NCHW; give the layout (--layout nhwc or nchw)")
            }
            if lastIsChannels { return ([shape[0], shape[3], shape[1], shape[2]], true) }
            if secondIsChannels { return (shape, false) }
            throw DataError.unsupportedSource(path: path, reason: "shape \(shape) has no axis of 1 or 3 channels")
        }
    }
}
