import Dispatch
import Foundation
import MSKernels
import MSTestSupport
import XCTest

/// `FFTPlan` (FFTW) against a direct Float64 DFT, the round trip, the padded lengths, and plans
/// made from several threads at once.
final class FFTTests: XCTestCase {
    /// The direct O(M²) DFT in Float64: `X[k] = Σ_j x[j] · e^{−2πi·jk/M}`, real and imaginary
    /// parts interleaved.
    static func directTransform(real re: [Double], imaginary im: [Double]) -> [Double] {
        let length = re.count
        var spectrum: [Double] = []
        for k in 0..<length {
            var (sr, si) = (0.0, 0.0)
            for j in 0..<length {
                let angle = -2 * Double.pi * Double(j * k % length) / Double(length)
                sr += re[j] * cos(angle) - im[j] * sin(angle)
                si += re[j] * sin(angle) + im[j] * cos(angle)
            }
            spectrum += [sr, si]
        }
        return spectrum
    }

    /// Powers of two, the lengths `3·2^a` that `FFTPlan.length(atLeast:)` also pads to (among
    /// them the UNet's MFC lengths 48, 96, 192, 384), other products of 2, 3, 5, 7, and a prime.
    func testForwardMatchesDirectTransformAndInverseRestores() {
        for length in [1, 2, 4, 8, 16, 64, 512, 3, 6, 12, 48, 96, 192, 384, 5, 7, 45, 180, 97] {
            let re = KernelCheck.values(length, seed: UInt64(length)), im = KernelCheck.values(length, seed: UInt64(length) + 1)
            let plan = FFTPlan(length: length)
            let buffer = plan.allocate(buffers: 1)
            defer { buffer.deallocate() }
            for j in 0..<length { (buffer[2 * j], buffer[2 * j + 1]) = (Float(re[j]), Float(im[j])) }
            plan.forward(buffer)
            let found = (0..<2 * length).map { Double(buffer[$0]) }
            XCTAssertLessThan(relativeError(found, Self.directTransform(real: re, imaginary: im)), 1e-5, "forward, length \(length)")
            plan.inverse(buffer)
            let restored = (0..<2 * length).map { Double(buffer[$0]) }
            XCTAssertLessThan(relativeError(restored, zip(re, im).flatMap { [$0, $1] }), 1e-5, "round trip, length \(length)")
        }
    }

    func testLengthRoundsUpToPowerOfTwoOrThreeTimesOne() {
        XCTAssertEqual(FFTPlan.length(atLeast: 1), 1)
        XCTAssertEqual(FFTPlan.length(atLeast: 3), 3)
        XCTAssertEqual(FFTPlan.length(atLeast: 11), 12)
        XCTAssertEqual(FFTPlan.length(atLeast: 44), 48)
        XCTAssertEqual(FFTPlan.length(atLeast: 65), 96)
        XCTAssertEqual(FFTPlan.length(atLeast: 97), 128)
        XCTAssertEqual(FFTPlan.length(atLeast: 128), 128)
        XCTAssertEqual(FFTPlan.length(atLeast: 352), 384)
    }

    /// Plans for the same lengths requested from many threads at once (FFTW's planner is not
    /// thread-safe) transform bitwise like a plan made alone.
    func testPlansMadeConcurrentlyAgreeBitwise() {
        let lengths = [30, 36, 42, 48, 54, 60, 66, 72]
        @Sendable func transform(_ length: Int) -> [Float] {
            let plan = FFTPlan(length: length)
            let buffer = plan.allocate(buffers: 1)
            defer { buffer.deallocate() }
            let values = KernelCheck.values(2 * length, seed: 3)
            for j in 0..<2 * length { buffer[j] = Float(values[j]) }
            plan.forward(buffer)
            return (0..<2 * length).map { buffer[$0] }
        }
        // Each iteration writes its own element, so sharing the buffer is safe.
        nonisolated(unsafe) let results = UnsafeMutableBufferPointer<[Float]>.allocate(capacity: 4 * lengths.count)
        results.initialize(repeating: [])
        defer { results.deallocate() }
        DispatchQueue.concurrentPerform(iterations: results.count) { results[$0] = transform(lengths[$0 % lengths.count]) }
        for (i, result) in results.enumerated() {
            let length = lengths[i % lengths.count]
            XCTAssertEqual(result.map(\.bitPattern), transform(length).map(\.bitPattern), "length \(length), thread \(i)")
        }
    }
}
