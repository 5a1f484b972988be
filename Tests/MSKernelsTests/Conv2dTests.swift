import MSKernels
import MSTensor
import MSTestSupport
import XCTest

/// `Conv2d` against the direct-loop `Conv2dReference`, on each path (`Conv2d.Algorithm`), and the
/// reference against central differences.
final class Conv2dTests: XCTestCase {
    /// One test problem: geometry, whether it has a bias, and seeded values rounded to Float.
    struct Problem {
        var geometry: Conv2dGeometry
        var hasBias: Bool
        var input, weight, bias, outputGradient: [Double]

        init(_ g: Conv2dGeometry, bias hasBias: Bool, seed: UInt64) {
            geometry = g
            self.hasBias = hasBias
            let rounded = { (count: Int, seed: UInt64) in testValues(count, seed: seed).map { Double(Float($0)) } }
            input = rounded(g.inputShape.reduce(1, *), seed)
            weight = rounded(g.weightCount, seed + 1)
            bias = rounded(g.outputChannels, seed + 2)
            outputGradient = rounded(g.outputShape.reduce(1, *), seed + 3)
        }

        var inputTensor: Tensor { Tensor(shape: geometry.inputShape, scalars: input.map(Float.init)) }
        var outputGradientTensor: Tensor { Tensor(shape: geometry.outputShape, scalars: outputGradient.map(Float.init)) }
        var weightFloats: [Float] { weight.map(Float.init) }
        var biasFloats: [Float] { bias.map(Float.init) }
    }

    /// Shapes covering odd sizes, kernels 1/3/5, strides 1/2, padding 0/1/2, batch 1 and 3,
    /// with and without bias; the later ones are large enough to be cut into row bands, to run
    /// the pointwise path on whole images, and to put several small samples into one GEMM; the
    /// last four give the direct path several blocks per sample (the last two also several
    /// bands), with output channels that are not a multiple of its 4-row tiles, and (the last) a
    /// stride-1 input gradient on the direct adjoint (padding ≥ kernel size, which the transposed
    /// forward does not take). The strided ones from 33×35 on are wide enough for the direct
    /// path's vector column split; the next two give it padding 0 and 2 on odd widths; the even
    /// kernel after them has an input row that no output reads. The last two are 1×1 layers for
    /// the one-pass backward (`PointwiseBackward`): channel counts off its tiles (6 outputs × 16
    /// inputs) and its 8×8 transposes, several pixel chunks per sample with a ragged last one.
    static let problems: [Problem] = {
        let shapes: [(n: Int, c: Int, o: Int, h: Int, w: Int, k: Int, s: Int, p: Int, bias: Bool)] = [
            (1, 1, 1, 5, 5, 3, 1, 0, false),
            (3, 2, 3, 7, 5, 3, 1, 1, true),
            (3, 3, 2, 9, 8, 3, 2, 1, false),
            (1, 4, 5, 6, 7, 1, 1, 0, true),
            (3, 5, 4, 5, 9, 1, 1, 0, false),
            (3, 2, 3, 9, 7, 1, 2, 0, true),
            (1, 3, 4, 11, 9, 5, 1, 2, true),
            (3, 2, 2, 10, 13, 5, 2, 2, false),
            (3, 3, 3, 8, 8, 5, 2, 0, true),
            (1, 2, 3, 4, 4, 3, 1, 2, true),
            (1, 8, 4, 65, 67, 5, 1, 2, true),
            (3, 6, 5, 33, 35, 3, 2, 1, false),
            (1, 5, 6, 40, 41, 1, 1, 0, true),
            (3, 4, 3, 31, 33, 3, 1, 1, true),
            (1, 48, 6, 40, 41, 3, 1, 1, true),
            (2, 48, 5, 41, 42, 3, 2, 1, false),
            (1, 64, 3, 66, 66, 3, 2, 1, true),
            (1, 700, 1, 8, 8, 5, 1, 5, false),
            (2, 4, 3, 12, 35, 3, 2, 0, false),
            (1, 3, 4, 20, 37, 5, 2, 2, true),
            (2, 3, 4, 11, 13, 4, 2, 0, true),
            (2, 19, 13, 11, 23, 1, 1, 0, true),
            (2, 40, 70, 9, 10, 1, 1, 0, false),
        ]
        return shapes.enumerated().map { index, s in
            Problem(Conv2dGeometry(batch: s.n, inputChannels: s.c, outputChannels: s.o, inputHeight: s.h, inputWidth: s.w,
                                   kernelSize: s.k, stride: s.s, padding: s.p),
                    bias: s.bias, seed: UInt64(100 * index + 7))
        }
    }()

