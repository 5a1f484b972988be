import MSKernels
import MSTensor
import MSTestSupport
import XCTest

/// `MSELoss` against `MSELossReference`, and the reference against central differences.
final class MSELossTests: XCTestCase {
    func testMatchesReference() {
        for (index, shape) in [[1, 3, 5, 7], [3, 1, 1, 1], [3, 3, 33, 31]].enumerated() {
            let count = shape.reduce(1, *)
            let p = KernelCheck.values(count, seed: UInt64(index)), t = KernelCheck.values(count, seed: UInt64(index) + 9)
            let (pT, tT) = (KernelCheck.tensor(p, shape: shape), KernelCheck.tensor(t, shape: shape))
            let loss = MSELoss.forward(prediction: pT, target: tT)
            let expected = MSELossReference.forward(prediction: p, target: t)
            XCTAssertEqual(loss, expected, accuracy: 1e-6 * expected, "forward \(shape)")
            for scale in [1.0, -0.25] {
                KernelCheck.assertClose(MSELoss.backward(prediction: pT, target: tT, scale: Float(scale)),
                                        MSELossReference.backward(prediction: p, target: t, scale: scale),
                                        shape: shape, "backward \(shape) scale \(scale)")
            }
        }
    }

    func testReferenceGradient() {
        let p = KernelCheck.values(15, seed: 1), t = KernelCheck.values(15, seed: 2)
        let numeric = numericalGradient(of: { MSELossReference.forward(prediction: $0, target: t) }, at: p)
        XCTAssertLessThan(relativeError(MSELossReference.backward(prediction: p, target: t), numeric), 1e-6)
    }
}
