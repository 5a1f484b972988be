import MSKernels
import MSTasks
import MSTensor
import XCTest

/// Draws are separate from composition: a tile composed from a sample's draws is bitwise the
/// same region of the whole-image degradation.
final class TaskTileTests: XCTestCase {
    /// Every task (two inpainting boxes; a blur whose halo wraps the image more than once;
    /// super-resolution ×2 and ×4), every region of `NoiseFieldTests.regions`.
    func testTilesEqualTheWholeImageDegradation() {
        let (h, w) = (24, 20)
        let clean = randomImage([2, 3, h, w], seed: 11)
        let streams: [UInt64] = [5, 6]
        let tasks = [RestorationTask(kind: .denoise),
                     RestorationTask(kind: .denoise, options: TaskOptions(denoiseMinimumTime: 0.2, denoiseMaximumTime: 0.7)),
                     RestorationTask(kind: .deblur),
                     RestorationTask(kind: .deblur, options: TaskOptions(blurSigmaPixels: 150)),   // σ 28, radius 113
                     RestorationTask(kind: .inpaint, options: TaskOptions(inpaintBoxes: 2)),
                     RestorationTask(kind: .superres),
                     RestorationTask(kind: .superres, options: TaskOptions(superresFactor: 4))]
        for task in tasks {
            let whole = task.degrade(clean, seed: 3, streams: streams)
            for b in 0..<2 {
                let image = clean.batchSlice(b..<(b + 1)), fullInput = whole.input.batchSlice(b..<(b + 1))
                for region in NoiseFieldTests.regions(height: h, width: w) {
                    let tile = task.compose(image: image, draws: whole.draws[b], region: region)
                    XCTAssertTrue(bits(tile) == bits(region.extract(from: fullInput)),
                                  "\(task.kind) \(task.options) sample \(b) \(region)")
                }
            }
        }
    }

    /// A tile caller that holds only its tile and halo (here: the source region cut out of
    /// the image, read periodically) gets the same values as one holding the whole image.
    func testComposeFromTheSourceRegionAlone() {
        let clean = randomImage([1, 3, 16, 16], seed: 12)
        let region = ImageRegion(rows: 0..<7, columns: 9..<16)
        for kind in TaskKind.allCases {
            let task = RestorationTask(kind: kind)
            let draws = task.draws(seed: 2, stream: 9, channels: 3, height: 16, width: 16)
            let source = task.sourceRegion(for: region, height: 16, width: 16)
            let tile = task.compose(source: source.extract(from: clean), draws: draws, region: region)
            let whole = task.degrade(clean, draws: [draws]).input
            XCTAssertEqual(bits(tile), bits(region.extract(from: whole)), "\(kind)")
        }
        let blurSource = RestorationTask(kind: .deblur).sourceRegion(for: region, height: 16, width: 16)
        XCTAssertEqual(blurSource, region.expanded(by: 2))   // σ = 3·16/128, radius ⌈1.5⌉
    }

    /// A sample's draws depend on (seed, stream) and the image size only: the batch carries
    /// exactly the draws made for its stream alone, at any position, next to any samples.
    func testDrawsDependOnlyOnSeedAndStream() {
        let clean = randomImage([3, 3, 16, 12], seed: 13)
        let streams: [UInt64] = [21, 22, 23]
        for kind in TaskKind.allCases {
            let task = RestorationTask(kind: kind, options: TaskOptions(inpaintBoxes: 3))
            let alone = streams.map { task.draws(seed: 4, stream: $0, channels: 3, height: 16, width: 12) }
            XCTAssertEqual(task.degrade(clean, seed: 4, streams: streams).draws, alone, "\(kind)")
            let reordered = task.degrade(Tensor.stackBatch([clean.batchSlice(2..<3), clean.batchSlice(0..<1)]),
                                         seed: 4, streams: [streams[2], streams[0]])
            XCTAssertEqual(reordered.draws, [alone[2], alone[0]], "\(kind)")
        }
        let inpaint = RestorationTask(kind: .inpaint, options: TaskOptions(inpaintBoxes: 3))
        let draws = inpaint.draws(seed: 4, stream: 21, channels: 3, height: 16, width: 12)
        XCTAssertEqual(draws.boxes.count, 3)
        XCTAssertEqual(draws.noise.firstWord, 1 + 3 * 6)   // t, then six words per box
        XCTAssertEqual(RestorationTask(kind: .denoise).draws(seed: 4, stream: 21, channels: 3, height: 16, width: 12)
                        .noise.firstWord, 1)
    }

