import XCTest
import MSKernels
import MSMultiscale
import MSNN
import MSTasks
import MSTensor
import MSTestSupport

/// A fixed pool of clean images degraded by a task; sample identity from (step, level, index).
final class PoolSource: ExampleSource {
    let images: Tensor
    let task: RestorationTask
    let seed: UInt64
    init(images: Tensor, task: RestorationTask, seed: UInt64) { (self.images, self.task, self.seed) = (images, task, seed) }

    func examples(step: Int, level: Int, samples: Range<Int>) throws -> (batch: DegradedBatch, sampleIDs: [UInt64]) {
        let ids = samples.map { CounterRandom.stream([UInt64(step), UInt64(level), UInt64($0)]) }
        let picks = ids.map { id -> Tensor in
            var random = CounterRandom(seed: seed, indices: id, 1)
            let i = random.index(below: images.batch)
            return images.batchSlice(i..<(i + 1))
        }
        return (task.degrade(Tensor.stackBatch(picks), seed: seed, streams: ids), ids)
    }
}

/// Records every input a model is called with and the loss weight applied to it (recovered
/// from the sign of the pullback's gradient relative to the prediction error).
final class SpyModel: Model {
    let inner: Model
    var inputs: [Tensor] = []
    init(_ inner: Model) { self.inner = inner }
    var configuration: ModelConfiguration { inner.configuration }
    var parameters: ParameterStore { inner.parameters }
    var totalStride: Int { inner.totalStride }
    func forward(_ input: Tensor, time: [Float], context: ForwardContext) throws -> (output: Tensor, pullback: (Tensor) -> Void) {
        inputs.append(input)
        return try inner.forward(input, time: time, context: context)
    }
}

func smoothImages(count: Int, size: Int, seed: UInt64) -> Tensor {
    var t = Tensor(shape: [count, 3, size, size])
    var random = CounterRandom(seed: seed, stream: 9)
    for n in 0..<count {
        let (a, b, c) = (random.uniform(-1, 1), random.uniform(0.5, 2), random.uniform(0, 6))
        for ch in 0..<3 { for y in 0..<size { for x in 0..<size {
            t[n, ch, y, x] = 0.8 * sin(b * Float(x + y * ch) / Float(size) * 6 + c) * a
        } } }
    }
    return t
}

final class EstimatorTests: XCTestCase {
    func tinyModel(seed: UInt64 = 1) throws -> Model {
        let model = try makeModel(ModelConfiguration(network: .resnet, imageChannels: 3, baseWidth: 4), seed: seed)
        model.parameters.load(values: testValues(model.parameters.count, seed: 3).map { Float($0) * 0.4 })
        return model
    }

    func testOneLevelIsPlainMinibatchSGDBitwise() throws {
        let model = try tinyModel()
        let source = PoolSource(images: smoothImages(count: 10, size: 16, seed: 1), task: RestorationTask(kind: .denoise), seed: 4)
        let estimator = MultilevelEstimator(model: model, restriction: .inject, microBatch: 6)
        model.parameters.zeroGradients()
        _ = try estimator.estimate(plan: .multilevel(batches: [6]), step: 3, source: source)
        let mge = model.parameters.snapshotGradients()

        model.parameters.zeroGradients()
        let (batch, ids) = try source.examples(step: 3, level: 0, samples: 0..<6)
        let (output, pullback) = try model.forward(batch.input, time: batch.time,
                                                   context: ForwardContext(training: true, seed: 0, sampleIDs: ids))
        pullback(MSELoss.backward(prediction: output, target: batch.target))
        XCTAssertEqual(mge, model.parameters.snapshotGradients())
        XCTAssertEqual(EstimatorPlan.multilevel(batches: [6]), EstimatorPlan.singleScale(batchSize: 6))
    }

