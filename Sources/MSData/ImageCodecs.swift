import CImageCodecs
import CJPEGDecode
import Foundation

/// PNG and JPEG decoding for `data import`, PNG encoding for reports. Every call into libpng, libjpeg and zlib is in
/// this file.
///
/// No decoder failure can end the process: libpng's simplified API (`png_image_*`) reports
/// errors through its return values and `png_image.message`, and libjpeg, whose fatal errors
/// must `longjmp` out of the library, is called through the C wrapper `CJPEGDecode`, which
/// catches them with `setjmp` and returns a code and a message.
public enum ImageCodecs {
    /// The formats `decode` reads, recognised by their signature rather than the file name.
    public enum Format: String, Sendable {
        case png = "PNG"
        case jpeg = "JPEG"
    }

    /// Largest image accepted, in pixels: a file claiming more is rejected before any memory is
    /// allocated for it (2^28 pixels is 16384 × 16384, 768 MiB as RGB).
    public static let maximumPixels = 1 << 28

    /// The format of a file that starts with `bytes`, nil when it is neither PNG nor JPEG.
    public static func format(of bytes: [UInt8]) -> Format? {
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if bytes.starts(with: [0xFF, 0xD8, 0xFF]) { return .jpeg }
        return nil
    }

    /// What a file's header says about its image.
    public struct Header: Equatable, Sendable {
        public var format: Format
        public var size: ImageSize
        /// 1 for grey images, 3 for colour ones (as `decode` gives them).
        public var channels: Int
        /// 16 for 16-bit PNGs, else 8 (as `decode` gives them: uint16 or uint8).
        public var bitDepth: Int
    }

    /// Reads the header of the PNG or JPEG file at `path` without decoding its pixels. Throws
    /// what `decode` throws for a bad header, unsupported colour space or too large an image;
    /// damage in the compressed pixels is found by `decode` only.
    public static func readHeader(_ path: String) throws -> Header {
        let bytes = try contents(path)
        switch format(of: bytes) {
        case .png?:
            var image = png_image()
            try beginPNG(&image, bytes, path)
            defer { png_image_free(&image) }
            return Header(format: .png, size: ImageSize(height: Int(image.height), width: Int(image.width)),
                          channels: image.format & png_uint_32(PNG_FORMAT_FLAG_COLOR) != 0 ? 3 : 1,
                          bitDepth: image.format & png_uint_32(PNG_FORMAT_FLAG_LINEAR) != 0 ? 16 : 8)
        case .jpeg?:
            var image = mstrain_jpeg_image()
            guard bytes.withUnsafeBufferPointer({ mstrain_jpeg_read_header($0.baseAddress, $0.count, &image) }) != 0 else {
                throw jpegFailure(image, path)
            }
            try checkSize(width: Int(image.width), height: Int(image.height), path)
            return Header(format: .jpeg, size: ImageSize(height: Int(image.height), width: Int(image.width)),
                          channels: Int(image.channels), bitDepth: 8)
        case nil: throw notAnImage(path)
        }
    }

    /// Decodes the PNG or JPEG file at `path` into `[1, C, H, W]`: C = 1 for grey images, 3
    /// for colour ones; uint16 for 16-bit PNGs, else uint8.
    ///
    /// - PNG: every colour type (grey, grey + alpha, RGB, RGBA, palette) and bit depth. 8-bit
    ///   and lower depths give uint8 (files without a gAMA or sRGB chunk are taken as sRGB).
    ///   16-bit files give uint16 through libpng's linear output: the stored samples exactly
    ///   when the file has no gAMA or sRGB chunk (libpng then takes them as linear), else
    ///   converted to linear light. Alpha is composited onto black, so fully transparent
    ///   pixels become black.
    /// - JPEG: greyscale, YCbCr and RGB; CMYK is rejected. A warning from libjpeg (corrupt or
    ///   truncated data, which it would fill with grey) is an error.
    public static func decode(_ path: String) throws -> (image: ImageArray, format: Format) {
        let bytes = try contents(path)
        switch format(of: bytes) {
        case .png?: return (try decodePNG(bytes, path), .png)
        case .jpeg?: return (try decodeJPEG(bytes, path), .jpeg)
        case nil: throw notAnImage(path)
        }
    }

