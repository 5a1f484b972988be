import XCTest
import MSDistributed
import MSKernels
import MSSpatial
import MSTensor

final class RowPartitionTests: XCTestCase {
    func testBalancedStripsStartOnTheAlignment() {
        let partition = RowPartition(height: 37, parts: 4, alignment: 4)
        XCTAssertEqual(partition.bounds, [0, 12, 20, 28, 37])
        XCTAssertEqual(RowPartition(height: 64, parts: 3).bounds, [0, 22, 43, 64])
        XCTAssertEqual(RowPartition(height: 5, parts: 1).rows(of: 0), 0..<5)
    }

    /// Output row o belongs to the strip owning input row stride·o.
    func testOutputPartitionFollowsTheInputRows() {
        let partition = RowPartition(height: 37, parts: 3, alignment: 2)
        let geometry = Conv2dGeometry(inputShape: [1, 1, 37, 4], outputChannels: 1, kernelSize: 3, stride: 2, padding: 1)
        let output = partition.outputPartition(stride: 2, outputHeight: geometry.outputHeight)
        XCTAssertEqual(output.height, 19)
        for o in 0..<19 {
            let owner = (0..<3).first { output.rows(of: $0).contains(o) }!
            XCTAssertTrue(partition.rows(of: owner).contains(min(2 * o, 36)), "output row \(o)")
        }
    }

    /// On one strip the halo is all image border: the window is the strip between zero rows,
    /// and a strip convolution is the whole convolution.
    func testOneStripIsTheWholeImage() {
        let communicator = SingleProcessCommunicator()
        var random = CounterRandom(seed: 3, stream: 0)
        var image = Tensor(shape: [2, 3, 11, 6])
        image.withUnsafeMutableBufferPointer { random.fillNormal($0) }
        let halo = RowHalo(partition: RowPartition(height: 11, parts: 1), above: [2], below: [1])
        let window = halo.extend(image, group: communicator)
        XCTAssertEqual(window.shape, [2, 3, 14, 6])
        XCTAssertEqual(window[1, 2, 2, 3], image[1, 2, 0, 3])
        XCTAssertEqual(window[1, 2, 0, 3], 0)
        XCTAssertEqual(halo.foldBack(window, group: communicator), image)

        let geometry = Conv2dGeometry(inputShape: image.shape, outputChannels: 4, kernelSize: 3, stride: 2, padding: 1)
        var weights = [Float](repeating: 0, count: geometry.weightCount)
        weights.withUnsafeMutableBufferPointer { random.fillNormal($0) }
        let strip = StripConvolution(geometry: geometry, inputRows: RowPartition(height: 11, parts: 1))
        weights.withUnsafeBufferPointer { w in
            let whole = Conv2d.forward(image, weight: w, bias: nil, geometry: geometry)
            XCTAssertLessThanOrEqual(strip.forward(image, weight: w, bias: nil, group: communicator).output.maxAbsDifference(whole), 1e-5)
        }
    }
}
