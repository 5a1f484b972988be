import Foundation
import MSKernels
import MSTestSupport
import XCTest

/// `FFTPlan` against a direct Float64 DFT, and the round trip.
final class FFTTests: XCTestCase {
    func testForwardMatchesDirectTransformAndInverseRestores() {
        for length in [1, 2, 4, 8, 16, 64, 512] {
            let re = KernelCheck.values(length, seed: UInt64(length)), im = KernelCheck.values(length, seed: UInt64(length) + 1)
            var (xr, xi) = (re.map(Float.init), im.map(Float.init))
            let plan = FFTPlan(length: length)
            plan.forward(real: &xr, imaginary: &xi)
            var expected: [Double] = [], found: [Double] = []
            for k in 0..<length {
                var (sr, si) = (0.0, 0.0)
                for j in 0..<length {
                    let angle = -2 * Double.pi * Double(j * k) / Double(length)
                    sr += re[j] * cos(angle) - im[j] * sin(angle)
                    si += re[j] * sin(angle) + im[j] * cos(angle)
                }
                expected += [sr, si]
                found += [Double(xr[k]), Double(xi[k])]
            }
            XCTAssertLessThan(relativeError(found, expected), 1e-5, "forward, length \(length)")
            plan.inverse(real: &xr, imaginary: &xi)
            XCTAssertLessThan(relativeError(xr.map(Double.init) + xi.map(Double.init), re + im), 1e-5, "round trip, length \(length)")
        }
    }

    func testLengthRoundsUpToPowerOfTwo() {
        XCTAssertEqual(FFTPlan.length(atLeast: 1), 1)
        XCTAssertEqual(FFTPlan.length(atLeast: 65), 128)
        XCTAssertEqual(FFTPlan.length(atLeast: 128), 128)
    }
}
