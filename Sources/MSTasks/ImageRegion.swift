import MSTensor

/// A rectangle of pixels of an image: rows `rows`, columns `columns`, all channels. Bounds may
/// lie outside `0..<H` and `0..<W`; such a region stands for the periodic extension of the
/// image (pixel `(y, x)` is `(y mod H, x mod W)`), which is what a blur halo reads.
public struct ImageRegion: Hashable, Sendable {
    public var rows: Range<Int>
    public var columns: Range<Int>

    public init(rows: Range<Int>, columns: Range<Int>) {
        self.rows = rows
        self.columns = columns
    }

    /// The whole `height × width` image.
    public static func whole(height: Int, width: Int) -> ImageRegion {
        ImageRegion(rows: 0..<height, columns: 0..<width)
    }

    public var height: Int { rows.count }
    public var width: Int { columns.count }

    /// Whether the region lies inside a `height × width` image.
    public func isInside(height: Int, width: Int) -> Bool {
        rows.lowerBound >= 0 && rows.upperBound <= height && columns.lowerBound >= 0 && columns.upperBound <= width
    }

    /// The region grown by `margin` pixels on every side.
    public func expanded(by margin: Int) -> ImageRegion {
        ImageRegion(rows: (rows.lowerBound - margin)..<(rows.upperBound + margin),
                    columns: (columns.lowerBound - margin)..<(columns.upperBound + margin))
    }

    /// The region moved by `rows` rows and `columns` columns.
    public func shifted(rows dy: Int, columns dx: Int) -> ImageRegion {
        ImageRegion(rows: (rows.lowerBound + dy)..<(rows.upperBound + dy),
                    columns: (columns.lowerBound + dx)..<(columns.upperBound + dx))
    }

    /// This region of `image` `[N, C, H, W]`, read periodically: `[N, C, height, width]` with
    /// `out[n, c, i, j] = image[n, c, (rows.lowerBound + i) mod H, (columns.lowerBound + j) mod W]`.
    public func extract(from image: Tensor) -> Tensor {
        let (h, w) = (image.height, image.width)
        let planes = image.batch * image.channels
        var out = Tensor(shape: [image.batch, image.channels, height, width])
        image.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                var target = dst.baseAddress!
                for plane in 0..<planes {
                    let source = src.baseAddress! + plane * h * w
                    for y in rows {
                        let row = source + periodicIndex(y, h) * w
                        for x in columns { target.pointee = row[periodicIndex(x, w)]; target += 1 }
                    }
                }
            }
        }
        return out
    }
}

/// `i mod n` in `0..<n` for any integer `i`.
@inline(__always) func periodicIndex(_ i: Int, _ n: Int) -> Int {
    let m = i % n
    return m < 0 ? m + n : m
}
