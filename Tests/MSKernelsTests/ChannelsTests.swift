import MSKernels
import MSTensor
import XCTest

/// `Channels` against `ChannelsReference`, and each backward as the adjoint of its forward.
final class ChannelsTests: XCTestCase {
    static let shapes: [(n: Int, ca: Int, cb: Int, h: Int, w: Int)] = [(1, 3, 2, 5, 7), (3, 1, 4, 3, 3), (3, 2, 2, 1, 9)]

    func testConcatenateAndSplitMatchReference() {
        for (index, s) in Self.shapes.enumerated() {
            let shapeA = [s.n, s.ca, s.h, s.w], shapeB = [s.n, s.cb, s.h, s.w], shapeY = [s.n, s.ca + s.cb, s.h, s.w]
            let a = KernelCheck.values(shapeA.reduce(1, *), seed: UInt64(index))
            let b = KernelCheck.values(shapeB.reduce(1, *), seed: UInt64(index) + 50)
            let y = Channels.concatenate(KernelCheck.tensor(a, shape: shapeA), KernelCheck.tensor(b, shape: shapeB))
            let expected = ChannelsReference.concatenate(a, shapeA: shapeA, b, shapeB: shapeB)
            XCTAssertEqual(y, KernelCheck.tensor(expected, shape: shapeY), "concatenate \(shapeY)")

            let (first, second) = Channels.split(y, firstChannels: s.ca)
            XCTAssertEqual(first, KernelCheck.tensor(a, shape: shapeA))
            XCTAssertEqual(second, KernelCheck.tensor(b, shape: shapeB))
            let reference = ChannelsReference.split(expected, shape: shapeY, firstChannels: s.ca)
            XCTAssertEqual(reference.0, a)
            XCTAssertEqual(reference.1, b)
        }
    }

    func testAddPerChannelAndSumOverPixelsMatchReference() {
        // The last shape has planes longer than one summation block.
        for (index, shape) in [[1, 3, 5, 7], [3, 4, 2, 3], [3, 2, 1, 1], [1, 2, 37, 41]].enumerated() {
            let count = shape.reduce(1, *), vShape = [shape[0], shape[1]]
            let x = KernelCheck.values(count, seed: UInt64(index)), v = KernelCheck.values(shape[0] * shape[1], seed: 9)
            let y = Channels.addPerChannel(KernelCheck.tensor(x, shape: shape), KernelCheck.tensor(v, shape: vShape))
            KernelCheck.assertClose(y, ChannelsReference.addPerChannel(x, shape: shape, v), shape: shape, "addPerChannel \(shape)")
            let sums = Channels.sumOverPixels(KernelCheck.tensor(x, shape: shape))
            KernelCheck.assertClose(sums, ChannelsReference.sumOverPixels(x, shape: shape), shape: vShape, "sumOverPixels \(shape)")
        }
    }

    /// The reference backward of each forward, against central differences.
    func testReferenceGradients() {
        let shapeA = [2, 2, 2, 3], shapeB = [2, 1, 2, 3], shapeY = [2, 3, 2, 3]
        let a = KernelCheck.values(24, seed: 1), b = KernelCheck.values(12, seed: 2), dy = KernelCheck.values(36, seed: 3)
        let (da, db) = ChannelsReference.split(dy, shape: shapeY, firstChannels: 2)
        KernelCheck.assertGradient(of: { ChannelsReference.concatenate($0, shapeA: shapeA, b, shapeB: shapeB) },
                                   at: a, outputGradient: dy, analytic: da, "concatenate, first operand")
        KernelCheck.assertGradient(of: { ChannelsReference.concatenate(a, shapeA: shapeA, $0, shapeB: shapeB) },
                                   at: b, outputGradient: dy, analytic: db, "concatenate, second operand")

        let v = KernelCheck.values(6, seed: 4), x = KernelCheck.values(36, seed: 5)
        KernelCheck.assertGradient(of: { ChannelsReference.addPerChannel(x, shape: shapeY, $0) }, at: v, outputGradient: dy,
                                   analytic: ChannelsReference.sumOverPixels(dy, shape: shapeY), "addPerChannel, vector")
        KernelCheck.assertGradient(of: { ChannelsReference.addPerChannel($0, shape: shapeY, v) }, at: x, outputGradient: dy,
                                   analytic: dy, "addPerChannel, tensor")
    }
}
