import MSKernels
import MSTensor
import XCTest

/// `Resample` against `ResampleReference`, the reference backwards against central
/// differences, adjointness, and PyTorch's bilinear values.
final class ResampleTests: XCTestCase {
    typealias Map = (forward: @Sendable (Tensor) -> Tensor, backward: @Sendable (Tensor) -> Tensor,
                     referenceForward: @Sendable ([Double], [Int]) -> [Double],
                     referenceBackward: @Sendable ([Double], [Int]) -> [Double], upsamples: Bool)

    static let maps: [(name: String, map: Map)] = [
        ("nearest", (Resample.upsampleNearest, Resample.upsampleNearestBackward,
                    ResampleReference.upsampleNearest, ResampleReference.upsampleNearestBackward, true)),
        ("bilinear", (Resample.upsampleBilinear, Resample.upsampleBilinearBackward,
                     ResampleReference.upsampleBilinear, ResampleReference.upsampleBilinearBackward, true)),
        ("inject", (Resample.restrictInject, Resample.restrictInjectBackward,
                   ResampleReference.restrictInject, ResampleReference.restrictInjectBackward, false)),
        ("average", (Resample.restrictAverage, Resample.restrictAverageBackward,
                    ResampleReference.restrictAverage, ResampleReference.restrictAverageBackward, false)),
    ]

    /// The output shape of a map applied to `shape`.
    static func outputShape(_ shape: [Int], upsamples: Bool) -> [Int] {
        upsamples ? [shape[0], shape[1], 2 * shape[2], 2 * shape[3]] : [shape[0], shape[1], shape[2] / 2, shape[3] / 2]
    }

    func testMatchesReference() {
        for (name, map) in Self.maps {
            // Upsampling takes odd sizes (and 1×1); restriction needs even ones.
            let shapes = map.upsamples ? [[1, 2, 5, 7], [3, 1, 1, 1], [3, 2, 4, 3], [1, 1, 2, 9]]
                                       : [[1, 2, 6, 8], [3, 1, 2, 2], [3, 2, 4, 10], [1, 1, 12, 2]]
            for (index, shape) in shapes.enumerated() {
                let outShape = Self.outputShape(shape, upsamples: map.upsamples)
                let x = KernelCheck.values(shape.reduce(1, *), seed: UInt64(index))
                let g = KernelCheck.values(outShape.reduce(1, *), seed: UInt64(index) + 10)
                KernelCheck.assertClose(map.forward(KernelCheck.tensor(x, shape: shape)), map.referenceForward(x, shape),
                                        shape: outShape, "\(name) forward \(shape)")
                KernelCheck.assertClose(map.backward(KernelCheck.tensor(g, shape: outShape)), map.referenceBackward(g, outShape),
                                        shape: shape, "\(name) backward \(shape)")
            }
        }
    }

    func testReferenceGradients() {
        for (name, map) in Self.maps {
            let shape = map.upsamples ? [2, 1, 3, 2] : [2, 1, 4, 6]
            let outShape = Self.outputShape(shape, upsamples: map.upsamples)
            let x = KernelCheck.values(shape.reduce(1, *), seed: 1), g = KernelCheck.values(outShape.reduce(1, *), seed: 2)
            KernelCheck.assertGradient(of: { map.referenceForward($0, shape) }, at: x, outputGradient: g,
                                       analytic: map.referenceBackward(g, outShape), name)
        }
    }

    /// ⟨M x, y⟩ = ⟨x, Mᵀ y⟩ for the fast kernels (the restrictions, as required, and the upsamplings).
    func testBackwardIsAdjoint() {
        for (name, map) in Self.maps {
            let shape = [3, 2, 6, 10], outShape = Self.outputShape(shape, upsamples: map.upsamples)
            let x = KernelCheck.tensor(KernelCheck.values(shape.reduce(1, *), seed: 3), shape: shape)
            let y = KernelCheck.tensor(KernelCheck.values(outShape.reduce(1, *), seed: 4), shape: outShape)
            let lhs = KernelCheck.dot(KernelCheck.doubles(map.forward(x)), KernelCheck.doubles(y))
            let rhs = KernelCheck.dot(KernelCheck.doubles(x), KernelCheck.doubles(map.backward(y)))
            XCTAssertEqual(lhs, rhs, accuracy: 1e-5 * max(abs(lhs), 1), name)
        }
    }

    func testBilinearKeepsConstantsConstant() {
        for shape in [[1, 1, 1, 1], [3, 2, 5, 4]] {
            let y = Resample.upsampleBilinear(Tensor(shape: shape, repeating: 0.7))
            XCTAssertTrue(y.scalars.allSatisfy { abs($0 - 0.7) < 1e-6 }, "\(shape)")
        }
    }

    /// `F.interpolate(torch.tensor([[[[1., 2.], [3., 4.]]]]), scale_factor=2, mode="bilinear", align_corners=False)`.
    func testBilinearMatchesPyTorchValues() {
        let y = Resample.upsampleBilinear(Tensor(shape: [1, 1, 2, 2], scalars: [1, 2, 3, 4]))
        XCTAssertEqual(y.shape, [1, 1, 4, 4])
        XCTAssertEqual(y.scalars, [1.00, 1.25, 1.75, 2.00,
                                   1.50, 1.75, 2.25, 2.50,
                                   2.50, 2.75, 3.25, 3.50,
                                   3.00, 3.25, 3.75, 4.00])
    }

    func testRestrictionsOfAKnownImage() {
        let x = Tensor(shape: [1, 1, 2, 4], scalars: [1, 2, 3, 4, 5, 6, 7, 8])
        XCTAssertEqual(Resample.restrictInject(x).scalars, [1, 3])
        XCTAssertEqual(Resample.restrictAverage(x).scalars, [3.5, 5.5])
        XCTAssertEqual(Resample.upsampleNearest(Tensor(shape: [1, 1, 1, 2], scalars: [1, 2])).scalars, [1, 1, 2, 2, 1, 1, 2, 2])
    }
}
