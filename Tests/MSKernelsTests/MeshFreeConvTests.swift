import Foundation
import MSKernels
import MSTensor
import MSTestSupport
import XCTest

/// The mesh-free convolution: its filters' moments, both methods against the direct 2-D
/// reference, gradients against central differences of the reference, and mesh convergence.
final class MeshFreeConvTests: XCTestCase {
    /// One small problem on a non-square plane, so that the x and y axes cannot be confused.
    struct Problem {
        let shape: [Int], outputChannels: Int, sigma: Double
        let input, weight, bias, outputGradient: [Double]

        init(shape: [Int], outputChannels: Int, sigma: Double, seed: UInt64) {
            self.shape = shape
            self.outputChannels = outputChannels
            self.sigma = sigma
            input = KernelCheck.values(shape.reduce(1, *), seed: seed)
            weight = KernelCheck.values(outputChannels * shape[1] * 6, seed: seed + 1, scale: 0.5)
            bias = KernelCheck.values(outputChannels, seed: seed + 2)
            outputGradient = KernelCheck.values(shape[0] * outputChannels * shape[2] * shape[3], seed: seed + 3)
        }

        var outputShape: [Int] { [shape[0], outputChannels, shape[2], shape[3]] }

        func reference(input: [Double]? = nil, weight: [Double]? = nil, bias: [Double]? = nil, sigma: Double? = nil) -> [Double] {
            MeshFreeConvReference.forward(input: input ?? self.input, shape: shape, weight: weight ?? self.weight,
                                          bias: bias ?? self.bias, outputChannels: outputChannels, sigma: sigma ?? self.sigma)
        }
    }

    /// σ spans 1.3 pixels along y (13 rows) and 1.1 along x (11 columns): radii 8 and 7.
    let problem = Problem(shape: [2, 2, 13, 11], outputChannels: 3, sigma: 0.1, seed: 11)

    func testTapMomentsAreExactAndLogSigmaDerivativesMatchDifferences() {
        for pixels in [0.3, 1.1, 2.37, 7.9] {
            let taps = GaussianDerivativeTaps(pixels: pixels)
            let r = taps.radius
            let k = (-r...r).map(Double.init)
            func moment(_ order: Int, _ power: Double) -> Double { zip(k, taps.values[order]).reduce(0) { $0 + pow($1.0, power) * $1.1 } }
            XCTAssertEqual(moment(0, 0), 1, accuracy: 1e-12, "Σ g0 at s = \(pixels)")
            XCTAssertEqual(moment(1, 1), -pixels, accuracy: 1e-12 * pixels, "Σ k·g1 at s = \(pixels)")
            XCTAssertEqual(moment(2, 0), 0, accuracy: 1e-12, "Σ g2 at s = \(pixels)")
            XCTAssertEqual(moment(2, 2), 2 * pixels * pixels, accuracy: 1e-10 * pixels * pixels, "Σ k²·g2 at s = \(pixels)")
            let step = 1e-6
            let up = GaussianDerivativeTaps(pixels: pixels * exp(step)), down = GaussianDerivativeTaps(pixels: pixels * exp(-step))
            XCTAssertEqual(up.radius, r)
            for order in 0..<3 {
                let numeric = zip(up.values[order], down.values[order]).map { ($0 - $1) / (2 * step) }
                XCTAssertLessThan(relativeError(taps.logSigmaDerivatives[order], numeric), 1e-6, "d g\(order)/d log σ at s = \(pixels)")
            }
        }
        // Wide filters are the continuous scale-normalised derivatives up to the truncation at 4σ
        // (whose tail the moment normalisation spreads over the taps: under 1%).
        let taps = GaussianDerivativeTaps(pixels: 6)
        let g = { (k: Double) in exp(-k * k / 72) / (6 * (2 * Double.pi).squareRoot()) }
        XCTAssertEqual(taps.values[0][taps.radius + 3], g(3), accuracy: 1e-3 * g(3))
        XCTAssertEqual(taps.values[1][taps.radius + 3], -0.5 * g(3), accuracy: 1e-2 * g(3))
        XCTAssertEqual(taps.values[2][taps.radius + 3], (0.25 - 1) * g(3), accuracy: 1e-2 * g(3))
    }