    /// The bytes of the file at `path`.
    private static func contents(_ path: String) throws -> [UInt8] {
        guard FileManager.default.fileExists(atPath: path) else { throw DataError.missingFile(path: path) }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DataError.unsupportedSource(path: path, reason: "cannot be read; check that it is a readable file")
        }
        return [UInt8](data)
    }

    private static func notAnImage(_ path: String) -> DataError {
        DataError.malformedSource(path: path, reason: "starts with neither the PNG nor the JPEG signature")
    }

    /// Reads the file's header into `image` (free it with `png_image_free`); its format is the
    /// file's, with `PNG_FORMAT_FLAG_LINEAR` for 16-bit files. libpng keeps the address of
    /// `image` for its error handling, so it must stay in place (never be copied) until freed.
    private static func beginPNG(_ image: inout png_image, _ bytes: [UInt8], _ path: String) throws {
        image.version = png_uint_32(PNG_IMAGE_VERSION)
        guard bytes.withUnsafeBytes({ png_image_begin_read_from_memory(&image, $0.baseAddress, $0.count) }) != 0 else {
            let failure = pngFailure(image, path)
            png_image_free(&image)
            throw failure
        }
        do {
            try checkSize(width: Int(image.width), height: Int(image.height), path)
        } catch {
            png_image_free(&image)
            throw error
        }
    }

    private static func decodePNG(_ bytes: [UInt8], _ path: String) throws -> ImageArray {
        var image = png_image()
        try beginPNG(&image, bytes, path)
        defer { png_image_free(&image) }   // a no-op once png_image_finish_read has run
        let (width, height) = (Int(image.width), Int(image.height))
        let channels = image.format & png_uint_32(PNG_FORMAT_FLAG_COLOR) != 0 ? 3 : 1
        let values: ImageArray.Values
        if image.format & png_uint_32(PNG_FORMAT_FLAG_LINEAR) != 0 {
            // 16-bit samples; removing alpha composites onto black (libpng ignores a background).
            image.format = png_uint_32(channels == 3 ? PNG_FORMAT_LINEAR_RGB : PNG_FORMAT_LINEAR_Y)
            var pixels = [UInt16](repeating: 0, count: width * height * channels)
            guard pixels.withUnsafeMutableBytes({ png_image_finish_read(&image, nil, $0.baseAddress, 0, nil) }) != 0 else {
                throw pngFailure(image, path)
            }
            values = .uint16(pixels)
        } else {
            image.format = channels == 3 ? png_uint_32(PNG_FORMAT_RGB) : png_uint_32(PNG_FORMAT_GRAY)
            var pixels = [UInt8](repeating: 0, count: width * height * channels)
            var black = png_color()   // all zero
            guard pixels.withUnsafeMutableBytes({ png_image_finish_read(&image, &black, $0.baseAddress, 0, nil) }) != 0 else {
                throw pngFailure(image, path)
            }
            values = .uint8(pixels)
        }
        return ImageArray(count: 1, channels: channels, height: height, width: width, values: values).transposedFromNHWC()
    }

    /// Encodes image `index` of uint8 `images` (`[N, C, H, W]`, C = 1 or 3) as a PNG file's
    /// bytes: 8-bit grey or RGB, no alpha, libpng's default compression.
    public static func encodePNG(_ images: ImageArray, index: Int = 0) throws -> [UInt8] {
        guard case .uint8(let values) = images.values else {
            preconditionFailure("encodePNG: needs uint8 images, got \(images.storage)")
        }
        precondition(images.channels == 1 || images.channels == 3, "encodePNG: needs 1 or 3 channels, got \(images.channels)")
        precondition((0..<images.count).contains(index), "encodePNG: image \(index) of \(images.count)")
        let (channels, plane) = (images.channels, images.height * images.width)
        // libpng wants pixels interleaved (H, W, C).
        let planes = values[index * images.sampleSize ..< (index + 1) * images.sampleSize]
        var interleaved = [UInt8](repeating: 0, count: images.sampleSize)
        for c in 0..<channels {
            for p in 0..<plane { interleaved[p * channels + c] = planes[planes.startIndex + c * plane + p] }
        }
        var image = png_image()
        image.version = png_uint_32(PNG_IMAGE_VERSION)
        image.width = png_uint_32(images.width)
        image.height = png_uint_32(images.height)
        image.format = channels == 3 ? png_uint_32(PNG_FORMAT_RGB) : png_uint_32(PNG_FORMAT_GRAY)
        defer { png_image_free(&image) }
        // The first call (no buffer) reports the size needed; the second writes.
        var size = 0
        guard interleaved.withUnsafeBytes({ png_image_write_to_memory(&image, nil, &size, 0, $0.baseAddress, 0, nil) }) != 0 else {
            throw DataError.cannotWrite(path: "PNG image", reason: "libpng could not encode it (\(cString(image.message)))")
        }
        var bytes = [UInt8](repeating: 0, count: size)
        guard interleaved.withUnsafeBytes({ pixels in
            bytes.withUnsafeMutableBytes { png_image_write_to_memory(&image, $0.baseAddress, &size, 0, pixels.baseAddress, 0, nil) }
        }) != 0 else {
            throw DataError.cannotWrite(path: "PNG image", reason: "libpng could not encode it (\(cString(image.message)))")
        }
        return Array(bytes.prefix(size))
    }

    private static func pngFailure(_ image: png_image, _ path: String) -> DataError {
        DataError.malformedSource(path: path, reason: "cannot be decoded as PNG (\(cString(image.message)))")
    }

    private static func jpegFailure(_ image: mstrain_jpeg_image, _ path: String) -> DataError {
        DataError.malformedSource(path: path, reason: "cannot be decoded as JPEG (\(cString(image.message)))")
    }

    private static func decodeJPEG(_ bytes: [UInt8], _ path: String) throws -> ImageArray {
        var image = mstrain_jpeg_image()
        guard bytes.withUnsafeBufferPointer({ mstrain_jpeg_decode($0.baseAddress, $0.count, &image) }) != 0 else {
            throw jpegFailure(image, path)
        }
        defer { mstrain_jpeg_free(&image) }
        let (width, height, channels) = (Int(image.width), Int(image.height), Int(image.channels))
        try checkSize(width: width, height: height, path)
        let pixels = Array(UnsafeBufferPointer(start: image.pixels, count: width * height * channels))
        return ImageArray(count: 1, channels: channels, height: height, width: width, values: .uint8(pixels)).transposedFromNHWC()
    }

    private static func checkSize(width: Int, height: Int, _ path: String) throws {
        guard width * height <= maximumPixels else {
            throw DataError.unsupportedSource(path: path, reason: "is \(width)×\(height) pixels, more than the \(maximumPixels) accepted; "
                + "shrink it before importing")
        }
    }

    /// The text of a NUL-terminated C character array imported as a tuple.
    private static func cString<T>(_ characters: T) -> String {
        withUnsafeBytes(of: characters) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }
}

