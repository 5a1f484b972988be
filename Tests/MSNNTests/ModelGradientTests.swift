import Foundation
import XCTest
import MSTensor
import MSNN
import MSTestSupport

/// Whole-model gradient checks: the analytic gradient of `L(θ) = Σ output ⊙ R` against central
/// differences, with the loss accumulated in Float64 (the models compute in Float32, so the
/// difference quotient carries a rounding error of about 1e-6·|L| / ε).
///
/// Every parameter is first set to random values so that zero-initialised layers do not hide
/// the rest of the network. The step ε is per network: LeakyReLU's kink makes the ResNet's
/// and ESPCN's losses rough at the 1e-2 scale (a measured central difference for one ESPCN
/// coordinate moves 0.28 → 0.15 → 0.11 → 0.108 for ε = 0.1, 0.01, 0.003, 0.001 towards the
/// analytic 0.1035), so they use smaller steps than the SiLU UNet.
final class ModelGradientTests: XCTestCase {
    private func tinyModels() throws -> [(name: String, model: Model, epsilon: Float)] {
        [
            ("unet", try makeModel(ModelConfiguration(network: .unet, imageChannels: 3, baseWidth: 4, widthMultipliers: [1, 2],
                                                      groups: 2, dropout: 0.3, attention: true), seed: 1), 1e-2),
            ("resnet", try makeModel(ModelConfiguration(network: .resnet, imageChannels: 1, baseWidth: 6), seed: 2), 2e-3),
            ("espcn", try makeModel(ModelConfiguration(network: .espcn, imageChannels: 3), seed: 3), 1e-3),
            ("unet-mfc", try makeModel(ModelConfiguration(network: .unet, imageChannels: 3, baseWidth: 4, widthMultipliers: [1, 2],
                                                          groups: 2, convolution: .mfc), seed: 4), 1e-2),
            ("resnet-mfc", try makeModel(ModelConfiguration(network: .resnet, imageChannels: 1, baseWidth: 6, convolution: .mfc),
                                         seed: 5), 2e-3),
            ("espcn-mfc", try makeModel(ModelConfiguration(network: .espcn, imageChannels: 3, convolution: .mfc, mfcLearnsSigma: false),
                                        seed: 6), 1e-3),
        ]
    }

    /// Random values for every parameter; the mesh-free layers' log σ near log(0.15) (1.2 pixels
    /// on the 8×8 test images).
    private func randomValues(_ store: ParameterStore, seed: UInt64) -> [Float] {
        var values = testValues(store.count, seed: seed).map { Float($0) * 0.5 }
        for slot in store.slots where slot.path.hasSuffix(".log_sigma") {
            values[slot.offset] = log(0.15) + 0.2 * values[slot.offset]
        }
        return values
    }

    private func loss(_ model: Model, _ input: Tensor, _ time: [Float], _ weights: Tensor, _ context: ForwardContext) throws -> Double {
        let (output, _) = try model.forward(input, time: time, context: context)
        var total = 0.0
        for i in 0..<output.count { total += Double(output.scalars[i]) * Double(weights.scalars[i]) }
        return total
    }

    func testAnalyticGradientsMatchCentralDifferences() throws {
        for (name, model, epsilon) in try tinyModels() {
            let store = model.parameters
            store.load(values: randomValues(store, seed: 11))
            let channels = model.configuration.imageChannels
            let input = Tensor(shape: [2, channels, 8, 8], scalars: testValues(2 * channels * 64, seed: 12).map(Float.init))
            let time: [Float] = [0.25, 0.7]
            let weights = Tensor(shape: input.shape, scalars: testValues(input.count, seed: 13).map(Float.init))
            let context = ForwardContext(training: true, seed: 5, sampleIDs: [17, 42])

            store.zeroGradients()
            let (_, pullback) = try model.forward(input, time: time, context: context)
            pullback(weights)
            let analytic = store.snapshotGradients()
            let theta = store.snapshotValues()
            let rounding = 1e-6 * abs(try loss(model, input, time, weights, context)) / Double(epsilon)

            /// Central difference along `direction` against `analytic · direction`.
            func check(_ direction: [Float], _ label: String) throws {
                store.load(values: zip(theta, direction).map { $0 + epsilon * $1 })
                let up = try loss(model, input, time, weights, context)
                store.load(values: zip(theta, direction).map { $0 - epsilon * $1 })
                let down = try loss(model, input, time, weights, context)
                let numeric = (up - down) / (2 * Double(epsilon))
                let exact = zip(analytic, direction).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
                XCTAssertEqual(numeric, exact, accuracy: 4 * rounding + 1e-2 * abs(exact), "\(name): \(label)")
            }
            // A random direction over all parameters, scaled so that it moves every coordinate
            // by at most ε/10 (a step along it crosses few kinks).
            let scale: Float = 0.1
            try check(testValues(store.count, seed: 14).map { Float($0) * scale }, "random direction")
            // One coordinate in every slot.
            for slot in store.slots {
                var direction = [Float](repeating: 0, count: store.count)
                direction[slot.offset + slot.count / 2] = 1
                try check(direction, slot.path)
            }
            store.load(values: theta)
        }
    }

