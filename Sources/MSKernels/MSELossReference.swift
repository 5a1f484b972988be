/// Slow Float64 oracle for `MSELoss`.
public enum MSELossReference {
    /// `Σ (p_i − t_i)² / count`.
    public static func forward(prediction: [Double], target: [Double]) -> Double {
        precondition(prediction.count == target.count && !prediction.isEmpty,
                     "MSELossReference: \(prediction.count) predictions for \(target.count) targets")
        return zip(prediction, target).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } / Double(prediction.count)
    }

    /// `scale · 2 (p_i − t_i) / count` (a fresh array).
    public static func backward(prediction: [Double], target: [Double], scale: Double = 1) -> [Double] {
        precondition(prediction.count == target.count && !prediction.isEmpty,
                     "MSELossReference: \(prediction.count) predictions for \(target.count) targets")
        return zip(prediction, target).map { scale * 2 * ($0 - $1) / Double(prediction.count) }
    }
}