    func testBothMethodsMatchTheReference() {
        let expected = problem.reference()
        let weight = problem.weight.map(Float.init), bias = problem.bias.map(Float.init)
        for method in MeshFreeConv.Method.allCases {
            let (output, basis) = weight.withUnsafeBufferPointer { w in
                bias.withUnsafeBufferPointer { b in
                    MeshFreeConv.forward(KernelCheck.tensor(problem.input, shape: problem.shape), weight: w, bias: b,
                                         outputChannels: problem.outputChannels, sigma: Float(problem.sigma), method: method)
                }
            }
            KernelCheck.assertClose(output, expected, shape: problem.outputShape, "forward, \(method)")
            XCTAssertEqual(basis.shape, [2, 12, 13, 11])
        }
    }

    func testFFTAndDirectAgreeOnWideFilters() {
        // σ spans 12.8 pixels: radius 77, where the FFT is the cheaper method on a 256-pixel side.
        let input = KernelCheck.tensor(KernelCheck.values(2 * 128 * 96, seed: 5), shape: [1, 2, 128, 96])
        let direct = MeshFreeConv.basis(input, sigma: 0.1, method: .direct)
        let fft = MeshFreeConv.basis(input, sigma: 0.1, method: .fft)
        XCTAssertLessThan(Double(direct.maxAbsDifference(fft)), 1e-5 * Double(direct.scalars.map(abs).max()!))
        let pass = AxisFilterPass(axis: .x, filters: [GaussianDerivativeTaps(pixels: 12.8).floats(0)],
                                  terms: [.init(source: 0, filter: 0, output: 0)])
        XCTAssertEqual(pass.cheaperMethod(height: 256, width: 256), .fft)
        let narrow = AxisFilterPass(axis: .x, filters: [GaussianDerivativeTaps(pixels: 1).floats(0)],
                                    terms: [.init(source: 0, filter: 0, output: 0)])
        XCTAssertEqual(narrow.cheaperMethod(height: 128, width: 128), .direct)
    }

    /// Fast backward (both methods) against central differences of the Float64 reference, for the
    /// input, the weights, the bias and log σ.
    func testBackwardMatchesCentralDifferences() {
        let p = problem
        let g = p.outputGradient
        let numericInput = numericalGradient(of: { KernelCheck.dot(g, p.reference(input: $0)) }, at: p.input)
        let numericWeight = numericalGradient(of: { KernelCheck.dot(g, p.reference(weight: $0)) }, at: p.weight)
        let numericBias = numericalGradient(of: { KernelCheck.dot(g, p.reference(bias: $0)) }, at: p.bias)
        let numericLogSigma = numericalGradient(of: { KernelCheck.dot(g, p.reference(sigma: exp($0[0]))) }, at: [log(p.sigma)])
        let weight = p.weight.map(Float.init), bias = p.bias.map(Float.init)
        let input = KernelCheck.tensor(p.input, shape: p.shape)
        for method in MeshFreeConv.Method.allCases {
            var weightGradient = [Float](repeating: 0, count: weight.count)
            var biasGradient = [Float](repeating: 0, count: bias.count)
            var logSigmaGradient: Float = 0
            let inputGradient = weight.withUnsafeBufferPointer { w in
                let basis = MeshFreeConv.forward(input, weight: w, bias: nil, outputChannels: p.outputChannels,
                                                 sigma: Float(p.sigma), method: method).basis
                return weightGradient.withUnsafeMutableBufferPointer { dw in
                    biasGradient.withUnsafeMutableBufferPointer { db in
                        MeshFreeConv.backward(outputGradient: KernelCheck.tensor(g, shape: p.outputShape), input: input, basis: basis,
                                              weight: w, sigma: Float(p.sigma), method: method, weightGradient: dw,
                                              biasGradient: db, logSigmaGradient: &logSigmaGradient)
                    }
                }
            }
            KernelCheck.assertClose(inputGradient!, numericInput, shape: p.shape, tolerance: 1e-4, "input gradient, \(method)")
            KernelCheck.assertClose(weightGradient, numericWeight, tolerance: 1e-4, "weight gradient, \(method)")
            KernelCheck.assertClose(biasGradient, numericBias, tolerance: 1e-4, "bias gradient, \(method)")
            XCTAssertEqual(Double(logSigmaGradient), numericLogSigma[0], accuracy: 1e-4 * abs(numericLogSigma[0]),
                           "log σ gradient, \(method)")
        }
    }

