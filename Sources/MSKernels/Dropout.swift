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
                               tag: UInt64) -> (output: Tensor, mask: Tensor)
    {
        precondition(p >= 0 && p < 1, "Dropout.forward: probability \(p) is not in [0, 1)")
        precondition(x.rank >= 1 && sampleIDs.count == x.shape[0],
                     "Dropout.forward: \(sampleIDs.count) sample ids for shape \(x.shape)")
        let scale = 1 / (1 - p), per = x.shape.dropFirst().reduce(1, *)
        let mask = Vectorised.makeTensor(shape: x.shape) { mask in
            for (b, id) in sampleIDs.enumerated() {
                let random = CounterRandom(seed: seed, indices: id, tag)
                let maskB = mask + b * per
                for j in 0..<((per + 3) / 4) {
                    let bits = random.block(at: UInt64(j))
                    for k in 0..<min(4, per - 4 * j) {
                        // The draw `uniform()` returns: the top 24 bits, scaled by 2⁻²⁴.
                        let u = Float(bits[k] >> 8) * (1 / 16_777_216)
                        maskB[4 * j + k] = u >= p ? scale : 0
                    }
                }
            }
        }
        return (backward(outputGradient: x, mask: mask), mask)
    }

    /// `dL/dx = mask · dL/dy` elementwise (a new tensor); `outputGradient` has the mask's shape.
    public static func backward(outputGradient: Tensor, mask: Tensor) -> Tensor {
        Vectorised.map(outputGradient, mask, operation: "Dropout: tensor vs mask") { g, m in g * m }
    }
}