/// zlib's inflate and CRC-32, for the members of `.npz` (zip) archives.
enum Deflate {
    /// Inflates the raw deflate stream `compressed` (zip method 8), which must expand to
    /// exactly `size` bytes; `path` names the member in errors.
    static func inflate(_ compressed: [UInt8], size: Int, path: String) throws -> [UInt8] {
        var output = [UInt8](repeating: 0, count: size)
        var stream = z_stream()
        guard inflateInit2_(&stream, -MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw DataError.malformedSource(path: path, reason: "zlib could not start inflating")
        }
        defer { inflateEnd(&stream) }
        var status = Z_OK
        compressed.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { out in
                // avail_in and avail_out are 32-bit: members of 4 GiB and more go in pieces.
                var (read, written) = (0, 0)
                repeat {
                    if stream.avail_in == 0 {
                        let piece = min(input.count - read, Int(UInt32.max))
                        (stream.next_in, stream.avail_in) = (UnsafeMutablePointer(mutating: input.baseAddress.map { $0 + read }), uInt(piece))
                        read += piece
                    }
                    if stream.avail_out == 0 {
                        let piece = min(out.count - written, Int(UInt32.max))
                        (stream.next_out, stream.avail_out) = (out.baseAddress.map { $0 + written }, uInt(piece))
                        written += piece
                    }
                    status = CImageCodecs.inflate(&stream, Z_NO_FLUSH)   // Z_BUF_ERROR once either side is exhausted
                } while status == Z_OK
            }
        }
        guard status == Z_STREAM_END, Int(stream.total_out) == size else {
            let reason = status == Z_STREAM_END ? "inflates to \(stream.total_out) bytes, the archive says \(size)"
                : "the deflated data is corrupt or truncated (zlib status \(status))"
            throw DataError.malformedSource(path: path, reason: reason)
        }
        return output
    }

    /// The CRC-32 (zip's checksum) of `bytes`.
    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBufferPointer { buffer in
            var crc = CImageCodecs.crc32(0, nil, 0)
            var start = 0
            while start < buffer.count {
                let length = min(buffer.count - start, Int(UInt32.max))
                crc = CImageCodecs.crc32(crc, buffer.baseAddress! + start, uInt(length))
                start += length
            }
            return UInt32(crc)
        }
    }
}
