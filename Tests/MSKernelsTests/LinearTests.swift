import MSKernels
import MSTensor
import MSTestSupport
import XCTest

/// `Linear` against the direct-loop `LinearReference`, and the reference against central
/// differences.
final class LinearTests: XCTestCase {
    /// `[N, in]` input, `[out, in]` weight, `[out]` bias and `[N, out]` output gradient,
    /// seeded and rounded to Float.
    struct Problem {
        var rows, inputs, outputs: Int
        var input, weight, bias, outputGradient: [Double]

        init(rows: Int, inputs: Int, outputs: Int, seed: UInt64) {
            self.rows = rows
            self.inputs = inputs
            self.outputs = outputs
            let rounded = { (count: Int, seed: UInt64) in testValues(count, seed: seed).map { Double(Float($0)) } }
            input = rounded(rows * inputs, seed)
            weight = rounded(outputs * inputs, seed + 1)
            bias = rounded(outputs, seed + 2)
            outputGradient = rounded(rows * outputs, seed + 3)
        }
    }

    static let problems = [
        Problem(rows: 1, inputs: 1, outputs: 1, seed: 1),
        Problem(rows: 3, inputs: 7, outputs: 5, seed: 2),
        Problem(rows: 17, inputs: 33, outputs: 9, seed: 3),
        Problem(rows: 64, inputs: 130, outputs: 65, seed: 4),
    ]

    func testForwardMatchesReference() {
        for p in Self.problems {
            for hasBias in [false, true] {
                let expected = LinearReference.forward(input: p.input, weight: p.weight, bias: hasBias ? p.bias : nil,
                                                       inputFeatures: p.inputs, outputFeatures: p.outputs)
                let weight = p.weight.map(Float.init), bias = p.bias.map(Float.init)
                let output = weight.withUnsafeBufferPointer { w in
                    bias.withUnsafeBufferPointer { b in
                        Linear.forward(Tensor(shape: [p.rows, p.inputs], scalars: p.input.map(Float.init)),
                                       weight: w, bias: hasBias ? b : nil, outputFeatures: p.outputs)
                    }
                }
                XCTAssertEqual(output.shape, [p.rows, p.outputs])
                XCTAssertLessThan(relativeError(output.scalars.map(Double.init), expected), 1e-5)
            }
        }
    }

    func testBackwardMatchesReferenceAndAccumulates() {
        for p in Self.problems {
            let expected = LinearReference.backward(outputGradient: p.outputGradient, input: p.input, weight: p.weight,
                                                    inputFeatures: p.inputs, outputFeatures: p.outputs)
            let once = backward(p, times: 1), twice = backward(p, times: 2)
            XCTAssertLessThan(relativeError(once.input, expected.input), 1e-5)
            XCTAssertLessThan(relativeError(once.weight, expected.weight), 1e-5)
            XCTAssertLessThan(relativeError(once.bias, expected.bias), 1e-5)
            XCTAssertEqual(twice.input, once.input, "the input gradient is returned, not accumulated")
            XCTAssertLessThan(relativeError(twice.weight, once.weight.map { 2 * $0 }), 1e-6)
            XCTAssertLessThan(relativeError(twice.bias, once.bias.map { 2 * $0 }), 1e-6)
        }
    }

    /// The reference backward equals central differences of `L = Σ y · dY` in Float64.
    func testReferenceBackwardMatchesCentralDifferences() {
        let p = Problem(rows: 3, inputs: 4, outputs: 2, seed: 11)
        let loss = { (input: [Double], weight: [Double], bias: [Double]) -> Double in
            zip(LinearReference.forward(input: input, weight: weight, bias: bias, inputFeatures: p.inputs,
                                        outputFeatures: p.outputs), p.outputGradient)
                .reduce(0) { $0 + $1.0 * $1.1 }
        }
        let exact = LinearReference.backward(outputGradient: p.outputGradient, input: p.input, weight: p.weight,
                                             inputFeatures: p.inputs, outputFeatures: p.outputs)
        XCTAssertLessThan(relativeError(exact.input, numericalGradient(of: { loss($0, p.weight, p.bias) }, at: p.input)), 1e-7)
        XCTAssertLessThan(relativeError(exact.weight, numericalGradient(of: { loss(p.input, $0, p.bias) }, at: p.weight)), 1e-7)
        XCTAssertLessThan(relativeError(exact.bias, numericalGradient(of: { loss(p.input, p.weight, $0) }, at: p.bias)), 1e-7)
    }

    /// Runs `Linear.backward` `times` times into zeroed parameter gradients.
    private func backward(_ p: Problem, times: Int) -> (input: [Double], weight: [Double], bias: [Double]) {
        let weight = p.weight.map(Float.init)
        var weightGradient = [Float](repeating: 0, count: p.outputs * p.inputs)
        var biasGradient = [Float](repeating: 0, count: p.outputs)
        var inputGradient = Tensor(shape: [0])
        weight.withUnsafeBufferPointer { w in
            weightGradient.withUnsafeMutableBufferPointer { dw in
                biasGradient.withUnsafeMutableBufferPointer { db in
                    for _ in 0..<times {
                        inputGradient = Linear.backward(
                            outputGradient: Tensor(shape: [p.rows, p.outputs], scalars: p.outputGradient.map(Float.init)),
                            input: Tensor(shape: [p.rows, p.inputs], scalars: p.input.map(Float.init)),
                            weight: w, weightGradient: dw, biasGradient: db)
                    }
                }
            }
        }
        XCTAssertEqual(inputGradient.shape, [p.rows, p.inputs])
        return (inputGradient.scalars.map(Double.init), weightGradient.map(Double.init), biasGradient.map(Double.init))
    }
}
