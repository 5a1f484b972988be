import Foundation
import MSDistributed
import MSKernels
import MSNN
import MSSpatial
import MSTensor

// Checks of MSSpatial that need real ranks; run under mpirun by launch/mpi-tests.sh. Every
// rank of the job is one strip of the image (the group is the whole job).
//
//     mstrain-mpi-spatial-check halo   the halo exchange equals slicing the whole image, and
//                                      its fold-back is its adjoint (dot-product test)
//     mstrain-mpi-spatial-check norm   group normalisation with its statistics reduced over the
//                                      strips: output, input gradient, summed γ and β gradients
//     mstrain-mpi-spatial-check networks  UNet (also with dropout, attention, mesh-free), ResNet and
//                                      ESPCN (both also mesh-free) on
//                                      strips: the output strip and every parameter's gradient,
//                                      summed over the ranks, equal the whole image's
//     mstrain-mpi-spatial-check gather the strips gathered into the whole map equal the image,
//                                      and the gather passes the dot-product test with its adjoint
//     mstrain-mpi-spatial-check conv   strip convolutions (3×3, 5×5, 1×1, stride 2 on odd
//                                      heights, strips of unequal size): output, input gradient
//                                      and summed weight and bias gradients equal the whole image's

let communicator: any Communicator
do { communicator = try MPICommunicator() } catch {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    exit(1)
}

@MainActor func require(_ condition: Bool, _ what: @autoclosure () -> String) {
    if !condition { communicator.abort(message: "FAIL: \(what())", code: 1) }
}

/// The same pseudo-random tensor on every rank.
func randomTensor(_ shape: [Int], stream: UInt64) -> Tensor {
    var random = CounterRandom(seed: 99, stream: stream)
    var tensor = Tensor(shape: shape)
    tensor.withUnsafeMutableBufferPointer { random.fillNormal($0) }
    return tensor
}

/// Rows `rows` of every plane; rows outside `0..<H` are zero.
func rows(_ tensor: Tensor, _ rows: Range<Int>) -> Tensor {
    var result = Tensor(shape: [tensor.batch, tensor.channels, rows.count, tensor.width])
    for n in 0..<tensor.batch {
        for c in 0..<tensor.channels {
            for (i, y) in rows.enumerated() where (0..<tensor.height).contains(y) {
                for x in 0..<tensor.width {
                    result.scalars[((n * tensor.channels + c) * rows.count + i) * tensor.width + x] = tensor[n, c, y, x]
                }
            }
        }
    }
    return result
}

func relativeDifference(_ a: [Float], _ b: [Float]) -> Double {
    let difference = zip(a, b).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }
    let norm = b.reduce(0.0) { $0 + Double($1) * Double($1) }
    return (difference / max(norm, 1e-30)).squareRoot()
}

/// Partitions of `height` rows over the job's ranks: balanced with `alignment`, and uneven
/// (each strip one `alignment` unit longer than the one before, the last taking the rest).
@MainActor func partitions(height: Int, alignment: Int) -> [RowPartition] {
    let parts = communicator.size
    var uneven = [0]
    for part in 1..<max(parts, 1) where parts > 1 { uneven.append(uneven[part - 1] + part * alignment) }
    uneven = Array(uneven.prefix(parts)) + [height]
    return [RowPartition(height: height, parts: parts, alignment: alignment), RowPartition(height: height, bounds: uneven)]
}

/// The dot-product test of a linear map E between tensors held by the ranks, and its adjoint:
/// `Σ_ranks <E x, y> = Σ_ranks <x, Eᵀ y>`, to the Float32 rounding of the sums inside Eᵀ.
@MainActor func requireAdjoint(x: Tensor, ex: Tensor, y: Tensor, eTy: Tensor, _ name: String) {
    func dot(_ a: Tensor, _ b: Tensor) -> Double { zip(a.scalars, b.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) } }
    let (forward, adjoint) = (communicator.allreduce(dot(ex, y), op: .sum), communicator.allreduce(dot(x, eTy), op: .sum))
    require(abs(forward - adjoint) <= 1e-6 * max(1, abs(forward)), "\(name): <Ex, y> = \(forward), <x, Eᵀy> = \(adjoint)")
}