    func testGeometry() {
        let g = Conv2dGeometry(inputShape: [2, 3, 9, 8], outputChannels: 4, kernelSize: 3, stride: 2, padding: 1)
        XCTAssertEqual(g.outputShape, [2, 4, 5, 4])
        XCTAssertEqual(g.inputShape, [2, 3, 9, 8])
        XCTAssertEqual(g.patchSize, 27)
        XCTAssertEqual(g.weightCount, 108)
        XCTAssertEqual(g.forwardFlops, 2 * 2 * 4 * 20 * 27)
        XCTAssertFalse(g.isPointwise)
        XCTAssertTrue(Conv2dGeometry(inputShape: [1, 3, 4, 4], outputChannels: 2, kernelSize: 1).isPointwise)
        XCTAssertFalse(Conv2dGeometry(inputShape: [1, 3, 4, 4], outputChannels: 2, kernelSize: 1, stride: 2).isPointwise)
    }

    /// The paths the tests run: each forced one, and the automatic choice.
    static let algorithms = Conv2d.Algorithm.allCases

    /// The automatic choice for each class of BLAS kernel, on a thin and a wide layer at 64² and
    /// 32², a thin one at 8², a 1×1 and a strided one; and the classes of OpenBLAS's core names.
    func testAutomaticChoice() {
        let thin = Conv2dGeometry(batch: 2, inputChannels: 32, outputChannels: 32, inputHeight: 64, inputWidth: 64,
                                  kernelSize: 3, padding: 1)
        let wide = Conv2dGeometry(batch: 2, inputChannels: 128, outputChannels: 128, inputHeight: 32, inputWidth: 32,
                                  kernelSize: 3, padding: 1)
        let small = Conv2dGeometry(batch: 2, inputChannels: 32, outputChannels: 32, inputHeight: 8, inputWidth: 8,
                                   kernelSize: 3, padding: 1)
        let pointwise = Conv2dGeometry(batch: 2, inputChannels: 32, outputChannels: 64, inputHeight: 64, inputWidth: 64,
                                       kernelSize: 1)
        let strided = Conv2dGeometry(batch: 2, inputChannels: 32, outputChannels: 32, inputHeight: 64, inputWidth: 64,
                                     kernelSize: 3, stride: 2, padding: 1)
        let (d, gemm) = (Conv2d.Algorithm.direct, Conv2d.Algorithm.im2colGEMM)
        let expected: [(Conv2d.BLASVectors, [[Conv2d.Algorithm]])] = [
            (.fma256, [[d, d, d], [gemm, gemm, d], [gemm, gemm, gemm], [d, d, gemm], [d, d, d]]),
            (.narrow, [[d, d, d], [d, d, d], [gemm, gemm, gemm], [d, d, d], [d, d, d]]),
            (.fma512, [[d, gemm, d], [gemm, gemm, gemm], [gemm, gemm, gemm], [gemm, gemm, gemm], [d, d, d]]),
        ]
        for (vectors, paths) in expected {
            for (g, path) in zip([thin, wide, small, pointwise, strided], paths) {
                let chosen = [Conv2d.Pass.forward, .inputGradient, .weightGradient].map {
                    Conv2d.Algorithm.automatic.resolved(for: g, pass: $0, vectors: vectors)
                }
                XCTAssertEqual(chosen, path, "\(vectors) \(g)")
            }
        }
        // Both gradients of a 1×1 layer in one pass: only widening ones, not next to 512-bit GEMM.
        let narrowing = Conv2dGeometry(batch: 2, inputChannels: 96, outputChannels: 32, inputHeight: 64, inputWidth: 64,
                                       kernelSize: 1)
        for (vectors, fused) in [(Conv2d.BLASVectors.fma256, d), (.narrow, d), (.fma512, gemm)] {
            XCTAssertEqual(Conv2d.Algorithm.automatic.resolved(for: pointwise, pass: .backward, vectors: vectors), fused, "\(vectors)")
            for g in [thin, small, narrowing] {
                XCTAssertEqual(Conv2d.Algorithm.automatic.resolved(for: g, pass: .backward, vectors: vectors), gemm, "\(vectors) \(g)")
            }
        }
        XCTAssertEqual(Conv2d.Algorithm.direct.resolved(for: small, pass: .forward, vectors: .fma256), .direct)
        XCTAssertEqual(Conv2d.BLASVectors(coreName: "Zen"), .fma256)
        XCTAssertEqual(Conv2d.BLASVectors(coreName: "Haswell"), .fma256)
        XCTAssertEqual(Conv2d.BLASVectors(coreName: "SkylakeX"), .fma512)
        XCTAssertEqual(Conv2d.BLASVectors(coreName: "Prescott"), .narrow)
    }