    func testCorrectionCouplesFineAndCoarseInputsAndKeepsTheCoarsestTerm() throws {
        for restriction in Restriction.allCases {
            let spy = SpyModel(try tinyModel())
            let source = PoolSource(images: smoothImages(count: 5, size: 16, seed: 2), task: RestorationTask(kind: .denoise), seed: 5)
            let estimator = MultilevelEstimator(model: spy, restriction: restriction, microBatch: 64)
            let plan = EstimatorPlan.multilevel(batches: [2, 3, 4])
            XCTAssertEqual(plan.terms.map(\.isCorrection), [true, true, false])
            _ = try estimator.estimate(plan: plan, step: 0, source: source)
            // Calls: term 0 fine (16²), coarse (8²); term 1 fine (8²), coarse (4²); coarsest term (4²).
            XCTAssertEqual(spy.inputs.map(\.height), [16, 8, 8, 4, 4])
            XCTAssertEqual(spy.inputs.map(\.batch), [2, 2, 3, 3, 4])
            XCTAssertEqual(spy.inputs[1], restriction(spy.inputs[0]))
            XCTAssertEqual(spy.inputs[3], restriction(spy.inputs[2]))
            // The coarsest term's fine input is the twice-restricted degraded sample, not re-degraded.
            let (batch, _) = try source.examples(step: 0, level: 2, samples: 0..<4)
            XCTAssertEqual(spy.inputs[4], restriction(batch.input, times: 2))
            // Different terms draw different samples.
            XCTAssertNotEqual(spy.inputs[2].batchSlice(0..<2), spy.inputs[1])
        }
    }

    /// Both halves of a correction come from the one set of draws the source made: the fine
    /// input is the task's composition of the clean images with those draws, the coarse input
    /// its restriction, and both are told the draws' noise levels.
    func testBothHalvesOfACorrectionComeFromTheSourcesDraws() throws {
        let spy = SpyModel(try tinyModel())
        let task = RestorationTask(kind: .inpaint)
        let source = PoolSource(images: smoothImages(count: 4, size: 16, seed: 3), task: task, seed: 6)
        let estimator = MultilevelEstimator(model: spy, restriction: .average, microBatch: 64)
        _ = try estimator.estimate(plan: .multilevel(batches: [3, 2]), step: 5, source: source)
        let (batch, ids) = try source.examples(step: 5, level: 0, samples: 0..<3)
        XCTAssertEqual(batch.draws, ids.map { task.draws(seed: 6, stream: $0, channels: 3, height: 16, width: 16) })
        XCTAssertEqual(batch.time, batch.draws.map(\.time))
        XCTAssertEqual(spy.inputs[0], task.degrade(batch.target, draws: batch.draws).input)
        XCTAssertEqual(spy.inputs[1], Restriction.average(spy.inputs[0]))
    }

    /// E[ĝ] = E[g_0]: averaged over many steps, the MGE estimate converges to the exact fine-mesh
    /// gradient of the data distribution (a pool of images with a deterministic degradation, so
    /// the expectation is one full pass). Deviations are judged against the measured standard
    /// error; an estimator without its coarsest term must fail the same check.
    func testEstimatorIsUnbiased() throws {
        let model = try tinyModel()
        let pool = smoothImages(count: 6, size: 16, seed: 7)
        let task = RestorationTask(kind: .superres)
        let source = PoolSource(images: pool, task: task, seed: 8)
        let estimator = MultilevelEstimator(model: model, restriction: .average, microBatch: 64)

        model.parameters.zeroGradients()
        let all = task.degrade(pool, seed: 8, streams: (0..<6).map(UInt64.init))
        let (output, pullback) = try model.forward(all.input, time: all.time, context: .evaluation(count: 6))
        pullback(MSELoss.backward(prediction: output, target: all.target))
        let exact = model.parameters.snapshotGradients().map(Double.init)

        func zScores(plan: EstimatorPlan, draws: Int) throws -> [Double] {
            var sum = [Double](repeating: 0, count: exact.count), sumSquares = sum
            for step in 0..<draws {
                model.parameters.zeroGradients()
                _ = try estimator.estimate(plan: plan, step: step, source: source)
                for (i, g) in model.parameters.gradients.enumerated() {
                    sum[i] += Double(g); sumSquares[i] += Double(g) * Double(g)
                }
            }
            let n = Double(draws)
            return (0..<exact.count).map { i in
                let mean = sum[i] / n
                let standardError = ((sumSquares[i] / n - mean * mean) / (n - 1)).squareRoot()
                return abs(mean - exact[i]) / max(standardError, 1e-12)
            }
        }
        let draws = 300
        let unbiased = try zScores(plan: .multilevel(batches: [1, 2, 4]), draws: draws)
        // Under the null each |z| exceeds 5 with probability ~6e-7 (a t-statistic with 299 degrees of freedom).
        XCTAssertLessThan(unbiased.max()!, 5.0)

        // Dropping the coarsest term leaves a biased estimate, which the same statistics reject.
        let biased = try zScores(plan: EstimatorPlan(terms: [EstimatorTerm(level: 0, isCorrection: true, batchSize: 1),
                                                              EstimatorTerm(level: 1, isCorrection: true, batchSize: 2)]),
                                 draws: 100)
        XCTAssertGreaterThan(biased.max()!, 8.0)
    }
}

