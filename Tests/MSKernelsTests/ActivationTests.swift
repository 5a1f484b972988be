import Foundation
import MSKernels
import MSTensor
import XCTest

/// `Activation` against `ActivationReference`, and the reference against central differences.
final class ActivationTests: XCTestCase {
    static let activations: [Activation] = [.relu, .silu, .leakyReLU(slope: 0.2)]

    func testForwardAndBackwardMatchReference() {
        // Odd element counts exercise the vector tail; the wide range exercises exp's clamping.
        for (index, shape) in [[1, 3, 5, 7], [3, 2, 4, 9], [3, 1, 1, 1], [2, 17]].enumerated() {
            let count = shape.reduce(1, *)
            let x = KernelCheck.values(count, seed: UInt64(index), scale: index == 1 ? 120 : 6)
            let dy = KernelCheck.values(count, seed: UInt64(index) + 100)
            for activation in Self.activations {
                let what = "\(activation) \(shape)"
                let y = activation.forward(KernelCheck.tensor(x, shape: shape))
                KernelCheck.assertClose(y, ActivationReference.forward(x, activation: activation), shape: shape, "forward \(what)")
                let dx = activation.backward(outputGradient: KernelCheck.tensor(dy, shape: shape),
                                             input: KernelCheck.tensor(x, shape: shape))
                KernelCheck.assertClose(dx, ActivationReference.backward(outputGradient: dy, input: x, activation: activation),
                                        shape: shape, "backward \(what)")
            }
        }
    }

    /// SiLU and its derivative (and so the vectorised exp) elementwise to near Float precision on
    /// a dense sweep of [−100, 100], far into both tails; below 1e-30 only the absolute error counts.
    func testSiLUIsAccurateElementwise() {
        let x = (0...20_000).map { Double(Float(-100 + 0.01 * Double($0))) }
        let y = Activation.silu.forward(KernelCheck.tensor(x, shape: [x.count]))
        let dy = Activation.silu.backward(outputGradient: Tensor(shape: [x.count], repeating: 1),
                                          input: KernelCheck.tensor(x, shape: [x.count]))
        let exact = ActivationReference.forward(x, activation: .silu)
        let exactDerivative = ActivationReference.backward(outputGradient: x.map { _ in 1 }, input: x, activation: .silu)
        for i in x.indices {
            XCTAssertEqual(Double(y.scalars[i]), exact[i], accuracy: 1e-6 * abs(exact[i]) + 1e-30, "silu(\(x[i]))")
            // silu' = σ + x σ (1 − σ) crosses zero, so its error is relative to the terms' size.
            let sigma = 1 / (1 + Foundation.exp(-x[i])), terms = sigma + abs(x[i]) * sigma * (1 - sigma)
            XCTAssertEqual(Double(dy.scalars[i]), exactDerivative[i], accuracy: 1e-6 * terms + 1e-30, "silu'(\(x[i]))")
        }
    }

    func testReferenceGradients() {
        // Values away from 0, where ReLU's derivative jumps.
        let x = KernelCheck.values(24, seed: 5, scale: 3).map { abs($0) < 1e-3 ? 0.5 : $0 }
        let dy = KernelCheck.values(24, seed: 6)
        for activation in Self.activations {
            KernelCheck.assertGradient(of: { ActivationReference.forward($0, activation: activation) }, at: x,
                                       outputGradient: dy,
                                       analytic: ActivationReference.backward(outputGradient: dy, input: x, activation: activation),
                                       "\(activation)")
        }
    }
}