    func testForwardMatchesReference() {
        for algorithm in Self.algorithms {
            for problem in Self.problems {
                let g = problem.geometry
                let expected = Conv2dReference.forward(input: problem.input, weight: problem.weight,
                                                       bias: problem.hasBias ? problem.bias : nil, geometry: g)
                let output = problem.weightFloats.withUnsafeBufferPointer { w in
                    problem.biasFloats.withUnsafeBufferPointer { b in
                        Conv2d.forward(problem.inputTensor, weight: w, bias: problem.hasBias ? b : nil, geometry: g,
                                       algorithm: algorithm)
                    }
                }
                XCTAssertEqual(output.shape, g.outputShape)
                XCTAssertLessThan(relativeError(output.scalars.map(Double.init), expected), 1e-5,
                                  "\(algorithm) \(g) bias \(problem.hasBias)")
            }
        }
    }

    func testBackwardMatchesReference() {
        for algorithm in Self.algorithms {
            for problem in Self.problems {
                let g = problem.geometry
                let expected = Conv2dReference.backward(outputGradient: problem.outputGradient, input: problem.input,
                                                        weight: problem.weight, geometry: g)
                let (inputGradient, weightGradient, biasGradient) = backward(problem, times: 1, algorithm: algorithm)
                XCTAssertLessThan(relativeError(inputGradient, expected.input), 1e-5, "input gradient \(algorithm) \(g)")
                XCTAssertLessThan(relativeError(weightGradient, expected.weight), 1e-5, "weight gradient \(algorithm) \(g)")
                XCTAssertLessThan(relativeError(biasGradient, expected.bias), 1e-5, "bias gradient \(algorithm) \(g)")
            }
        }
    }

    func testBackwardAccumulatesParameterGradients() {
        for algorithm in Self.algorithms {
            for problem in [Self.problems[1], Self.problems[6], Self.problems[10], Self.problems[12], Self.problems[14],
                            Self.problems[21]] {
                let once = backward(problem, times: 1, algorithm: algorithm), twice = backward(problem, times: 2, algorithm: algorithm)
                XCTAssertEqual(twice.input, once.input, "the input gradient is returned, not accumulated")
                XCTAssertLessThan(relativeError(twice.weight, once.weight.map { 2 * $0 }), 1e-6, "\(algorithm)")
                XCTAssertLessThan(relativeError(twice.bias, once.bias.map { 2 * $0 }), 1e-6, "\(algorithm)")
            }
        }
    }

    func testBackwardWithoutInputGradient() {
        for algorithm in Self.algorithms {
            let problem = Self.problems[2], g = problem.geometry
            var weightGradient = [Float](repeating: 0, count: g.weightCount)
            let result = problem.weightFloats.withUnsafeBufferPointer { w in
                weightGradient.withUnsafeMutableBufferPointer { dw in
                    Conv2d.backward(outputGradient: problem.outputGradientTensor, input: problem.inputTensor, weight: w,
                                    geometry: g, weightGradient: dw, biasGradient: nil, computeInputGradient: false,
                                    algorithm: algorithm)
                }
            }
            XCTAssertNil(result)
            let full = backward(problem, times: 1, algorithm: algorithm)
            XCTAssertLessThan(relativeError(weightGradient.map(Double.init), full.weight), 1e-6, "\(algorithm)")
        }
    }