    func testMeshFreeConvolutionsReplaceEverySpatialConvolution() throws {
        let unet = try makeModel(ModelConfiguration(network: .unet, convolution: .mfc), seed: 0).parameters
        let standard = try makeModel(ModelConfiguration(network: .unet), seed: 0).parameters
        let spatial = standard.slots.filter { $0.shape.count == 4 && $0.shape[2] == 3 }.map(\.path)
        XCTAssertEqual(spatial.count, 20)
        for path in spatial {
            let slot = try XCTUnwrap(unet.slot(named: path), path)
            XCTAssertEqual(slot.shape, [slot.shape[0], slot.shape[1], 6], path)
            let logSigma = try XCTUnwrap(unet.slot(named: path.replacingOccurrences(of: ".weight", with: ".log_sigma")))
            XCTAssertEqual(unet.values[logSigma.offset], log(ModelConfiguration.defaultMFCSigma), accuracy: 1e-6)
        }
        let fixed = try makeModel(ModelConfiguration(network: .resnet, convolution: .mfc, mfcLearnsSigma: false), seed: 0)
        XCTAssertFalse(fixed.parameters.slots.contains { $0.path.hasSuffix(".log_sigma") })
        XCTAssertThrowsError(try makeModel(ModelConfiguration(network: .unet, convolution: .mfc, mfcSigma: 0), seed: 0))
    }

    func testUNetParameterPathsAndCount() throws {
        let model = try makeModel(ModelConfiguration(network: .unet), seed: 0)
        let paths = model.parameters.slots.map(\.path)
        XCTAssertTrue(paths.contains("unet.down.0.res.conv1.weight"))
        XCTAssertTrue(paths.contains("unet.output.conv.weight"))
        XCTAssertEqual(model.parameters.slot(named: "unet.down.0.res.conv1.weight")?.shape, [32, 32, 3, 3])
        // Slots tile the buffer without gaps.
        var offset = 0
        for slot in model.parameters.slots { XCTAssertEqual(slot.offset, offset); offset += slot.count }
        XCTAssertEqual(offset, model.parameters.count)
        // The output convolution starts at zero, so an untrained UNet predicts zero.
        let out = model.parameters.slot(named: "unet.output.conv.weight")!
        XCTAssertTrue(model.parameters.values[out.range].allSatisfy { $0 == 0 })
    }

    func testInitialisationDependsOnlyOnSeedAndPath() throws {
        let a = try makeModel(ModelConfiguration(network: .unet, attention: false), seed: 3)
        let b = try makeModel(ModelConfiguration(network: .unet, attention: true), seed: 3)
        let slot = a.parameters.slot(named: "unet.up.0.res.conv2.weight")!
        let other = b.parameters.slot(named: "unet.up.0.res.conv2.weight")!
        XCTAssertNotEqual(slot.offset, other.offset)
        XCTAssertEqual(Array(a.parameters.values[slot.range]), Array(b.parameters.values[other.range]))
    }

    func testSameWeightsRunAtEveryAdmissibleResolution() throws {
        let model = try makeModel(ModelConfiguration(network: .unet, baseWidth: 8), seed: 4)
        for size in [8, 16, 32, 12] {
            let input = Tensor(shape: [1, 3, size, size], repeating: 0.1)
            let (output, _) = try model.forward(input, time: [0.5], context: .evaluation(count: 1))
            XCTAssertEqual(output.shape, [1, 3, size, size])
        }
    }

    func testUserErrorsAreThrownWithAdvice() throws {
        let model = try makeModel(ModelConfiguration(network: .unet, baseWidth: 8), seed: 4)
        XCTAssertThrowsError(try model.forward(Tensor(shape: [1, 3, 30, 30]), time: [0], context: .evaluation(count: 1))) { error in
            XCTAssertEqual(error as? ModelError, .resolution(network: .unet, height: 30, width: 30, stride: 4))
            XCTAssertTrue("\(error)".contains("multiples of 4"))
        }
        XCTAssertThrowsError(try model.forward(Tensor(shape: [1, 1, 32, 32]), time: [0], context: .evaluation(count: 1)))
        XCTAssertThrowsError(try NetworkKind(parsing: "vgg")) { error in
            XCTAssertTrue("\(error)".contains("unet, resnet, espcn"))
        }
        XCTAssertThrowsError(try makeModel(ModelConfiguration(network: .unet, baseWidth: 10, groups: 8), seed: 0))
    }

    func testDropoutIsActiveOnlyInTrainingAndFollowsSampleIDs() throws {
        let model = try makeModel(ModelConfiguration(network: .unet, baseWidth: 8, dropout: 0.5), seed: 6)
        model.parameters.load(values: testValues(model.parameters.count, seed: 7).map { Float($0) * 0.3 })
        let one = Tensor(shape: [1, 3, 8, 8], scalars: testValues(192, seed: 8).map(Float.init))
        let two = Tensor.stackBatch([one, one])
        let eval = try model.forward(two, time: [0.3, 0.3], context: .evaluation(count: 2)).output
        let train = try model.forward(two, time: [0.3, 0.3], context: ForwardContext(training: true, seed: 1, sampleIDs: [5, 9])).output
        XCTAssertGreaterThan(eval.maxAbsDifference(train), 1e-4)
        XCTAssertGreaterThan(train.batchSlice(0..<1).maxAbsDifference(train.batchSlice(1..<2)), 1e-4)
        // Sample 9 alone, at position 0, draws the same mask as at position 1 of the pair.
        let alone = try model.forward(one, time: [0.3], context: ForwardContext(training: true, seed: 1, sampleIDs: [9])).output
        XCTAssertLessThan(alone.maxAbsDifference(train.batchSlice(1..<2)), 1e-6)
    }
}
