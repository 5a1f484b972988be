import ArgumentParser
import MSKernels
import MSTensor

/// Which tables `bench kernels` prints.
enum BenchTables: String, CaseIterable, ExpressibleByArgument { case conv, mfc, all }

extension BenchKernels {
    /// Forward + backward milliseconds per sample of a mesh-free convolution (σ fixed at
    /// `--mfc-sigma`, and with its σ gradient) against a 3×3 convolution with the same channels,
    /// at each of `--mfc-sizes`; the mesh-free layer by the cost-based choice and forced to each
    /// method, so the choice can be checked against the measured times.
    func meshFreeTable() {
        let (c, n) = (mfcChannels, mfcBatch)
        print("")
        print("mesh-free convolution (σ = \(mfcSigma) of the side) against 3×3 convolution, \(c)→\(c) channels, batch \(n); "
              + "BLAS core \(BLAS.coreName), \(BLAS.threadCount) thread(s)")
        print("forward + backward (input and weight gradients), ms per sample, best of \(repeats) by \(Self.clockName)")
        let header = pad("H×W", 10) + pad("σ pixels", 10) + pad("radius", 8) + pad("3×3 conv", 11) + pad("mfc auto", 11)
            + pad("+σ grad", 11) + pad("mfc direct", 12) + pad("mfc fft", 11) + pad("auto/3×3", 9)
        print(header)
        print(String(repeating: "-", count: header.count))
        for side in meshFreeSides ?? [] {
            let shape = [n, c, side, side]
            let input = Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { Float($0 % 17) / 17 - 0.5 })
            let outputGradient = Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { Float($0 % 13) / 13 - 0.5 })
            let convolution = standardConvolutionSeconds(input: input, outputGradient: outputGradient)
            let weight = (0..<(c * c * MeshFreeConv.basisSize)).map { Float($0 % 7) / 70 - 0.05 }
            let bias = [Float](repeating: 0.1, count: c)
            var gradients = [Float](repeating: 0, count: weight.count + c + 1)
            func meshFree(_ method: MeshFreeConv.Method, sigmaGradient: Bool) -> Double {
                weight.withUnsafeBufferPointer { w in
                    bias.withUnsafeBufferPointer { b in
                        gradients.withUnsafeMutableBufferPointer { g in
                            let (dw, db) = (UnsafeMutableBufferPointer(rebasing: g[0..<weight.count]),
                                            UnsafeMutableBufferPointer(rebasing: g[weight.count..<(weight.count + c)]))
                            return best {
                                let basis = MeshFreeConv.forward(input, weight: w, bias: b, outputChannels: c, sigma: mfcSigma,
                                                                 method: method).basis
                                _ = MeshFreeConv.backward(outputGradient: outputGradient, input: input, basis: basis, weight: w,
                                                          sigma: mfcSigma, method: method, weightGradient: dw, biasGradient: db,
                                                          logSigmaGradient: sigmaGradient ? g.baseAddress! + weight.count + c : nil)
                            }
                        }
                    }
                }
            }
            let times = [convolution, meshFree(.automatic, sigmaGradient: false), meshFree(.automatic, sigmaGradient: true),
                         meshFree(.direct, sigmaGradient: false), meshFree(.fft, sigmaGradient: false)]
            let pixels = Double(mfcSigma) * Double(side)
            print(pad("\(side)×\(side)", 10) + pad(format(pixels, digits: 1), 10)
                  + pad("\(GaussianDerivativeTaps.radius(pixels: pixels))", 8)
                  + zip(times, [11, 11, 11, 12, 11]).map { pad(format(1000 * $0 / Double(n), digits: 2), $1) }.joined()
                  + pad(format(times[1] / times[0], digits: 1) + "×", 9))
        }
    }

    /// Seconds of forward + full backward of a 3×3, padding-1 convolution on `input`'s shape.
    private func standardConvolutionSeconds(input: Tensor, outputGradient: Tensor) -> Double {
        let g = Conv2dGeometry(inputShape: input.shape, outputChannels: input.channels, kernelSize: 3, stride: 1, padding: 1)
        let weight = (0..<g.weightCount).map { Float($0 % 7) / 70 - 0.05 }
        let bias = [Float](repeating: 0.1, count: g.outputChannels)
        var gradients = [Float](repeating: 0, count: g.weightCount + g.outputChannels)
        return weight.withUnsafeBufferPointer { w in
            bias.withUnsafeBufferPointer { b in
                gradients.withUnsafeMutableBufferPointer { gb in
                    best {
                        _ = Conv2d.forward(input, weight: w, bias: b, geometry: g)
                        _ = Conv2d.backward(outputGradient: outputGradient, input: input, weight: w, geometry: g,
                                            weightGradient: UnsafeMutableBufferPointer(rebasing: gb[0..<g.weightCount]),
                                            biasGradient: UnsafeMutableBufferPointer(rebasing: gb[g.weightCount...]))
                    }
                }
            }
        }
    }
}