    func testInputGradientAloneMatchesBackward() {
        for algorithm in Self.algorithms {
            for problem in Self.problems {
                let inputGradient = problem.weightFloats.withUnsafeBufferPointer { w in
                    Conv2d.inputGradient(outputGradient: problem.outputGradientTensor, weight: w, geometry: problem.geometry,
                                         algorithm: algorithm)
                }
                XCTAssertEqual(inputGradient.scalars.map(Double.init), backward(problem, times: 1, algorithm: algorithm).input,
                               "\(algorithm) \(problem.geometry)")
            }
        }
    }

    /// The reference backward equals central differences of `L = Σ out · dY` in Float64.
    func testReferenceBackwardMatchesCentralDifferences() {
        let geometries = [
            Conv2dGeometry(batch: 2, inputChannels: 2, outputChannels: 3, inputHeight: 5, inputWidth: 4,
                           kernelSize: 3, stride: 2, padding: 1),
            Conv2dGeometry(batch: 1, inputChannels: 3, outputChannels: 2, inputHeight: 4, inputWidth: 5,
                           kernelSize: 3, stride: 1, padding: 0),
            Conv2dGeometry(batch: 2, inputChannels: 2, outputChannels: 2, inputHeight: 3, inputWidth: 3,
                           kernelSize: 1, stride: 1, padding: 0),
        ]
        for (index, g) in geometries.enumerated() {
            let p = Problem(g, bias: true, seed: UInt64(900 + index))
            let loss = { (input: [Double], weight: [Double], bias: [Double]) -> Double in
                zip(Conv2dReference.forward(input: input, weight: weight, bias: bias, geometry: g), p.outputGradient)
                    .reduce(0) { $0 + $1.0 * $1.1 }
            }
            let exact = Conv2dReference.backward(outputGradient: p.outputGradient, input: p.input, weight: p.weight, geometry: g)
            let dInput = numericalGradient(of: { loss($0, p.weight, p.bias) }, at: p.input)
            let dWeight = numericalGradient(of: { loss(p.input, $0, p.bias) }, at: p.weight)
            let dBias = numericalGradient(of: { loss(p.input, p.weight, $0) }, at: p.bias)
            XCTAssertLessThan(relativeError(exact.input, dInput), 1e-7, "input \(g)")
            XCTAssertLessThan(relativeError(exact.weight, dWeight), 1e-7, "weight \(g)")
            XCTAssertLessThan(relativeError(exact.bias, dBias), 1e-7, "bias \(g)")
        }
    }

    /// Runs `Conv2d.backward` `times` times into zeroed parameter gradients.
    private func backward(_ problem: Problem, times: Int,
                          algorithm: Conv2d.Algorithm) -> (input: [Double], weight: [Double], bias: [Double]) {
        let g = problem.geometry
        var weightGradient = [Float](repeating: 0, count: g.weightCount)
        var biasGradient = [Float](repeating: 0, count: g.outputChannels)
        var inputGradient: Tensor?
        problem.weightFloats.withUnsafeBufferPointer { w in
            weightGradient.withUnsafeMutableBufferPointer { dw in
                biasGradient.withUnsafeMutableBufferPointer { db in
                    for _ in 0..<times {
                        inputGradient = Conv2d.backward(outputGradient: problem.outputGradientTensor, input: problem.inputTensor,
                                                        weight: w, geometry: g, weightGradient: dw, biasGradient: db,
                                                        algorithm: algorithm)
                    }
                }
            }
        }
        XCTAssertEqual(inputGradient?.shape, g.inputShape)
        return (inputGradient!.scalars.map(Double.init), weightGradient.map(Double.init), biasGradient.map(Double.init))
    }
}
