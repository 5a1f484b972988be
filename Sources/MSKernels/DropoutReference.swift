import MSTensor

/// Slow Float64 oracle for `Dropout`: one `uniform()` call per element, in order.
public enum DropoutReference {
    /// The mask (`1/(1 − p)` or 0 per element) of a tensor of `shape` whose axis 0 is the batch.
    /// `p` is a Float as in `Dropout`, so that both compare the same draws with the same threshold.
    public static func mask(shape: [Int], probability p: Float, seed: UInt64, sampleIDs: [UInt64],
                            tag: UInt64) -> [Double]
    {
        precondition(shape.count >= 1 && sampleIDs.count == shape[0],
                     "DropoutReference.mask: \(sampleIDs.count) sample ids for shape \(shape)")
        let per = shape.dropFirst().reduce(1, *)
        var mask: [Double] = []
        for id in sampleIDs {
            var random = CounterRandom(seed: seed, indices: id, tag)
            for _ in 0..<per { mask.append(random.uniform() >= p ? 1 / (1 - Double(p)) : 0) }
        }
        return mask
    }

    /// `y_i = mask_i · x_i`; also the backward, `dL/dx_i = mask_i · dL/dy_i`.
    public static func apply(_ x: [Double], mask: [Double]) -> [Double] {
        precondition(x.count == mask.count, "DropoutReference.apply: \(x.count) values for a mask of \(mask.count)")
        return zip(x, mask).map { $0 * $1 }
    }
}
