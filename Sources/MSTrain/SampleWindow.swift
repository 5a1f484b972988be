import MSData
import MSSpatial
import MSTensor

/// One of the eight symmetries of a square (flips and 90° rotations), as "transpose, then flip
/// the rows, then flip the columns": `out[i, j] = in[u, v]` with `(u', v') = transposes ? (j, i)
/// : (i, j)`, `u = flipsRows ? n − 1 − u' : u'`, `v = flipsColumns ? n − 1 − v' : v'`.
public struct DihedralTransform: Hashable, Sendable, CustomStringConvertible {
    public var transposes, flipsRows, flipsColumns: Bool

    public static let identity = DihedralTransform(code: 0)

    /// Element `code` of `0..<8`: bit 0 transposes, bit 1 flips the rows, bit 2 the columns.
    public init(code: Int) {
        precondition((0..<8).contains(code), "DihedralTransform: code \(code) outside 0..<8")
        (transposes, flipsRows, flipsColumns) = (code & 1 != 0, code & 2 != 0, code & 4 != 0)
    }

    /// The source pixel `(u, v)` of output pixel `(i, j)` of an `n × n` square (of any
    /// rectangle for the identity and for flips alone).
    @inline(__always) func source(_ i: Int, _ j: Int, rows: Int, columns: Int) -> (u: Int, v: Int) {
        let (u, v) = transposes ? (j, i) : (i, j)
        return (flipsRows ? rows - 1 - u : u, flipsColumns ? columns - 1 - v : v)
    }

    public var description: String {
        self == .identity ? "identity" : [transposes ? "transpose" : nil, flipsRows ? "flip rows" : nil,
                                          flipsColumns ? "flip columns" : nil].compactMap { $0 }.joined(separator: ", ")
    }
}

/// Where a sample's clean image comes from: the `size` window at `(top, left)` of dataset image
/// `image`, transformed by `transform` (`size.height == size.width` unless it is the identity).
public struct SampleWindow: Hashable, Sendable {
    public var image: Int
    public var top, left: Int
    public var size: ImageSize
    public var transform: DihedralTransform

    public init(image: Int, top: Int, left: Int, size: ImageSize, transform: DihedralTransform = .identity) {
        precondition(transform == .identity || size.height == size.width, "SampleWindow: only square windows turn")
        (self.image, self.top, self.left, self.size, self.transform) = (image, top, left, size, transform)
    }

    /// Rows `rows` of the sample (after the transform), read periodically (row `y` is row
    /// `y mod height`, as `ImageRegion` reads a halo), all its columns: `[1, C, rows.count,
    /// width]` in [−1, 1]. Each run of consecutive rows reads only the dataset window that the
    /// transform maps it from.
    public func read(rows: Range<Int>, from dataset: ImageDataset) throws -> Tensor {
        let height = size.height
        var pieces: [Tensor] = []
        var y = rows.lowerBound
        while y < rows.upperBound {
            let first = ((y % height) + height) % height
            let run = first..<min(height, first + (rows.upperBound - y))
            pieces.append(try read(run: run, from: dataset))
            y += run.count
        }
        return Tensor.concatenatingRows(pieces)
    }

    /// Rows `run` (inside `0..<height`) of the sample.
    private func read(run: Range<Int>, from dataset: ImageDataset) throws -> Tensor {
        let (height, width) = (size.height, size.width)
        // The window pixels the run comes from: rows of the window, or columns when transposed.
        let corners = [transform.source(run.lowerBound, 0, rows: height, columns: width),
                       transform.source(run.upperBound - 1, width - 1, rows: height, columns: width)]
        let (u0, u1) = (corners.map(\.u).min()!, corners.map(\.u).max()!)
        let (v0, v1) = (corners.map(\.v).min()!, corners.map(\.v).max()!)
        let window = try dataset.region(image, rows: (top + u0)..<(top + u1 + 1), columns: (left + v0)..<(left + v1 + 1))
        if transform == .identity { return window }
        let (channels, windowWidth) = (dataset.channels, v1 - v0 + 1)
        var out = Tensor(shape: [1, channels, run.count, width])
        window.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBufferPointer { target in
                let windowPlane = (u1 - u0 + 1) * windowWidth
                var k = 0
                for c in 0..<channels {
                    for i in run {
                        for j in 0..<width {
                            let (u, v) = transform.source(i, j, rows: height, columns: width)
                            target[k] = source[c * windowPlane + (u - u0) * windowWidth + (v - v0)]
                            k += 1
                        }
                    }
                }
            }
        }
        return out
    }
}
