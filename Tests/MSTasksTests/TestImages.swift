import MSTensor
import MSTestSupport

/// Deterministic test image of the given shape with values in [−1, 1).
func randomImage(_ shape: [Int], seed: UInt64) -> Tensor {
    Tensor(shape: shape, scalars: testValues(shape.reduce(1, *), seed: seed).map(Float.init))
}

/// Elements as bit patterns, for bitwise comparisons.
func bits(_ tensor: Tensor) -> [UInt32] {
    tensor.scalars.map(\.bitPattern)
}