@MainActor func checkHalo() {
    let part = communicator.rank
    // The last three reach past the adjacent strip on 3 and 4 ranks (strips of 2–10 rows), the
    // last past the whole image.
    for (height, above, below) in [(23, 1, 1), (40, 2, 0), (31, 0, 3), (17, 2, 2), (17, 7, 9), (40, 15, 4), (13, 20, 16)] {
        for partition in partitions(height: height, alignment: 2) {
            let halo = RowHalo(partition: partition, above: Array(repeating: above, count: partition.parts),
                               below: Array(repeating: below, count: partition.parts))
            let image = randomTensor([2, 3, height, 5], stream: 1)
            let own = partition.rows(of: part)
            let window = halo.extend(rows(image, own), group: communicator)
            let expected = rows(image, (own.lowerBound - above)..<(own.upperBound + below))
            require(window == expected, "halo \(above)/\(below) of \(partition.bounds): the window differs from the image's rows")
            let y = randomTensor(window.shape, stream: 100 + UInt64(part))
            requireAdjoint(x: rows(image, own), ex: window, y: y, eTy: halo.foldBack(y, group: communicator),
                           "halo \(above)/\(below) of \(partition.bounds)")
        }
    }
}

/// Gathering the strips into the whole map on every rank: it equals the image, and its adjoint
/// (each rank's rows of the sum of the ranks' whole-map gradients, as the attention block's
/// backward pass takes them) passes the dot-product test.
@MainActor func checkGather() {
    let part = communicator.rank
    for height in [23, 40] {
        for partition in partitions(height: height, alignment: 1) {
            let layout = StripLayout(group: communicator, rows: partition)
            let image = randomTensor([2, 3, height, 5], stream: 500)
            let own = partition.rows(of: part)
            let whole = layout.gather(rows(image, own))
            require(whole == image, "gather of \(partition.bounds): the whole map differs from the image")
            let y = randomTensor(image.shape, stream: 600 + UInt64(part))
            var summed = y
            summed.withUnsafeMutableBufferPointer { communicator.allreduce($0, op: .sum) }
            requireAdjoint(x: rows(image, own), ex: whole, y: y, eTy: summed.rows(own), "gather of \(partition.bounds)")
        }
    }
}

@MainActor func checkConvolutions() {
    let part = communicator.rank
    // (height, width, in, out, kernel, stride, padding)
    let cases = [(24, 9, 3, 4, 3, 1, 1), (37, 8, 4, 5, 3, 2, 1), (36, 7, 2, 3, 5, 1, 2), (29, 6, 5, 4, 1, 1, 0),
                 (33, 10, 3, 2, 3, 2, 1), (26, 5, 2, 2, 4, 2, 1)]
    for (index, (h, w, cin, cout, k, s, p)) in cases.enumerated() {
        let geometry = Conv2dGeometry(inputShape: [2, cin, h, w], outputChannels: cout, kernelSize: k, stride: s, padding: p)
        let image = randomTensor(geometry.inputShape, stream: 10 + UInt64(index))
        let weight = randomTensor([geometry.weightCount], stream: 20 + UInt64(index)).scalars
        let bias = randomTensor([cout], stream: 30 + UInt64(index)).scalars
        let outputGradient = randomTensor(geometry.outputShape, stream: 40 + UInt64(index))
        var wholeWeightGradient = [Float](repeating: 0, count: weight.count), wholeBiasGradient = [Float](repeating: 0, count: cout)
        let (whole, wholeInputGradient) = weight.withUnsafeBufferPointer { wp in
            bias.withUnsafeBufferPointer { bp in
                let output = Conv2d.forward(image, weight: wp, bias: bp, geometry: geometry)
                let gradient = wholeWeightGradient.withUnsafeMutableBufferPointer { wg in
                    wholeBiasGradient.withUnsafeMutableBufferPointer { bg in
                        Conv2d.backward(outputGradient: outputGradient, input: image, weight: wp, geometry: geometry,
                                        weightGradient: wg, biasGradient: bg)!
                    }
                }
                return (output, gradient)
            }
        }
        for partition in partitions(height: h, alignment: s) {
            let strip = StripConvolution(geometry: geometry, inputRows: partition)
            let ownOut = strip.outputRows.rows(of: part)
            var weightGradient = [Float](repeating: 0, count: weight.count), biasGradient = [Float](repeating: 0, count: cout)
            let (output, inputGradient) = weight.withUnsafeBufferPointer { wp in
                bias.withUnsafeBufferPointer { bp in
                    let input = rows(image, partition.rows(of: part))
                    let (output, borrowed) = strip.forward(input, weight: wp, bias: bp, group: communicator)
                    let gradient = weightGradient.withUnsafeMutableBufferPointer { wg in
                        biasGradient.withUnsafeMutableBufferPointer { bg in
                            strip.backward(outputGradient: rows(outputGradient, ownOut), strip: input, borrowed: borrowed, weight: wp,
                                           weightGradient: wg, biasGradient: bg, group: communicator)
                        }
                    }
                    return (output, gradient)
                }
            }
            weightGradient.withUnsafeMutableBufferPointer { communicator.allreduce($0, op: .sum) }
            biasGradient.withUnsafeMutableBufferPointer { communicator.allreduce($0, op: .sum) }
            let name = "conv \(k)×\(k)/\(s) on \(h)×\(w), strips \(partition.bounds), rank \(part)"
            let checks = [("output", relativeDifference(output.scalars, rows(whole, ownOut).scalars)),
                          ("input gradient", relativeDifference(inputGradient.scalars, rows(wholeInputGradient, partition.rows(of: part)).scalars)),
                          ("weight gradient", relativeDifference(weightGradient, wholeWeightGradient)),
                          ("bias gradient", relativeDifference(biasGradient, wholeBiasGradient))]
            for (what, difference) in checks {
                require(difference <= 1e-5, "\(name): \(what) differs by \(difference) (relative)")
            }
        }
    }
}