    /// Inpainting's mask, evaluated by whole-image pixel coordinate, is 0 exactly on the boxes.
    func testInpaintMaskByPixelCoordinate() {
        let task = RestorationTask(kind: .inpaint, options: TaskOptions(inpaintBoxes: 2, inpaintNoiseLevel: 0))
        let clean = Tensor(shape: [1, 1, 16, 12], repeating: 0.5)
        let draws = task.draws(seed: 1, stream: 2, channels: 1, height: 16, width: 12)
        let input = task.degrade(clean, draws: [draws]).input
        for y in 0..<16 { for x in 0..<12 {
            let masked = draws.boxes.contains { $0.contains(row: y, column: x) }
            XCTAssertEqual(input[0, 0, y, x], masked ? 0 : 0.5, "\(y), \(x)")
        } }
    }

    /// `t = min + (max − min)·u` with `u` the sample's first uniform; the defaults give `u`.
    func testDenoiseTimeRange() {
        let clean = randomImage([64, 1, 4, 4], seed: 14)
        let streams = (0..<UInt64(64)).map { $0 * 7 + 1 }
        let ranged = RestorationTask(kind: .denoise, options: TaskOptions(denoiseMinimumTime: 0.3, denoiseMaximumTime: 0.6))
        let times = ranged.degrade(clean, seed: 2, streams: streams).time
        XCTAssertTrue(times.allSatisfy { $0 >= 0.3 && $0 < 0.6 }, "\(times)")
        XCTAssertLessThan(times.min()!, 0.35)
        XCTAssertGreaterThan(times.max()!, 0.55)
        let defaults = RestorationTask(kind: .denoise).degrade(clean, seed: 2, streams: streams).time
        let uniforms = streams.map { stream -> Float in
            var random = CounterRandom(seed: 2, stream: stream)
            return random.uniform()
        }
        XCTAssertEqual(defaults.map(\.bitPattern), uniforms.map(\.bitPattern))
        let fixed = RestorationTask(kind: .denoise, options: TaskOptions(denoiseMinimumTime: 0.4, denoiseMaximumTime: 0.4))
        XCTAssertEqual(fixed.degrade(clean, seed: 2, streams: streams).time, [Float](repeating: 0.4, count: 64))
    }

    /// Factor 2 is bitwise `upsampleBilinear(restrictAverage(x))`; factor 4 matches a slow
    /// reference: 4×4 block means, then bilinear ×2 (align_corners = false, clamped) twice.
    func testSuperresFactors() {
        let clean = randomImage([2, 3, 16, 12], seed: 15)
        let two = RestorationTask(kind: .superres).degrade(clean, seed: 0, streams: [0, 1])
        XCTAssertEqual(bits(two.input), bits(Resample.upsampleBilinear(Resample.restrictAverage(clean))))
        let four = RestorationTask(kind: .superres, options: TaskOptions(superresFactor: 4))
            .degrade(clean, seed: 0, streams: [0, 1])
        XCTAssertEqual(four.input.shape, clean.shape)
        XCTAssertEqual(four.time, [0, 0])
        let reference = slowUpsample(slowUpsample(slowBlockMean(clean, factor: 4)))
        XCTAssertLessThan(four.input.maxAbsDifference(reference), 1e-6)
        XCTAssertGreaterThan(four.input.maxAbsDifference(two.input), 0.01)
    }

    /// Mean of each `factor × factor` block.
    private func slowBlockMean(_ x: Tensor, factor: Int) -> Tensor {
        var y = Tensor(shape: [x.batch, x.channels, x.height / factor, x.width / factor])
        for n in 0..<x.batch { for c in 0..<x.channels { for i in 0..<y.height { for j in 0..<y.width {
            var sum: Double = 0
            for a in 0..<factor { for b in 0..<factor { sum += Double(x[n, c, factor * i + a, factor * j + b]) } }
            y[n, c, i, j] = Float(sum / Double(factor * factor))
        } } } }
        return y
    }

    /// Bilinear ×2, align_corners = false: output `o` samples input position
    /// `s = max((o + ½)/2 − ½, 0)` per axis, interpolating between `⌊s⌋` and `min(⌊s⌋ + 1, n − 1)`.
    private func slowUpsample(_ x: Tensor) -> Tensor {
        func taps(_ o: Int, _ n: Int) -> (Int, Int, Double) {
            let s = max((Double(o) + 0.5) / 2 - 0.5, 0)
            let lower = Int(s.rounded(.down))
            return (lower, min(lower + 1, n - 1), s - Double(lower))
        }
        var y = Tensor(shape: [x.batch, x.channels, 2 * x.height, 2 * x.width])
        for n in 0..<x.batch { for c in 0..<x.channels { for oy in 0..<y.height { for ox in 0..<y.width {
            let (y0, y1, fy) = taps(oy, x.height), (x0, x1, fx) = taps(ox, x.width)
            let top = (1 - fx) * Double(x[n, c, y0, x0]) + fx * Double(x[n, c, y0, x1])
            let bottom = (1 - fx) * Double(x[n, c, y1, x0]) + fx * Double(x[n, c, y1, x1])
            y[n, c, oy, ox] = Float((1 - fy) * top + fy * bottom)
        } } } }
        return y
    }
}
