import MSTensor

// Legend: n sample, c input channel, α basis filter (0…5), H×W plane, P = H·W pixels,
// B the basis responses [N, 6·C_in, H, W] (channel c·6 + α), a/b derivative orders along y/x.

/// Mesh-free convolution (docs/method.md section 4):
///
///     out[n, o] = bias[o] + Σ_{c, α} weight[o, c, α] · (∂^α G_σ * in[n, c]),
///     α ∈ (1, ∂x, ∂y, ∂xx, ∂xy, ∂yy)
///
/// with the scale-normalised Gaussian derivatives `σ^{|α|} ∂^α G_σ` (dimensionless, so the
/// weights have the same scale at every σ and mesh) of width σ in units of the unit square:
/// on an `H × W` plane σ spans `σ·H` pixels along y and `σ·W` along x (see
/// `GaussianDerivativeTaps` for the sampling and normalisation). Zero padding, like the 3×3
/// convolutions. Each basis filter is separable, so the six responses take three 1-D passes
/// along y and six along x (`AxisFilterPass`), then the channel mixing is one GEMM per sample
/// with `weight` as a `[C_out, 6·C_in]` matrix. Each pass runs directly or by FFT, whichever
/// `AxisFilterPass.cost` says is cheaper (`Method.automatic`); both give the same result up to
/// Float32 rounding.
public enum MeshFreeConv {
    /// Basis filters per input channel.
    public static let basisSize = 6
    /// Derivative orders `(along y, along x)` of basis filter α: 1, ∂x, ∂y, ∂xx, ∂xy, ∂yy.
    public static let derivativeOrders: [(y: Int, x: Int)] = [(0, 0), (0, 1), (1, 0), (0, 2), (1, 1), (2, 0)]

    /// How the 1-D filter passes are computed.
    public enum Method: String, CaseIterable, Sendable {
        /// Per pass, the cheaper of `direct` and `fft` by estimated cost.
        case automatic
        /// Direct 1-D convolutions, cost ∝ radius.
        case direct
        /// Zero-padded FFT convolutions, cost ∝ log(length).
        case fft
    }

    /// The 1-D passes of one call, for taps along y (σ·H pixels) and along x (σ·W pixels).
    struct Passes {
        /// Basis: `Y_a = g_a ⋆_y u` (a = 0, 1, 2), then `B_α = g_b ⋆_x Y_a`.
        let basisY, basisX: AxisFilterPass
        /// Input gradient: `X_a = Σ_b flip(g_b) ⋆_x dB_(a,b)`, then `dx = Σ_a flip(g_a) ⋆_y X_a`.
        let adjointX, adjointY: AxisFilterPass
        /// σ gradient: `Y_a` and `Y'_a = (∂g_a) ⋆_y u`, then `∂B_α = g_b ⋆_x Y'_a + (∂g_b) ⋆_x Y_a`.
        let logSigmaY, logSigmaX: AxisFilterPass

        init(sigma: Float, height: Int, width: Int) {
            precondition(sigma > 0 && sigma.isFinite, "MeshFreeConv: σ must be positive and finite, got \(sigma)")
            let y = GaussianDerivativeTaps(pixels: Double(sigma) * Double(height))
            let x = GaussianDerivativeTaps(pixels: Double(sigma) * Double(width))
            let orders = 0..<GaussianDerivativeTaps.orders
            basisY = AxisFilterPass(axis: .y, filters: orders.map { y.floats($0) },
                                    terms: orders.map { .init(source: 0, filter: $0, output: $0) })
            basisX = AxisFilterPass(axis: .x, filters: orders.map { x.floats($0) },
                                    terms: derivativeOrders.enumerated().map { .init(source: $1.y, filter: $1.x, output: $0) })
            adjointX = AxisFilterPass(axis: .x, filters: orders.map { x.floats($0, flipped: true) },
                                      terms: derivativeOrders.enumerated().map { .init(source: $0, filter: $1.x, output: $1.y) })
            adjointY = AxisFilterPass(axis: .y, filters: orders.map { y.floats($0, flipped: true) },
                                      terms: orders.map { .init(source: $0, filter: $0, output: 0) })
            // Filters and outputs 0…2 are g_a, 3…5 are ∂g_a/∂log σ.
            logSigmaY = AxisFilterPass(axis: .y, filters: orders.map { y.floats($0) } + orders.map { y.floats($0, derivative: true) },
                                       terms: (0..<6).map { .init(source: 0, filter: $0, output: $0) })
            logSigmaX = AxisFilterPass(
                axis: .x, filters: orders.map { x.floats($0) } + orders.map { x.floats($0, derivative: true) },
                terms: derivativeOrders.enumerated().flatMap { α, order -> [AxisFilterPass.Term] in
                    [.init(source: 3 + order.y, filter: order.x, output: α), .init(source: order.y, filter: 3 + order.x, output: α)]
                })
        }
    }

