/// PNG files written byte by byte for the tests: every colour type and bit depth, no gAMA chunk.

/// CRC-32 as PNG chunks and zip use it (polynomial 0xEDB88320).
func crc32(_ bytes: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
        crc ^= UInt32(byte)
        for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
    }
    return ~crc
}

func bigEndian(_ value: UInt32) -> [UInt8] { withUnsafeBytes(of: value.bigEndian, Array.init) }

/// A PNG file of one IDAT whose zlib stream holds stored (uncompressed) deflate blocks.
/// `rows` are the unfiltered scanlines; `colorType` 0 grey, 2 RGB, 3 palette, 4 grey +
/// alpha, 6 RGBA.
func png(width: Int, height: Int, bitDepth: UInt8 = 8, colorType: UInt8, rows: [[UInt8]],
         palette: [UInt8] = [], transparency: [UInt8] = []) -> [UInt8] {
    func chunk(_ type: String, _ body: [UInt8]) -> [UInt8] {
        let typed = Array(type.utf8) + body
        return bigEndian(UInt32(body.count)) + typed + bigEndian(crc32(typed))
    }
    let raw: [UInt8] = rows.flatMap { [0] + $0 }   // filter type 0 (None) on every row
    var stream: [UInt8] = [0x78, 0x01]
    for start in stride(from: 0, to: raw.count, by: 65535) {
        let block = Array(raw[start ..< min(raw.count, start + 65535)])
        let isFinal: UInt8 = start + 65535 >= raw.count ? 1 : 0
        let length = UInt16(block.count)
        stream += [isFinal, UInt8(length & 0xFF), UInt8(length >> 8), UInt8(~length & 0xFF), UInt8(~length >> 8)]
        stream += block
    }
    var (a, b): (UInt32, UInt32) = (1, 0)
    for byte in raw { a = (a + UInt32(byte)) % 65521; b = (b + a) % 65521 }
    stream += bigEndian(b << 16 | a)
    let header = bigEndian(UInt32(width)) + bigEndian(UInt32(height)) + [bitDepth, colorType, 0, 0, 0]
    return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + chunk("IHDR", header)
        + (palette.isEmpty ? [] : chunk("PLTE", palette)) + (transparency.isEmpty ? [] : chunk("tRNS", transparency))
        + chunk("IDAT", stream) + chunk("IEND", [])
}