@MainActor func checkNormalisation() {
    let part = communicator.rank
    // (height, width, channels, groups), LayerNorm (one group) included; odd heights.
    for (index, (h, w, c, groups)) in [(24, 7, 6, 3), (37, 5, 4, 1), (19, 9, 8, 4)].enumerated() {
        let image = randomTensor([2, c, h, w], stream: 50 + UInt64(index))
        let offset = image.scalars.map { $0 + 5 }   // a common offset: the sums must not cancel
        let x = Tensor(shape: image.shape, scalars: offset)
        let gamma = randomTensor([c], stream: 60 + UInt64(index)).scalars, beta = randomTensor([c], stream: 70 + UInt64(index)).scalars
        let dy = randomTensor(x.shape, stream: 80 + UInt64(index))
        func run(_ x: Tensor, _ dy: Tensor, split: SplitGroups?) -> (y: Tensor, dx: Tensor, dGamma: [Float], dBeta: [Float]) {
            var dGamma = [Float](repeating: 0, count: c), dBeta = [Float](repeating: 0, count: c)
            let (y, dx) = gamma.withUnsafeBufferPointer { g in
                beta.withUnsafeBufferPointer { b in
                    let (y, statistics) = GroupNorm.forward(x, groups: groups, gamma: g, beta: b, split: split)
                    let dx = dGamma.withUnsafeMutableBufferPointer { dg in
                        dBeta.withUnsafeMutableBufferPointer { db in
                            GroupNorm.backward(outputGradient: dy, input: x, statistics: statistics, groups: groups, gamma: g,
                                               gammaGradient: dg, betaGradient: db, split: split)
                        }
                    }
                    return (y, dx)
                }
            }
            return (y, dx, dGamma, dBeta)
        }
        let whole = run(x, dy, split: nil)
        for partition in partitions(height: h, alignment: 1) {
            let layout = StripLayout(group: communicator, rows: partition)
            let own = partition.rows(of: part)
            var strip = run(rows(x, own), rows(dy, own), split: layout.splitGroups(channelsPerGroup: c / groups, width: w))
            strip.dGamma.withUnsafeMutableBufferPointer { communicator.allreduce($0, op: .sum) }
            strip.dBeta.withUnsafeMutableBufferPointer { communicator.allreduce($0, op: .sum) }
            let name = "norm of \(groups) groups on \(c)×\(h)×\(w), strips \(partition.bounds), rank \(part)"
            for (what, difference) in [("output", relativeDifference(strip.y.scalars, rows(whole.y, own).scalars)),
                                       ("input gradient", relativeDifference(strip.dx.scalars, rows(whole.dx, own).scalars)),
                                       ("γ gradient", relativeDifference(strip.dGamma, whole.dGamma)),
                                       ("β gradient", relativeDifference(strip.dBeta, whole.dBeta))] {
                require(difference <= 1e-5, "\(name): \(what) differs by \(difference) (relative)")
            }
        }
    }
}