    /// The six basis responses of every input channel: `[N, C, H, W]` → `[N, 6·C, H, W]`, channel
    /// `c·6 + α`.
    /// `imageHeight`: the height σ is measured against when `input` is a band of rows of a
    /// taller image (a strip with its halo); default `H`.
    public static func basis(_ input: Tensor, sigma: Float, imageHeight: Int? = nil, method: Method = .automatic) -> Tensor {
        let (h, w) = (input.height, input.width)
        let passes = Passes(sigma: sigma, height: imageHeight ?? h, width: w)
        let planes = input.batch * input.channels, p = h * w
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: 3 * p)
        defer { scratch.deallocate() }
        return input.withUnsafeBufferPointer { xb in
            Vectorised.makeTensor(shape: [input.batch, basisSize * input.channels, h, w]) { b in
                for plane in 0..<planes {
                    passes.basisY.apply(height: h, width: w, sources: [xb.baseAddress! + plane * p],
                                        outputs: (0..<3).map { scratch + $0 * p }, method: resolve(method, passes.basisY, h, w))
                    passes.basisX.apply(height: h, width: w, sources: (0..<3).map { UnsafePointer(scratch + $0 * p) },
                                        outputs: (0..<basisSize).map { b + (plane * basisSize + $0) * p },
                                        method: resolve(method, passes.basisX, h, w))
                }
            }
        }
    }

    /// `input` `[N, C_in, H, W]`, `weight` `[C_out, C_in, 6]`, `bias` `[C_out]` or nil →
    /// `output` `[N, C_out, H, W]`, and the basis responses `[N, 6·C_in, H, W]` that `backward`
    /// needs. `imageHeight` as for `basis`.
    public static func forward(_ input: Tensor, weight: UnsafeBufferPointer<Float>, bias: UnsafeBufferPointer<Float>?,
                               outputChannels: Int, sigma: Float, imageHeight: Int? = nil,
                               method: Method = .automatic) -> (output: Tensor, basis: Tensor) {
        let k = basisSize * input.channels, p = input.height * input.width
        checkWeight(weight.count, outputChannels: outputChannels, inputChannels: input.channels, "MeshFreeConv.forward")
        precondition(bias == nil || bias!.count == outputChannels,
                     "MeshFreeConv.forward: bias has \(bias!.count) elements, expected [\(outputChannels)]")
        let responses = basis(input, sigma: sigma, imageHeight: imageHeight, method: method)
        let output = responses.withUnsafeBufferPointer { bb in
            Vectorised.makeTensor(shape: [input.batch, outputChannels, input.height, input.width]) { y in
                for n in 0..<input.batch {
                    let out = y + n * outputChannels * p
                    BLAS.sgemm(transposeA: false, transposeB: false, m: outputChannels, n: p, k: k, alpha: 1,
                               a: weight.baseAddress!, lda: k, b: bb.baseAddress! + n * k * p, ldb: p, beta: 0, c: out, ldc: p)
                    if let bias {
                        for o in 0..<outputChannels {
                            let row = out + o * p, value = bias[o]
                            for j in 0..<p { row[j] += value }
                        }
                    }
                }
            }
        }
        return (output, responses)
    }

    /// Backward of `forward` given `outputGradient = dL/dout` `[N, C_out, H, W]` and the `basis`
    /// that `forward` returned.
    ///
    /// **Accumulates** `dL/dweight` into `weightGradient` `[C_out, C_in, 6]`, `dL/dbias` into
    /// `biasGradient` `[C_out]` and `dL/d log σ` into `logSigmaGradient[0]` (each if non-nil);
    /// returns a new `dL/dinput` `[N, C_in, H, W]` when `computeInputGradient`, else nil.
    ///
    /// The input gradient applies the adjoint passes (the flipped filters, x then y); the σ
    /// gradient is `Σ_α ⟨dL/dB_α, ∂B_α/∂log σ⟩` with `∂B_α = (∂g_a) ⊗ g_b ⋆ u + g_a ⊗ (∂g_b) ⋆ u`.
    /// `imageHeight` as for `basis`.
    public static func backward(outputGradient: Tensor, input: Tensor, basis: Tensor, weight: UnsafeBufferPointer<Float>,
                                sigma: Float, imageHeight: Int? = nil, method: Method = .automatic,
                                weightGradient: UnsafeMutableBufferPointer<Float>?,
                                biasGradient: UnsafeMutableBufferPointer<Float>?,
                                logSigmaGradient: UnsafeMutablePointer<Float>?,
                                computeInputGradient: Bool = true) -> Tensor? {
        let (batch, channels, h, w) = (input.batch, input.channels, input.height, input.width)
        let outputChannels = outputGradient.channels, k = basisSize * channels, p = h * w
        checkWeight(weight.count, outputChannels: outputChannels, inputChannels: channels, "MeshFreeConv.backward")
        precondition(outputGradient.shape == [batch, outputChannels, h, w] && basis.shape == [batch, k, h, w],
                     "MeshFreeConv.backward: input \(input.shape), output gradient \(outputGradient.shape) and basis "
                     + "\(basis.shape) do not belong to one call")
        precondition(weightGradient == nil || weightGradient!.count == weight.count,
                     "MeshFreeConv.backward: weight gradient has \(weightGradient!.count) elements, expected \(weight.count)")
        precondition(biasGradient == nil || biasGradient!.count == outputChannels,
                     "MeshFreeConv.backward: bias gradient has \(biasGradient!.count) elements, expected [\(outputChannels)]")
        let passes = Passes(sigma: sigma, height: imageHeight ?? h, width: w)
        let basisGradient = UnsafeMutablePointer<Float>.allocate(capacity: k * p)
        defer { basisGradient.deallocate() }
        var inputGradient = computeInputGradient ? Tensor(shape: input.shape) : nil
        var logSigmaSum = 0.0
        outputGradient.withUnsafeBufferPointer { gb in
            basis.withUnsafeBufferPointer { bb in
                for n in 0..<batch {
                    let dy = gb.baseAddress! + n * outputChannels * p, b = bb.baseAddress! + n * k * p
                    if let weightGradient {
                        BLAS.sgemm(transposeA: false, transposeB: true, m: outputChannels, n: k, k: p, alpha: 1,
                                   a: dy, lda: p, b: b, ldb: p, beta: 1, c: weightGradient.baseAddress!, ldc: k)
                    }
                    if let biasGradient {
                        for o in 0..<outputChannels {
                            biasGradient[o] += Float(Vectorised.sum(count: p) { i, lanes in Vectorised.load(dy + o * p + i, lanes: lanes) })
                        }
                    }
                    guard computeInputGradient || logSigmaGradient != nil else { continue }
                    BLAS.sgemm(transposeA: true, transposeB: false, m: k, n: p, k: outputChannels, alpha: 1,
                               a: weight.baseAddress!, lda: k, b: dy, ldb: p, beta: 0, c: basisGradient, ldc: p)
                    input.withUnsafeBufferPointer { xb in
                        for c in 0..<channels {
                            let dB = basisGradient + c * basisSize * p
                            if computeInputGradient {
                                inputGradient!.withUnsafeMutableBufferPointer { dx in
                                    adjoint(dB, passes: passes, height: h, width: w, method: method,
                                            into: dx.baseAddress! + (n * channels + c) * p)
                                }
                            }
                            if logSigmaGradient != nil {
                                logSigmaSum += logSigmaTerm(dB, input: xb.baseAddress! + (n * channels + c) * p,
                                                            passes: passes, height: h, width: w, method: method)
                            }
                        }
                    }
                }
            }
        }
        if let logSigmaGradient { logSigmaGradient.pointee += Float(logSigmaSum) }
        return inputGradient
    }

    /// `dx = Σ_α (flipped g_a along y) ⋆ (flipped g_b along x) ⋆ dB_α` for one plane.
    private static func adjoint(_ dB: UnsafePointer<Float>, passes: Passes, height h: Int, width w: Int, method: Method,
                                into dx: UnsafeMutablePointer<Float>) {
        let p = h * w
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: 3 * p)
        defer { scratch.deallocate() }
        passes.adjointX.apply(height: h, width: w, sources: (0..<basisSize).map { dB + $0 * p },
                              outputs: (0..<3).map { scratch + $0 * p }, method: resolve(method, passes.adjointX, h, w))
        passes.adjointY.apply(height: h, width: w, sources: (0..<3).map { UnsafePointer(scratch + $0 * p) }, outputs: [dx],
                              method: resolve(method, passes.adjointY, h, w))
    }

    /// `Σ_α ⟨dB_α, ∂B_α/∂log σ⟩` for one input plane `u`.
    private static func logSigmaTerm(_ dB: UnsafePointer<Float>, input u: UnsafePointer<Float>, passes: Passes,
                                     height h: Int, width w: Int, method: Method) -> Double {
        let p = h * w
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: 12 * p)
        defer { scratch.deallocate() }
        passes.logSigmaY.apply(height: h, width: w, sources: [u], outputs: (0..<6).map { scratch + $0 * p },
                               method: resolve(method, passes.logSigmaY, h, w))
        let derivative = scratch + 6 * p
        passes.logSigmaX.apply(height: h, width: w, sources: (0..<6).map { UnsafePointer(scratch + $0 * p) },
                               outputs: (0..<basisSize).map { derivative + $0 * p }, method: resolve(method, passes.logSigmaX, h, w))
        return Vectorised.sum(count: basisSize * p) { i, lanes in
            Vectorised.load(dB + i, lanes: lanes) * Vectorised.load(derivative + i, lanes: lanes)
        }
    }

    private static func resolve(_ method: Method, _ pass: AxisFilterPass, _ h: Int, _ w: Int) -> AxisFilterPass.Method {
        switch method {
        case .automatic: return pass.cheaperMethod(height: h, width: w)
        case .direct: return .direct
        case .fft: return .fft
        }
    }

    private static func checkWeight(_ count: Int, outputChannels: Int, inputChannels: Int, _ operation: String) {
        precondition(count == outputChannels * inputChannels * basisSize,
                     "\(operation): weight has \(count) elements, expected [\(outputChannels), \(inputChannels), \(basisSize)]")
    }
}
