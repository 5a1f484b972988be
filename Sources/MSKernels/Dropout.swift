import MSTensor

/// Inverted dropout whose mask is a function of `(seed, sample id, tag)` alone.
///
/// For batch element `b` (axis 0 of a tensor of any rank), the generator
/// `CounterRandom(seed: seed, indices: sampleIDs[b], tag)` draws one `uniform()` per element of
/// that sample in row-major order; the element is kept when the draw `u` satisfies `u ≥ p`
/// (probability `1 − p`), and then scaled by `1/(1 − p)`:
///
///     mask = u ≥ p ? 1/(1 − p) : 0,   y = mask · x,   dL/dx = mask · dL/dy
///
/// So a sample is dropped out identically wherever it sits in a batch and however the batch is
/// split between processes; `tag` tells apart the dropout layers (and steps) of one model.
/// The draw of an element is addressed by its index in the whole sample, so a strip of rows
/// (`StripRows`) gets exactly the mask the same rows have in the whole image.
/// The fast path reads the generator's Philox blocks directly (`block(at:)`, four 32-bit
/// draws each), which is the same sequence `uniform()` returns.
///
/// Legend: `b` batch element, `per` elements per sample, `j` Philox block, `k` lane in it.
public enum Dropout {
    /// Inverted dropout: keeps each element with probability 1−p and scales kept ones by 1/(1−p).
    /// The mask of batch element b is drawn from CounterRandom(seed: seed, indices: sampleIDs[b], tag),
    /// so it depends only on (seed, sample id, tag), never on the batch position or the number of
    /// processes. Returns output and the mask (scale or 0 per element).
    ///
    /// - Parameters:
    ///   - x: any shape `[N, …]`; `sampleIDs` has `N` entries.
    ///   - probability: `p`, in `[0, 1)`.
    /// - Returns: `y` and `mask`, both of `x`'s shape (new tensors).
    public static func forward(_ x: Tensor, probability p: Float, seed: UInt64, sampleIDs: [UInt64],
                               tag: UInt64, strip: StripRows? = nil) -> (output: Tensor, mask: Tensor)
    {
        precondition(p >= 0 && p < 1, "Dropout.forward: probability \(p) is not in [0, 1)")
        precondition(x.rank >= 1 && sampleIDs.count == x.shape[0],
                     "Dropout.forward: \(sampleIDs.count) sample ids for shape \(x.shape)")
        let scale = 1 / (1 - p), per = x.shape.dropFirst().reduce(1, *)
        /// Writes the mask of the `count` elements whose draws are words `first ..< first + count`.
        func fill(_ mask: UnsafeMutablePointer<Float>, _ random: CounterRandom, first: Int, count: Int) {
            var word = first
            while word < first + count {
                let bits = random.block(at: UInt64(word / 4))
                for k in (word % 4)..<min(4, word % 4 + first + count - word) {
                    // The draw `uniform()` returns: the top 24 bits, scaled by 2⁻²⁴.
                    let u = Float(bits[k] >> 8) * (1 / 16_777_216)
                    mask[word - first] = u >= p ? scale : 0
                    word += 1
                }
            }
        }
        let mask = Vectorised.makeTensor(shape: x.shape) { mask in
            for (b, id) in sampleIDs.enumerated() {
                let random = CounterRandom(seed: seed, indices: id, tag)
                let maskB = mask + b * per
                guard let strip else {
                    fill(maskB, random, first: 0, count: per)
                    continue
                }
                // Element (c, y, x) of the strip is element (c, s + y, x) of the image.
                precondition(x.rank == 4 && x.height == strip.rows.count, "Dropout.forward: strip \(strip.rows) for shape \(x.shape)")
                let plane = x.height * x.width
                for c in 0..<x.channels {
                    fill(maskB + c * plane, random, first: (c * strip.imageHeight + strip.rows.lowerBound) * x.width, count: plane)
                }
            }
        }
        return (backward(outputGradient: x, mask: mask), mask)
    }

    /// Rows `rows` of images `imageHeight` rows high: the part of `[N, C, H, W]` a strip holds.
    public struct StripRows: Sendable {
        public var rows: Range<Int>
        public var imageHeight: Int

        public init(rows: Range<Int>, imageHeight: Int) {
            self.rows = rows
            self.imageHeight = imageHeight
        }
    }

    /// `dL/dx = mask · dL/dy` elementwise (a new tensor); `outputGradient` has the mask's shape.
    public static func backward(outputGradient: Tensor, mask: Tensor) -> Tensor {
        Vectorised.map(outputGradient, mask, operation: "Dropout: tensor vs mask") { g, m in g * m }
    }
}
