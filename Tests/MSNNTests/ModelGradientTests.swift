import Foundation
import XCTest
import MSTensor
import MSNN
import MSTestSupport

/// Whole-model checks in Float64 (issue 2): each network's Float32 forward and pullback against
/// a slow Float64 reference of the same network (`ReferenceUNet`, `ReferenceResNet`,
/// `ReferenceESPCN` in MSTestSupport, composed only of the Double oracles of MSKernels and
/// reading the model's parameters by path), on tiny models and inputs.
///
/// - Forward: the Float32 output equals the reference's to 1e-5 relative (largest difference
///   over the largest reference output). Measured: 1.9e-7 (UNet), 1.7e-6 (ResNet, which forms
///   its time-embedding arguments `1000·t·f_i` in Float32, as PyTorch does), 1.7e-7 (ESPCN).
/// - Gradients: for `L(θ) = Σ output ⊙ R` with a fixed random `R`, the Float32 pullback's
///   gradient against central differences of the reference's `L` in Double with step
///   `h = 10⁻⁶`. Their truncation error is O(h²) and their rounding error about
///   `10⁻¹⁶·|L|/h = 10⁻¹⁰·|L|`, both far below Float32's. LeakyReLU is piecewise linear, so a
///   quotient is wrong only if a probe moves some LeakyReLU input `u` across zero, which needs
///   `|u| < h·|∂u/∂θ_i|`: at `h = 10⁻⁶` that almost never happens, and the test asserts that no
///   probe changed the sign of any LeakyReLU input, so every quotient is one of a smooth function.
/// - Tolerance: a Float32 gradient entry sums products through up to about twenty layers, each sum
///   of up to a few hundred terms rounded at `u = 6·10⁻⁸`, so it carries an error of order
///   `10⁻⁶…10⁻⁵` of the gradient's scale (not of the entry: small entries come from cancelling
///   sums). The test requires `‖a − n‖ ≤ 10⁻⁴·‖n‖` and, per coordinate,
///   `|a_i − n_i| ≤ 10⁻³·(|n_i| + 10⁻²·max_j |n_j|)`. Measured: norm errors 4.7e-7, 8.1e-7,
///   1.4e-7 and the worst coordinate at 4.4% of its bound (ResNet). A wrong backward fails it: scaling
///   one term of GroupNorm's input gradient by 0.9 gives norm errors of 1.9e-2, 1.2e-2 and
///   5.0e-3, and LeakyReLU's negative slope off by 5% in its backward fails the ResNet and ESPCN.
/// - Coordinates: the ResNet's 1,531 parameters all; the UNet's 8 evenly spaced per parameter
///   slot (every one of the smaller slots; 527 of 7,215); the ESPCN's 4 per slot (71 of
///   69,987), because one reference forward costs about 15 ms there.
/// - The input: `Model.forward`'s pullback returns no input gradient (the first convolution is
///   built without one), so the input is covered by the forward comparison; the input gradient
///   of every later layer is checked through the first layer's parameter gradients, which are
///   pulled back through all of them.
final class ModelGradientTests: XCTestCase {
    /// A tiny model with its input, times and context, its Float64 reference, and the
    /// coordinates its gradient check probes.
    struct TinyNetwork {
        let name: String
        let model: Model
        let input: Tensor
        let time: [Float]
        let context: ForwardContext
        /// Probes per parameter slot: every coordinate when nil, else this many evenly spaced
        /// ones (the first and the last included).
        let probesPerSlot: Int?
        /// The reference forward at the given parameters; calls the observer with the input of
        /// every LeakyReLU.
        let reference: (ReferenceParameters, (ReferenceActivation) -> Void) -> ReferenceActivation

        /// The probed parameter indices, in the store's layout.
        var coordinates: [Int] {
            model.parameters.slots.flatMap { slot -> [Int] in
                guard let k = probesPerSlot, slot.count > k else { return Array(slot.range) }
                return (0..<k).map { slot.offset + $0 * (slot.count - 1) / (k - 1) }
            }
        }

