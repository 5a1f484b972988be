import Foundation
import MSTasks
import MSTensor
import XCTest

final class TaskDegradationTests: XCTestCase {
    /// With `t` known, `(input − t·x) / (1 − t)` is the noise: mean ≈ 0, variance ≈ 1.
    func testDenoiseNoiseIsStandardNormal() {
        let clean = randomImage([4, 3, 32, 32], seed: 3)
        let batch = RestorationTask(kind: .denoise).degrade(clean, seed: 1, streams: [1, 2, 3, 4])
        XCTAssertTrue(batch.time.allSatisfy { $0 >= 0 && $0 < 1 })
        XCTAssertGreaterThan(Set(batch.time).count, 1)
        let perSample = 3 * 32 * 32
        for b in 0..<4 {
            let t = batch.time[b]
            let noise = (0..<perSample).map { i -> Double in
                let k = b * perSample + i
                return Double((batch.input.scalars[k] - t * clean.scalars[k]) / (1 - t))
            }
            let mean = noise.reduce(0, +) / Double(perSample)
            let variance = noise.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(perSample - 1)
            XCTAssertEqual(mean, 0, accuracy: 0.08, "sample \(b)")
            XCTAssertEqual(variance, 1, accuracy: 0.1, "sample \(b)")
        }
    }

    func testBlurKeepsAConstantImage() {
        for (sigma, side) in [(Float(0.75), 16), (3, 8)] {   // the second wraps more than once
            let blurred = PeriodicGaussianBlur(sigma: sigma).apply(Tensor(shape: [2, 3, side, side], repeating: 0.3))
            XCTAssertLessThan(blurred.maxAbsDifference(Tensor(shape: [2, 3, side, side], repeating: 0.3)), 1e-6)
        }
    }

    /// An impulse near a corner becomes the normalised, periodically wrapped Gaussian.
    func testBlurOfAnImpulseIsTheNormalisedGaussian() {
        let sigma: Float = 1.5, (h, w) = (16, 20), (py, px) = (1, 18)
        let blur = PeriodicGaussianBlur(sigma: sigma)
        XCTAssertEqual(blur.radius, 6)
        var impulse = Tensor(shape: [1, 1, h, w])
        impulse[0, 0, py, px] = 1
        let blurred = blur.apply(impulse)
        let normaliser = (-6...6).map { exp(-Double($0 * $0) / (2 * Double(sigma * sigma))) }.reduce(0, +)
        func weight(_ d: Int, _ n: Int) -> Double {
            let wrapped = min((d % n + n) % n, n - (d % n + n) % n)
            return wrapped > 6 ? 0 : exp(-Double(wrapped * wrapped) / (2 * Double(sigma * sigma))) / normaliser
        }
        var total = 0.0
        for y in 0..<h { for x in 0..<w {
            XCTAssertEqual(Double(blurred[0, 0, y, x]), weight(y - py, h) * weight(x - px, w), accuracy: 1e-7)
            total += Double(blurred[0, 0, y, x])
        } }
        XCTAssertEqual(total, 1, accuracy: 1e-5)
    }

    /// `input(x) − input(0) = (1 − t)·(k_σ * x)` with `σ = 3·H/128`, `t < 0.1`.
    func testDeblurInputIsTheScaledBlurPlusNoise() {
        let clean = randomImage([2, 3, 32, 32], seed: 4)
        let task = RestorationTask(kind: .deblur)
        let degraded = task.degrade(clean, seed: 9, streams: [3, 4])
        let noiseOnly = task.degrade(Tensor(shape: clean.shape), seed: 9, streams: [3, 4])
        XCTAssertEqual(degraded.time, noiseOnly.time)
        XCTAssertTrue(degraded.time.allSatisfy { $0 >= 0 && $0 < 0.1 })
        XCTAssertEqual(task.options.blurSigma(height: 32), 0.75)
        let blurred = PeriodicGaussianBlur(sigma: 0.75).apply(clean)
        let signal = degraded.input - noiseOnly.input
        for b in 0..<2 {
            let expected = blurred.batchSlice(b..<(b + 1)) * (1 - degraded.time[b])
            XCTAssertLessThan(signal.batchSlice(b..<(b + 1)).maxAbsDifference(expected), 1e-5)
        }
    }

    /// Inside the box the input is exactly the noise term `t·z` (the same as for a black
    /// image); outside it is `x + t·z`. The box is a rectangle within the size bounds.
    func testInpaintZeroesOneBoxBeforeAddingNoise() throws {
        let (n, h, w) = (6, 32, 24)
        let clean = Tensor(shape: [n, 3, h, w], scalars: testValuesInRange(count: n * 3 * h * w))
        let streams = (0..<UInt64(n)).map { $0 * 101 }
        for options in [TaskOptions(), TaskOptions(inpaintMinFraction: 0.5, inpaintMaxFraction: 0.5)] {
            let task = RestorationTask(kind: .inpaint, options: options)
            let degraded = task.degrade(clean, seed: 5, streams: streams)
            let noiseOnly = task.degrade(Tensor(shape: clean.shape), seed: 5, streams: streams)
            XCTAssertTrue(degraded.time.allSatisfy { $0 >= 0 && $0 < 0.1 })
            for b in 0..<n {
                var masked: [(y: Int, x: Int)] = []
                for y in 0..<h { for x in 0..<w {
                    let zeroed = (0..<3).map { c in
                        degraded.input[b, c, y, x].bitPattern == noiseOnly.input[b, c, y, x].bitPattern
                    }
                    XCTAssertEqual(Set(zeroed).count, 1, "channels disagree at \(b), \(y), \(x)")
                    if zeroed[0] {
                        masked.append((y, x))
                    } else {
                        for c in 0..<3 {
                            XCTAssertEqual(degraded.input[b, c, y, x] - noiseOnly.input[b, c, y, x],
                                           clean[b, c, y, x], accuracy: 1e-6)
                        }
                    }
                } }
                let rows = masked.map(\.y), columns = masked.map(\.x)
                let boxHeight = try XCTUnwrap(rows.max()) - rows.min()! + 1
                let boxWidth = try XCTUnwrap(columns.max()) - columns.min()! + 1
                XCTAssertEqual(masked.count, boxHeight * boxWidth, "sample \(b): masked set is not a box")
                let sides = (options.inpaintMinFraction, options.inpaintMaxFraction)
                XCTAssert((Int((sides.0 * Float(h)).rounded())...Int((sides.1 * Float(h)).rounded())).contains(boxHeight))
                XCTAssert((Int((sides.0 * Float(w)).rounded())...Int((sides.1 * Float(w)).rounded())).contains(boxWidth))
            }
        }
    }

    func testSuperresInputOfAConstantIsConstant() {
        let clean = Tensor(shape: [2, 3, 16, 12], repeating: -0.4)
        let batch = RestorationTask(kind: .superres).degrade(clean, seed: 0, streams: [0, 1])
        XCTAssertEqual(batch.input.shape, clean.shape)
        XCTAssertLessThan(batch.input.maxAbsDifference(clean), 1e-6)
        XCTAssertEqual(batch.time, [0, 0])
        XCTAssertEqual(batch.target, clean)
    }

    /// Values in [0.2, 1), away from 0 so that a zeroed pixel is never mistaken for a kept one.
    private func testValuesInRange(count: Int) -> [Float] {
        randomImage([count], seed: 6).scalars.map { 0.6 + 0.4 * $0 }
    }
}