@MainActor func checkNetworks() {
    let part = communicator.rank
    // The UNet's total stride is 4: strips start on multiples of 4 (36 rows: uneven strips for
    // 4 ranks); where its inner strips fall under 8 rows it computes those levels whole
    // (StripLayout+WholeRegion), which the 36-, 16- and 64-row cases reach at different levels; ResNet and ESPCN have stride 1 and take an odd height. Mesh-free convolutions
    // borrow ⌈6σ·H⌉ rows from the strips around them: 12 at 64 rows with σ = 1/32, within the
    // adjacent strip on balanced strips; 39 with σ = 0.1, past it on 2–4 ranks and uneven strips.
    let networks: [(ModelConfiguration, height: Int, width: Int, uneven: Bool)] = [
        (ModelConfiguration(network: .unet, baseWidth: 8, groups: 4), 36, 20, true),
        (ModelConfiguration(network: .unet, baseWidth: 8, groups: 4, dropout: 0.3), 36, 20, true),
        (ModelConfiguration(network: .unet, baseWidth: 8, groups: 4, attention: true), 36, 20, true),
        // Strips of 4–8 rows at the input: computed whole from the first level on (28 rows on 4 ranks), or
        // split at the two finest levels of a deeper UNet and whole below (64 rows).
        (ModelConfiguration(network: .unet, baseWidth: 8, groups: 4, attention: true), 28, 12, true),
        (ModelConfiguration(network: .unet, baseWidth: 8, widthMultipliers: [1, 2, 4, 8], groups: 4, dropout: 0.3), 64, 8, true),
        (ModelConfiguration(network: .resnet, baseWidth: 8), 23, 9, true),
        (ModelConfiguration(network: .espcn), 23, 9, true),
        (ModelConfiguration(network: .unet, baseWidth: 8, groups: 4, convolution: .mfc), 64, 12, false),
        (ModelConfiguration(network: .resnet, baseWidth: 8, convolution: .mfc), 64, 7, false),
        (ModelConfiguration(network: .espcn, convolution: .mfc), 64, 7, false),
        (ModelConfiguration(network: .unet, baseWidth: 8, groups: 4, convolution: .mfc, mfcSigma: 0.1), 64, 8, true),
        (ModelConfiguration(network: .resnet, baseWidth: 8, convolution: .mfc, mfcSigma: 0.1), 64, 5, true),
    ]
    for (index, (configuration, h, w, uneven)) in networks.enumerated() {
        let model = try! makeModel(configuration, seed: 5)
        let input = randomTensor([2, configuration.imageChannels, h, w], stream: 200 + UInt64(index))
        let time: [Float] = [0.3, 0.8]
        let store = model.parameters
        // Perturbed parameters: the zero-initialised output layers would otherwise stop every
        // gradient before it reaches the layers under test.
        let perturbation = randomTensor([store.count], stream: 400 + UInt64(index)).scalars
        store.load(values: zip(store.snapshotValues(), perturbation).map { $0 + 0.05 * $1 })
        func gradients(_ input: Tensor, outputGradient: Tensor, context: ForwardContext) -> (output: Tensor, gradients: [Float]) {
            store.zeroGradients()
            let (output, pullback) = try! model.forward(input, time: time, context: context)
            pullback(outputGradient)
            return (output, Array(store.gradients))
        }
        // Dropout is on in training: its masks must be the whole image's, row for row.
        let evaluation = ForwardContext(training: configuration.dropout > 0, seed: 9, sampleIDs: [11, 12])
        let outputShape = try! model.forward(input, time: time, context: evaluation).output.shape
        let outputGradient = randomTensor(outputShape, stream: 300 + UInt64(index))
        let whole = gradients(input, outputGradient: outputGradient, context: evaluation)
        for partition in partitions(height: h, alignment: model.totalStride).prefix(uneven ? 2 : 1) {
            let own = partition.rows(of: part)
            var context = evaluation
            context.strips = StripLayout(group: communicator, rows: partition)
            var strip = gradients(rows(input, own), outputGradient: rows(outputGradient, own), context: context)
            strip.gradients.withUnsafeMutableBufferPointer { communicator.allreduce($0, op: .sum) }
            let name = "\(configuration.network.rawValue) on \(h)×\(w), strips \(partition.bounds), rank \(part)"
            let outputDifference = relativeDifference(strip.output.scalars, rows(whole.output, own).scalars)
            require(outputDifference <= 1e-5, "\(name): output differs by \(outputDifference) (relative)")
            for slot in store.slots {
                let difference = relativeDifference(Array(strip.gradients[slot.range]), Array(whole.gradients[slot.range]))
                // A mesh-free layer's log σ gradient is one scalar summed over every pixel, channel
                // and basis filter, with terms of both signs: its Float32 sums agree to 1e-4.
                let tolerance = slot.path.hasSuffix("log_sigma") ? 1e-4 : 1e-5
                require(difference <= tolerance, "\(name): gradient of \(slot.path) differs by \(difference) (relative)")
            }
        }
    }
}

let scenarios: [String: @MainActor () -> Void] = ["halo": checkHalo, "gather": checkGather, "conv": checkConvolutions, "norm": checkNormalisation,
                                                  "networks": checkNetworks]
let arguments = CommandLine.arguments.dropFirst()
guard arguments.count == 1, let scenario = scenarios[arguments.first!] else {
    FileHandle.standardError.write(Data("usage: mstrain-mpi-spatial-check \(scenarios.keys.sorted().joined(separator: "|"))\n".utf8))
    exit(64)
}
scenario()
communicator.barrier()
if communicator.isRoot { print("\(arguments.first!): ok on \(communicator.size) ranks") }
communicator.finalize()
