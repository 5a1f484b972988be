import XCTest
import MSKernels
import MSTasks
import MSTensor

final class LevelConditioningTests: XCTestCase {
    /// After averaging ℓ times, a conditioned observation is the task's own form at the told
    /// level with unit-variance noise: denoise `t'·Rx + (1−t')·z'`, deblur `(1−t')·Rb + t'·z'`,
    /// inpaint `Rm + t'·z'`, with `z' = 2^ℓ·R^ℓ z`.
    func testRestrictedObservationsAreTheTasksOwnFormAtTheirLevel() {
        var random = CounterRandom(seed: 3, stream: 0)
        var signal = Tensor(shape: [2, 1, 8, 8]), noise = Tensor(shape: [2, 1, 8, 8])
        signal.withUnsafeMutableBufferPointer { random.fillNormal($0) }
        noise.withUnsafeMutableBufferPointer { random.fillNormal($0) }
        let time: [Float] = [0.3, 0.8]
        for levels in 1...2 {
            func restrict(_ x: Tensor) -> Tensor { (0..<levels).reduce(x) { y, _ in Resample.restrictAverage(y) } }
            let unitNoise = restrict(noise) * Float(1 << levels)
            for task in [TaskKind.denoise, .deblur, .inpaint] {
                // y = a·x + b·z per sample, as the task composes it.
                let (a, b): ([Float], [Float]) = task == .denoise ? (time, time.map { 1 - $0 })
                    : task == .deblur ? (time.map { 1 - $0 }, time) : ([1, 1], time)
                var observation = Tensor(shape: signal.shape)
                for n in 0..<2 {
                    for i in 0..<64 { observation.scalars[n * 64 + i] = a[n] * signal.scalars[n * 64 + i] + b[n] * noise.scalars[n * 64 + i] }
                }
                let (input, told) = LevelConditioning.restricted.condition(restrict(observation), time: time, levels: levels,
                                                                           noiseFactor: 0.5, task: task)
                let coarseSignal = restrict(signal)
                let pixels = input.scalars.count / 2
                for n in 0..<2 {
                    let (signalWeight, noiseWeight): (Float, Float) = task == .denoise ? (told[n], 1 - told[n])
                        : task == .deblur ? (1 - told[n], told[n]) : (1, told[n])
                    for i in 0..<pixels {
                        let expected = signalWeight * coarseSignal.scalars[n * pixels + i] + noiseWeight * unitNoise.scalars[n * pixels + i]
                        XCTAssertEqual(input.scalars[n * pixels + i], expected, accuracy: 1e-5, "\(task), \(levels) levels")
                    }
                }
            }
        }
    }

    /// `drawn`, injection (noise kept) and the finest mesh leave the observation as it is.
    func testDrawnInjectedAndFinestAreUnchanged() {
        let input = Tensor(shape: [1, 1, 2, 2], scalars: [1, 2, 3, 4])
        for (rule, levels, factor) in [(LevelConditioning.drawn, 2, Float(0.5)), (.restricted, 2, 1), (.restricted, 0, 0.5)] {
            let (same, told) = rule.condition(input, time: [0.4], levels: levels, noiseFactor: factor, task: .denoise)
            XCTAssertEqual(same, input)
            XCTAssertEqual(told, [0.4])
        }
    }
}
