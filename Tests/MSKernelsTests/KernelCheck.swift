import MSTensor
import MSTestSupport
import XCTest

/// Helpers shared by the tests of the normalisation, activation, resampling, attention and loss
/// kernels: seeded inputs, conversions between `Tensor` and `[Double]`, and the two standard
/// assertions (fast kernel against its reference, reference backward against central differences).
enum KernelCheck {
    /// `count` seeded values, `offset + scale · u` with `u` in [−1, 1), rounded to Float so that
    /// the Float32 kernel and the Float64 reference see the same numbers.
    static func values(_ count: Int, seed: UInt64, scale: Double = 1, offset: Double = 0) -> [Double] {
        testValues(count, seed: seed).map { Double(Float(offset + scale * $0)) }
    }

    static func tensor(_ values: [Double], shape: [Int]) -> Tensor {
        Tensor(shape: shape, scalars: values.map(Float.init))
    }

    static func doubles(_ tensor: Tensor) -> [Double] { tensor.scalars.map(Double.init) }

    static func dot(_ a: [Double], _ b: [Double]) -> Double {
        precondition(a.count == b.count, "dot: \(a.count) vs \(b.count) elements")
        return zip(a, b).reduce(0) { $0 + $1.0 * $1.1 }
    }

    /// Fails unless `fast` matches `reference` within `tolerance`, relative to the reference's
    /// largest magnitude.
    static func assertClose(_ fast: [Float], _ reference: [Double], tolerance: Double = 1e-5, _ what: String,
                            file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(fast.count, reference.count, "\(what): element count", file: file, line: line)
        guard fast.count == reference.count else { return }
        let error = relativeError(fast.map(Double.init), reference)
        XCTAssertLessThan(error, tolerance, "\(what): relative error", file: file, line: line)
    }

    /// `assertClose` for a tensor, which must also have `shape`.
    static func assertClose(_ fast: Tensor, _ reference: [Double], shape: [Int], tolerance: Double = 1e-5, _ what: String,
                            file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(fast.shape, shape, "\(what): shape", file: file, line: line)
        assertClose(fast.scalars, reference, tolerance: tolerance, what, file: file, line: line)
    }

    /// Checks `analytic = ∂/∂x ⟨g, f(x)⟩` against central differences in Float64.
    static func assertGradient(of f: ([Double]) -> [Double], at x: [Double], outputGradient g: [Double],
                               analytic: [Double], tolerance: Double = 1e-6, _ what: String,
                               file: StaticString = #filePath, line: UInt = #line) {
        let numeric = numericalGradient(of: { dot(g, f($0)) }, at: x)
        XCTAssertLessThan(relativeError(analytic, numeric), tolerance, "\(what): gradient vs central differences",
                          file: file, line: line)
    }
}