        /// The sign of every LeakyReLU input of the reference at `parameters`, in visiting order.
        func leakyReLUSigns(_ parameters: ReferenceParameters) -> (output: ReferenceActivation, signs: [Bool]) {
            var signs: [Bool] = []
            let output = reference(parameters) { u in signs += u.values.map { $0 > 0 } }
            return (output, signs)
        }
    }

    /// The three networks on 4×6 inputs (not square, so that a swapped height and width shows),
    /// with every parameter set to random values (so that zero-initialised layers do not hide the
    /// rest) and the UNet's dropout active (training mode); and the UNet again on 16×16 inputs,
    /// whose finest level is large enough for the direct convolution path (`Conv2d.Algorithm`).
    private func tinyNetworks() throws -> [TinyNetwork] {
        func build(_ configuration: ModelConfiguration, seed: UInt64, batch: Int, side: (Int, Int) = (4, 6))
            throws -> (model: Model, input: Tensor, context: ForwardContext) {
            let model = try makeModel(configuration, seed: seed)
            model.parameters.load(values: testValues(model.parameters.count, seed: seed + 10).map { Float($0) * 0.5 })
            let shape = [batch, configuration.imageChannels, side.0, side.1]
            let input = Tensor(shape: shape, scalars: testValues(shape.reduce(1, *), seed: seed + 20).map(Float.init))
            return (model, input, ForwardContext(training: true, seed: 5, sampleIDs: Array([17, 42].prefix(batch))))
        }
        let time: [Float] = [0.25, 0.7]
        let unetConfiguration = ModelConfiguration(network: .unet, imageChannels: 3, baseWidth: 4, widthMultipliers: [1, 2],
                                                   groups: 2, dropout: 0.3, attention: true)
        let unet = try build(unetConfiguration, seed: 1, batch: 2)
        let unet16 = try build(unetConfiguration, seed: 4, batch: 2, side: (16, 16))
        let resnetConfiguration = ModelConfiguration(network: .resnet, imageChannels: 1, baseWidth: 6)
        let resnet = try build(resnetConfiguration, seed: 2, batch: 2)
        let espcnConfiguration = ModelConfiguration(network: .espcn, imageChannels: 3)
        let espcn = try build(espcnConfiguration, seed: 3, batch: 1)
        let t = time.map(Double.init)
        return [
            TinyNetwork(name: "unet", model: unet.model, input: unet.input, time: time, context: unet.context,
                        probesPerSlot: 8) { p, _ in
                ReferenceUNet.forward(ReferenceActivation(unet.input), time: t, configuration: unetConfiguration, parameters: p,
                                      context: unet.context)
            },
            TinyNetwork(name: "unet 16×16", model: unet16.model, input: unet16.input, time: time, context: unet16.context,
                        probesPerSlot: 2) { p, _ in
                ReferenceUNet.forward(ReferenceActivation(unet16.input), time: t, configuration: unetConfiguration, parameters: p,
                                      context: unet16.context)
            },
            TinyNetwork(name: "resnet", model: resnet.model, input: resnet.input, time: time, context: resnet.context,
                        probesPerSlot: nil) { p, observe in
                ReferenceResNet.forward(ReferenceActivation(resnet.input), time: t, configuration: resnetConfiguration,
                                        parameters: p, observeLeakyReLUInput: observe)
            },
            TinyNetwork(name: "espcn", model: espcn.model, input: espcn.input, time: [time[0]], context: espcn.context,
                        probesPerSlot: 4) { p, observe in
                ReferenceESPCN.forward(ReferenceActivation(espcn.input), configuration: espcnConfiguration, parameters: p,
                                       observeLeakyReLUInput: observe)
            },
        ]
    }

    /// `L = Σ output ⊙ weights`, summed in Double.
    private func loss(_ output: ReferenceActivation, _ weights: Tensor) -> Double {
        zip(output.values, weights.scalars).reduce(0) { $0 + $1.0 * Double($1.1) }
    }

