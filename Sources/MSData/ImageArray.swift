/// Images held in memory as `[N, C, H, W]` in their stored type, on their way into a dataset.
public struct ImageArray: Equatable, Sendable {
    /// The elements, row-major `[N, C, H, W]`.
    public enum Values: Equatable, Sendable {
        /// 0...255.
        case uint8([UInt8])
        /// [0, 1].
        case float32([Float])
    }

    public let count, channels, height, width: Int
    public let values: Values

    public var storage: SampleStorage {
        if case .uint8 = values { return .uint8 }
        return .float32
    }

    /// Elements per image, `C·H·W`.
    public var sampleSize: Int { channels * height * width }

    public init(count: Int, channels: Int, height: Int, width: Int, values: Values) {
        let expected = count * channels * height * width
        switch values {
        case .uint8(let v): precondition(v.count == expected, "ImageArray: \(v.count) values for [\(count), \(channels), \(height), \(width)]")
        case .float32(let v): precondition(v.count == expected, "ImageArray: \(v.count) values for [\(count), \(channels), \(height), \(width)]")
        }
        (self.count, self.channels, self.height, self.width, self.values) = (count, channels, height, width, values)
    }

    /// Images `range`, optionally centre-cropped and resized to `size × size`
    /// (`ImageResize.squareResize`; uint8 images are rounded back to uint8).
    public func slice(_ range: Range<Int>, resizedTo size: Int? = nil) -> ImageArray {
        let elements = range.lowerBound * sampleSize ..< range.upperBound * sampleSize
        var part: ImageArray
        switch values {
        case .uint8(let v): part = ImageArray(count: range.count, channels: channels, height: height, width: width, values: .uint8(Array(v[elements])))
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
        case .float32: return ImageArray(count: count, channels: first.channels, height: first.height, width: first.width,
                                         values: .float32(parts.flatMap { if case .float32(let v) = $0.values { return v }; return [] }))
        }
    }

    /// Writes all images into `split` of `writer` starting at sample `start`.
    public func write(into writer: DatasetWriter, split: Split, at start: Int) throws {
        switch values {
        case .uint8(let v): try writer.write(split, bytes: v, at: start)
        case .float32(let v): try writer.write(split, unitImages: v, at: start)
        }
    }

    /// The images with `channels` channels: grey is repeated into R, G and B; RGB becomes
    /// its luma `0.299·R + 0.587·G + 0.114·B` (ITU-R BT.601, as libjpeg and Pillow compute
    /// grey; uint8 in 16-bit fixed point, rounded). Returns `self` when the count already matches.
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
            converted = .uint8(convert(v) { r, g, b in
                let weighted: UInt32 = 19595 * UInt32(r) + 38470 * UInt32(g) + 7471 * UInt32(b)
                return UInt8((weighted + 32768) >> 16)
            })
        case .float32(let v):
            converted = .float32(convert(v) { r, g, b in min(1, 0.299 * r + 0.587 * g + 0.114 * b) })
        }
        return ImageArray(count: count, channels: target, height: height, width: width, values: converted)
    }

    private func resized(to size: Int) -> ImageArray {
        let unit = storage.unitScale
        var out: [Float] = []
        out.reserveCapacity(count * channels * size * size)
        for n in 0..<count {
            let image: [Float]
            switch values {
            case .uint8(let v): image = v[n * sampleSize ..< (n + 1) * sampleSize].map { Float($0) * unit }
            case .float32(let v): image = Array(v[n * sampleSize ..< (n + 1) * sampleSize])
            }
            out += ImageResize.squareResize(image, channels: channels, height: height, width: width, size: size)
        }
        let values: Values = storage == .uint8 ? .uint8(out.map(DatasetWriter.quantize)) : .float32(out)
        return ImageArray(count: count, channels: channels, height: size, width: size, values: values)
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
        case .float32(let v): return ImageArray(count: count, channels: c, height: h, width: w, values: .float32(permute(v)))
        }
    }
}
