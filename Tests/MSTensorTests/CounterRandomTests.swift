import XCTest
import MSTensor

final class CounterRandomTests: XCTestCase {
    /// Known-answer vectors of Random123's kat_vectors for philox4x32_10.
    func testPhiloxKnownAnswers() {
        XCTAssertEqual(CounterRandom.philox(counter: .zero, key: .zero),
                       SIMD4(0x6627_e8d5, 0xe169_c58d, 0xbc57_ac4c, 0x9b00_dbd8))
        XCTAssertEqual(CounterRandom.philox(counter: SIMD4(repeating: 0xffff_ffff), key: SIMD2(repeating: 0xffff_ffff)),
                       SIMD4(0x408f_276d, 0x41c8_3b0e, 0xa20b_c7c6, 0x6d54_51fd))
        XCTAssertEqual(CounterRandom.philox(counter: SIMD4(0x243f_6a88, 0x85a3_08d3, 0x1319_8a2e, 0x0370_7344),
                                            key: SIMD2(0xa409_3822, 0x299f_31d0)),
                       SIMD4(0xd16c_fe09, 0x94fd_cceb, 0x5001_e420, 0x2412_6ea1))
    }

    func testDrawsDependOnlyOnSeedStreamAndPosition() {
        var a = CounterRandom(seed: 7, indices: 3, 1, 42)
        let first = (0..<10).map { _ in a.next32() }
        var b = CounterRandom(seed: 7, indices: 3, 1, 42)
        XCTAssertEqual(first, (0..<10).map { _ in b.next32() })
        var c = CounterRandom(seed: 7, indices: 1, 3, 42)
        XCTAssertNotEqual(first, (0..<10).map { _ in c.next32() })
        var d = CounterRandom(seed: 8, indices: 3, 1, 42)
        XCTAssertNotEqual(first, (0..<10).map { _ in d.next32() })
        // Jumping to a block reproduces the sequential draws.
        let jumped = CounterRandom(seed: 7, indices: 3, 1, 42).block(at: 2)
        XCTAssertEqual(Array(first[8..<10]), [jumped.x, jumped.y])
    }

    func testNormalMoments() {
        var g = CounterRandom(seed: 1, stream: 0)
        let n = 200_000
        var s = 0.0, s2 = 0.0
        for _ in 0..<n { let v = Double(g.normal()); s += v; s2 += v * v }
        let mean = s / Double(n), variance = s2 / Double(n) - mean * mean
        // Standard errors: 1/sqrt(n) ≈ 0.0022 for the mean, sqrt(2/n) ≈ 0.0032 for the variance.
        XCTAssertEqual(mean, 0, accuracy: 0.011)
        XCTAssertEqual(variance, 1, accuracy: 0.016)
    }

    func testFillNormalMomentsAndDeterminism() {
        var g = CounterRandom(seed: 3, stream: 1)
        var values = [Float](repeating: 0, count: 200_001)
        values.withUnsafeMutableBufferPointer { g.fillNormal($0, scale: 2) }
        let n = Double(values.count)
        let mean = values.reduce(0.0) { $0 + Double($1) } / n
        let variance = values.reduce(0.0) { $0 + Double($1) * Double($1) } / n - mean * mean
        let fourth = values.reduce(0.0) { $0 + pow(Double($1) / 2, 4) } / n
        XCTAssertEqual(mean, 0, accuracy: 0.03)          // 5 standard errors of 2/sqrt(n)
        XCTAssertEqual(variance, 4, accuracy: 0.07)      // 5 standard errors of 4·sqrt(2/n)
        XCTAssertEqual(fourth, 3, accuracy: 0.1)         // kurtosis of a normal
        var again = CounterRandom(seed: 3, stream: 1)
        var copy = [Float](repeating: 0, count: values.count)
        copy.withUnsafeMutableBufferPointer { again.fillNormal($0, scale: 2) }
        XCTAssertEqual(copy, values)
    }

    func testUniformRange() {
        var g = CounterRandom(seed: 2, stream: 5)
        var lo: Float = 1, hi: Float = 0
        for _ in 0..<100_000 { let u = g.uniform(); lo = min(lo, u); hi = max(hi, u) }
        XCTAssertGreaterThanOrEqual(lo, 0); XCTAssertLessThan(hi, 1)
        XCTAssertLessThan(lo, 0.001); XCTAssertGreaterThan(hi, 0.999)
    }
}