    func testFloat32ForwardMatchesFloat64Reference() throws {
        for network in try tinyNetworks() {
            let output = try network.model.forward(network.input, time: network.time, context: network.context).output
            let reference = network.reference(ReferenceParameters(network.model.parameters), { _ in })
            XCTAssertEqual(output.shape, reference.shape, network.name)
            let error = relativeError(output.scalars.map(Double.init), reference.values)
            XCTAssertLessThan(error, 1e-5, "\(network.name): Float32 forward vs Float64 reference")
        }
    }

    func testAnalyticGradientsMatchCentralDifferencesOfFloat64Reference() throws {
        for network in try tinyNetworks() {
            let store = network.model.parameters
            let weights = Tensor(shape: network.input.shape, scalars: testValues(network.input.count, seed: 13).map(Float.init))
            store.zeroGradients()
            try network.model.forward(network.input, time: network.time, context: network.context).pullback(weights)
            let parameters = ReferenceParameters(store)
            let baseSigns = network.leakyReLUSigns(parameters).signs
            var probesAcrossKinks = 0
            let coordinates = network.coordinates
            let numeric = numericalGradient(of: { values in
                var probe = parameters
                probe.values = values
                let (output, signs) = network.leakyReLUSigns(probe)
                if signs != baseSigns { probesAcrossKinks += 1 }
                return loss(output, weights)
            }, at: parameters.values, step: 1e-6, coordinates: coordinates)
            let analytic = coordinates.map { Double(store.gradients[$0]) }
            XCTAssertEqual(probesAcrossKinks, 0, "\(network.name): a probe moved a LeakyReLU input across zero")

            let norm = { (v: [Double]) in v.reduce(0) { $0 + $1 * $1 }.squareRoot() }
            let normError = norm(zip(analytic, numeric).map { $0 - $1 }) / norm(numeric)
            XCTAssertLessThan(normError, 1e-4, "\(network.name): gradient error relative to its norm")
            let floor = 1e-2 * numeric.map(abs).max()!
            let mismatches = zip(coordinates, zip(analytic, numeric)).filter { _, pair in
                abs(pair.0 - pair.1) > 1e-3 * (abs(pair.1) + floor)
            }
            XCTAssertTrue(mismatches.isEmpty, "\(network.name): \(mismatches.count) of \(coordinates.count) coordinates differ, first "
                + mismatches.prefix(5).map { i, pair in
                    let slot = store.slots.first { $0.range.contains(i) }!
                    return "\(slot.path)[\(i - slot.offset)]: pullback \(pair.0), central difference \(pair.1)"
                }.joined(separator: "; "))
        }
    }

    /// The networks with mesh-free convolutions, which the Float64 references do not cover: their
    /// layer is checked in Float64 against its own reference (MeshFreeConvTests); here the whole
    /// Float32 model's pullback is checked against central differences of its own loss summed in
    /// Float64, along a random direction and one coordinate per slot, with steps ε chosen per
    /// network (LeakyReLU's kink makes the ResNet's and ESPCN's losses rough at the 1e-2 scale).
    private func meshFreeModels() throws -> [(name: String, model: Model, epsilon: Float)] {
        [
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

    private func float32Loss(_ model: Model, _ input: Tensor, _ time: [Float], _ weights: Tensor, _ context: ForwardContext) throws -> Double {
        let (output, _) = try model.forward(input, time: time, context: context)
        var total = 0.0
        for i in 0..<output.count { total += Double(output.scalars[i]) * Double(weights.scalars[i]) }
        return total
    }

    func testMeshFreeModelGradientsMatchCentralDifferences() throws {
        for (name, model, epsilon) in try meshFreeModels() {
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
            let rounding = 1e-6 * abs(try float32Loss(model, input, time, weights, context)) / Double(epsilon)

            /// Central difference along `direction` against `analytic · direction`.
            func check(_ direction: [Float], _ label: String) throws {
                store.load(values: zip(theta, direction).map { $0 + epsilon * $1 })
                let up = try float32Loss(model, input, time, weights, context)
                store.load(values: zip(theta, direction).map { $0 - epsilon * $1 })
                let down = try float32Loss(model, input, time, weights, context)
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
