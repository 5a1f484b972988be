import MSTensor

/// The standard-normal noise `z` of one sample, `[C, H, W]` over the whole image, addressable
/// by pixel: any region is computed on its own and gets bitwise the values a fill of the
/// whole image gives.
///
/// Layout: the values are the sequence `CounterRandom.fillNormal` writes when it starts at
/// word `firstWord` of stream `stream` under `seed`, over the flattened `[C, H, W]` image.
/// Element `f = (c·H + y)·W + x` belongs to Box–Muller pair `⌊f/2⌋`, read from words
/// `firstWord + 2⌊f/2⌋` and `firstWord + 2⌊f/2⌋ + 1`: the cosine output for even `f`, the sine
/// output for odd `f` (`CounterRandom.normals(into:first:wordOffset:scale:)`).
public struct NoiseField: Hashable, Sendable {
    public let seed: UInt64
    public let stream: UInt64
    /// The stream word at which element 0's pair starts.
    public let firstWord: UInt64
    public let channels: Int
    public let height: Int
    public let width: Int

    public init(seed: UInt64, stream: UInt64, firstWord: UInt64, channels: Int, height: Int, width: Int) {
        self.seed = seed
        self.stream = stream
        self.firstWord = firstWord
        self.channels = channels
        self.height = height
        self.width = width
    }

    /// `z[channel, row, column]`.
    public func value(channel: Int, row: Int, column: Int) -> Float {
        var z: Float = 0
        withUnsafeMutablePointer(to: &z) { fill(from: (channel * height + row) * width + column,
                                                 into: UnsafeMutableBufferPointer(start: $0, count: 1)) }
        return z
    }

    /// `z` over `region` (inside the image): `[1, C, region.height, region.width]`.
    public func values(in region: ImageRegion) -> Tensor {
        precondition(region.isInside(height: height, width: width),
                     "NoiseField: region \(region) outside the \(height)×\(width) image")
        var out = Tensor(shape: [1, channels, region.height, region.width])
        out.withUnsafeMutableBufferPointer { buffer in
            // Full-width regions are one contiguous run per channel; others one run per row.
            let fullWidth = region.width == width
            let runLength = fullWidth ? region.height * width : region.width
            let runsPerChannel = fullWidth ? 1 : region.height
            for c in 0..<channels {
                for run in 0..<runsPerChannel {
                    let first = (c * height + region.rows.lowerBound + run) * width + region.columns.lowerBound
                    let offset = (c * runsPerChannel + run) * runLength
                    fill(from: first, into: UnsafeMutableBufferPointer(rebasing: buffer[offset..<(offset + runLength)]))
                }
            }
        }
        return out
    }

    /// Elements `first ..< first + buffer.count` of the flattened field.
    private func fill(from first: Int, into buffer: UnsafeMutableBufferPointer<Float>) {
        CounterRandom(seed: seed, stream: stream).normals(into: buffer, first: first, wordOffset: firstWord)
    }
}
