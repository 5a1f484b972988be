import MSTensor

/// The area-normalised squared error `ℓ = mean over all elements of (prediction − target)²`,
/// for tensors of any (equal) shape.
public enum MSELoss {
    /// mean over all elements of (prediction − target)², accumulated in Double
    public static func forward(prediction: Tensor, target: Tensor) -> Double {
        checkShapes(prediction, target, operation: "MSELoss.forward")
        return prediction.withUnsafeBufferPointer { pb in
            target.withUnsafeBufferPointer { tb in
                Vectorised.sum(count: pb.count) { i, lanes in
                    let d = Vectorised.load(pb.baseAddress! + i, lanes: lanes)
                        - Vectorised.load(tb.baseAddress! + i, lanes: lanes)
                    return d * d
                }
            }
        } / Double(prediction.count)
    }

    /// scale · 2 (prediction − target) / count  (scale lets a caller weight the term, e.g. ±1/N_l)
    ///
    /// `dℓ/dprediction` times `scale`, as a new tensor.
    public static func backward(prediction: Tensor, target: Tensor, scale: Float = 1) -> Tensor {
        checkShapes(prediction, target, operation: "MSELoss.backward")
        let factor = scale * 2 / Float(prediction.count)
        return Vectorised.map(prediction, target, operation: "MSELoss.backward") { p, t in (p - t) * factor }
    }

    private static func checkShapes(_ prediction: Tensor, _ target: Tensor, operation: String) {
        precondition(prediction.shape == target.shape && prediction.count > 0,
                     "\(operation): prediction \(prediction.shape) and target \(target.shape) must be equal and non-empty")
    }
}
