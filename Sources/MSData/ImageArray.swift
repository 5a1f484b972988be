/// Images held in memory as `[N, C, H, W]` in their stored type, on their way into a dataset.
public struct ImageArray: Equatable, Sendable {
    /// The elements, row-major `[N, C, H, W]`.
    public enum Values: Equatable, Sendable {
        /// 0...255.
        case uint8([UInt8])
        /// 0...65535.
        case uint16([UInt16])
        /// [0, 1].
        case float32([Float])
    }

    public let count, channels, height, width: Int
    public let values: Values

    public var storage: SampleStorage {
        switch values {
        case .uint8: return .uint8
        case .uint16: return .uint16
        case .float32: return .float32
        }
    }

    /// Elements per image, `C·H·W`.
    public var sampleSize: Int { channels * height * width }

    public init(count: Int, channels: Int, height: Int, width: Int, values: Values) {
        precondition(values.count == count * channels * height * width,
                     "ImageArray: \(values.count) values for [\(count), \(channels), \(height), \(width)]")
        (self.count, self.channels, self.height, self.width, self.values) = (count, channels, height, width, values)
    }

    /// Images `range`, optionally centre-cropped and resized to `size × size`
    /// (`ImageResize.squareResize`; integer images are rounded back to their type).
    public func slice(_ range: Range<Int>, resizedTo size: Int? = nil) -> ImageArray {
        let elements = range.lowerBound * sampleSize ..< range.upperBound * sampleSize
        var part: ImageArray
        switch values {
        case .uint8(let v): part = ImageArray(count: range.count, channels: channels, height: height, width: width, values: .uint8(Array(v[elements])))
        case .uint16(let v): part = ImageArray(count: range.count, channels: channels, height: height, width: width, values: .uint16(Array(v[elements])))
        case .float32(let v): part = ImageArray(count: range.count, channels: channels, height: height, width: width, values: .float32(Array(v[elements])))
        }
        if let size, size != height || size != width { part = part.resized(to: size) }
        return part
    }

    /// Concatenation along axis 0 of arrays of equal `C, H, W` and type.
    public static func concatenate(_ parts: [ImageArray]) -> ImageArray {
        precondition(!parts.isEmpty, "ImageArray.concatenate needs at least one part")
        let first = parts[0]
        precondition(parts.allSatisfy { ($0.channels, $0.height, $0.width, $0.storage) == (first.channels, first.height, first.width, first.storage) },
                     "ImageArray.concatenate: parts differ in shape or type")
        let count = parts.reduce(0) { $0 + $1.count }
        switch first.values {
        case .uint8: return ImageArray(count: count, channels: first.channels, height: first.height, width: first.width,
                                       values: .uint8(parts.flatMap { if case .uint8(let v) = $0.values { return v }; return [] }))
        case .uint16: return ImageArray(count: count, channels: first.channels, height: first.height, width: first.width,
                                        values: .uint16(parts.flatMap { if case .uint16(let v) = $0.values { return v }; return [] }))
        case .float32: return ImageArray(count: count, channels: first.channels, height: first.height, width: first.width,
                                         values: .float32(parts.flatMap { if case .float32(let v) = $0.values { return v }; return [] }))
        }
    }

    /// The images with `channels` channels: grey is repeated into R, G and B; RGB becomes
    /// its luma `0.299·R + 0.587·G + 0.114·B` (ITU-R BT.601, as libjpeg and Pillow compute
    /// grey; uint8 and uint16 in 16-bit fixed point, rounded). Returns `self` when the count
    /// already matches.
    public func converted(toChannels target: Int) -> ImageArray {
        precondition((target == 1 || target == 3) && (channels == 1 || channels == 3), "converted(toChannels:): \(channels) → \(target)")
        if target == channels { return self }
        let plane = height * width
        func convert<T>(_ v: [T], luma: (T, T, T) -> T) -> [T] {
            var out: [T] = []
            out.reserveCapacity(count * target * plane)
            for n in 0..<count {
                let image = v[n * sampleSize ..< (n + 1) * sampleSize]
                if target == 3 {
                    for _ in 0..<3 { out += image }
                } else {
                    let (r, g, b) = (image.startIndex, image.startIndex + plane, image.startIndex + 2 * plane)
                    for p in 0..<plane { out.append(luma(v[r + p], v[g + p], v[b + p])) }
                }
            }
            return out
        }
        let converted: Values
        switch values {
        case .uint8(let v):
            converted = .uint8(convert(v) { r, g, b in UInt8(ImageArray.luma(UInt64(r), UInt64(g), UInt64(b))) })
        case .uint16(let v):
            converted = .uint16(convert(v) { r, g, b in UInt16(ImageArray.luma(UInt64(r), UInt64(g), UInt64(b))) })
        case .float32(let v):
            converted = .float32(convert(v) { r, g, b in min(1, 0.299 * r + 0.587 * g + 0.114 * b) })
        }
        return ImageArray(count: count, channels: target, height: height, width: width, values: converted)
    }

    /// BT.601 luma of integer R, G, B in 16-bit fixed point, rounded.
    private static func luma(_ r: UInt64, _ g: UInt64, _ b: UInt64) -> UInt64 {
        (19595 * r + 38470 * g + 7471 * b + 32768) >> 16
    }

    private func resized(to size: Int) -> ImageArray {
        var out: [Float] = []
        out.reserveCapacity(count * channels * size * size)
        let unit = unitValues
        for n in 0..<count {
            out += ImageResize.squareResize(Array(unit[n * sampleSize ..< (n + 1) * sampleSize]), channels: channels, height: height,
                                            width: width, size: size)
        }
        return ImageArray(count: count, channels: channels, height: size, width: size, values: .quantized(out, as: storage))
    }
}

extension ImageArray {
    /// Reinterprets values stored `[N, H, W, C]` as this array's `[N, C, H, W]`.
    func transposedFromNHWC() -> ImageArray {
        let (c, h, w) = (channels, height, width)
        func permute<T>(_ v: [T]) -> [T] {
            var out = v
            for n in 0..<count {
                for y in 0..<h {
                    for x in 0..<w {
                        for k in 0..<c { out[((n * c + k) * h + y) * w + x] = v[((n * h + y) * w + x) * c + k] }
                    }
                }
            }
            return out
        }
        switch values {
        case .uint8(let v): return ImageArray(count: count, channels: c, height: h, width: w, values: .uint8(permute(v)))
        case .uint16(let v): return ImageArray(count: count, channels: c, height: h, width: w, values: .uint16(permute(v)))
        case .float32(let v): return ImageArray(count: count, channels: c, height: h, width: w, values: .float32(permute(v)))
        }
    }
}