final class ScheduleTests: XCTestCase {
    /// docs/method.md section 3: N = 16, T = 250 over four stages is 23,125 WU.
    func testFullMultiscaleWorkMatchesClosedForm() {
        let schedule = TrainingSchedule.fullMultiscale(levels: 4, batchSize: 16, iterations: 250)
        XCTAssertEqual(schedule.stages.map(\.iterations), [2000, 1000, 500, 250])
        XCTAssertEqual(schedule.stages.map { $0.plan.terms.map(\.batchSize) }, [[128], [64, 64], [32, 32, 32], [16, 16, 16, 16]])
        XCTAssertEqual(schedule.stages.map(\.plan.finestLevel), [3, 2, 1, 0])
        XCTAssertEqual(schedule.totalWork, 23_125, accuracy: 1e-9)
        // Closed form: Σ_k I_k B_k [Σ_{j=f_k}^{L−2} (4^−j + 4^−(j+1)) + 4^−(L−1)].
        let L = 4
        var closed = 0.0
        for k in 0..<L {
            let f = L - 1 - k, batch = 16 << (L - 1 - k), iterations = 250 << (L - 1 - k)
            var perSample = pow(0.25, Double(L - 1))
            for j in stride(from: f, to: L - 1, by: 1) { perSample += pow(0.25, Double(j)) + pow(0.25, Double(j + 1)) }
            closed += Double(iterations * batch) * perSample
        }
        XCTAssertEqual(schedule.totalWork, closed, accuracy: 1e-9)
        XCTAssertEqual(TrainingSchedule.single(batchSize: 16, iterations: 8000).totalWork, 128_000)
    }

    func testMultiscaleBatchesAndStepPositions() {
        XCTAssertEqual(EstimatorPlan.geometricBatches(finest: 2, ratio: 4, levels: 3), [2, 8, 32])
        let plan = EstimatorPlan.multilevel(batches: [2, 8, 32])
        // 2·(1 + 1/4) + 8·(1/4 + 1/16) + 32/16 = 2.5 + 2.5 + 2.
        XCTAssertEqual(plan.work, 7, accuracy: 1e-12)
        let schedule = TrainingSchedule.fullMultiscale(levels: 3, batchSize: 1, iterations: 2)
        XCTAssertEqual(schedule.position(ofStep: 0).stage, 0)
        XCTAssertEqual(schedule.position(ofStep: 7).stage, 0)
        XCTAssertEqual(schedule.position(ofStep: 8).stage, 1)
        XCTAssertEqual(schedule.position(ofStep: 13).stepInStage, 1)
        XCTAssertEqual(schedule.firstStep(ofStage: 2), 12)
    }
}