    /// A smooth field sampled at the mesh's vertices `(i/n, j/n)`, so that injection keeps the
    /// points the coarse mesh samples: a Gaussian bump times waves, below 1e-6 at the boundary
    /// (where the zero padding would otherwise cut it off differently on each mesh).
    static func smoothField(side n: Int, channels: Int) -> Tensor {
        var scalars: [Float] = []
        for c in 0..<channels {
            for i in 0..<n {
                for j in 0..<n {
                    let (y, x) = (Double(i) / Double(n), Double(j) / Double(n))
                    let bump = exp(-((x - 0.5) * (x - 0.5) + (y - 0.5) * (y - 0.5)) / (2 * 0.09 * 0.09))
                    scalars.append(Float(bump * (1 + 0.5 * sin(2 * Double.pi * (2 * x + Double(c) * y)))))
                }
            }
        }
        return Tensor(shape: [1, channels, n, n], scalars: scalars)
    }

    /// `‖R(out_n) − out_{n/2}‖ / ‖out_{n/2}‖` with injection `R`, for one weight set.
    static func meshDifference(side n: Int, sigma: Float, weight: [Float]) -> Double {
        func output(_ side: Int) -> Tensor {
            weight.withUnsafeBufferPointer {
                MeshFreeConv.forward(smoothField(side: side, channels: 2), weight: $0, bias: nil, outputChannels: 3, sigma: sigma).output
            }
        }
        let coarse = output(n / 2), restricted = Resample.restrictInject(output(n))
        let difference = (restricted - coarse).scalars.reduce(0.0) { $0 + Double($1 * $1) }
        return (difference / coarse.scalars.reduce(0.0) { $0 + Double($1 * $1) }).squareRoot()
    }

    /// With σ fixed in physical units (1/32: 0.5, 1, 2, 4 pixels at n = 16 … 128), the restricted
    /// output at h approaches the output at 2h at least 4× faster per halving of h, down to the
    /// Float32 rounding floor.
    func testMeshConvergenceOnSmoothInput() {
        let weight = KernelCheck.values(3 * 2 * 6, seed: 21).map(Float.init)
        let differences = [32, 64, 128].map { Self.meshDifference(side: $0, sigma: 1.0 / 32, weight: weight) }
        let floor = 1e-6
        print("MFC mesh differences n = 32, 64, 128 (σ = 1/32):", differences)
        XCTAssertGreaterThan(differences[0], 10 * floor, "the coarsest pair must differ measurably for the test to mean anything")
        for (a, b) in zip(differences, differences.dropFirst()) {
            XCTAssertTrue(b <= a / 4 || b < floor, "difference fell from \(a) to \(b): less than 4× per halving")
        }
    }

    /// The same weights at 32×32 and 512×512: on a smooth field the 512 output, injected down to
    /// 32, agrees with the 32 output once σ spans a few pixels at 32 (σ = 1/16: 2 to 32 pixels).
    func testSameWeightsFrom32To512() {
        let weight = KernelCheck.values(3 * 2 * 6, seed: 22).map(Float.init)
        func output(_ side: Int) -> Tensor {
            weight.withUnsafeBufferPointer {
                MeshFreeConv.forward(Self.smoothField(side: side, channels: 2), weight: $0, bias: nil, outputChannels: 3,
                                     sigma: 1.0 / 16).output
            }
        }
        var fine = output(512)
        XCTAssertEqual(fine.shape, [1, 3, 512, 512])
        for _ in 0..<4 { fine = Resample.restrictInject(fine) }
        let coarse = output(32)
        let difference = Double(fine.maxAbsDifference(coarse)) / Double(coarse.scalars.map(abs).max()!)
        print("MFC 512 → 32 relative difference (σ = 1/16):", difference)
        XCTAssertLessThan(difference, 1e-4)
    }
}
