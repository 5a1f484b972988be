/// Stochastic gradient descent with momentum, exactly as `torch.optim.SGD`.
///
/// With learning rate η, momentum μ, dampening τ, weight decay λ and step t (from 1):
///
///     g  ← g + λ·θ                                   (when λ ≠ 0)
///     b  ← g                      at t = 1           (when μ ≠ 0)
///     b  ← μ·b + (1 − τ)·g        at t > 1
///     d  ← g + μ·b  (Nesterov)    or  d ← b   (or d ← g when μ = 0)
///     θ  ← θ − η·d
///
/// Every operation is in `Float`, like torch on float32 parameters. The state is
/// "momentum_buffer" (b) when μ ≠ 0, and nothing otherwise.
public final class SGD: Optimizer {
    public let parameterCount: Int
    public let momentum: Float
    public let dampening: Float
    public let weightDecay: Float
    public let nesterov: Bool
    public private(set) var stepCount = 0
    private var momentumBuffer: [Float]

    /// Nesterov momentum needs μ > 0 and τ = 0, as in torch.
    public init(parameterCount: Int, momentum: Float = 0, dampening: Float = 0, weightDecay: Float = 0, nesterov: Bool = false) {
        precondition(parameterCount >= 0 && momentum >= 0 && weightDecay >= 0,
                     "SGD: parameter count, momentum and weight decay must not be negative")
        precondition(!nesterov || (momentum > 0 && dampening == 0), "SGD: Nesterov momentum requires momentum > 0 and zero dampening")
        self.parameterCount = parameterCount
        self.momentum = momentum
        self.dampening = dampening
        self.weightDecay = weightDecay
        self.nesterov = nesterov
        momentumBuffer = [Float](repeating: 0, count: momentum == 0 ? 0 : parameterCount)
    }

    private var stateNames: [String] { momentum == 0 ? [] : ["momentum_buffer"] }

    public var state: [String: [Float]] { momentum == 0 ? [:] : ["momentum_buffer": momentumBuffer] }

    public func restore(state: [String: [Float]], stepCount: Int) throws {
        try validate(state: state, names: stateNames, parameterCount: parameterCount, stepCount: stepCount)
        momentumBuffer = state["momentum_buffer"] ?? []
        self.stepCount = stepCount
    }

    public func step(parameters: UnsafeMutableBufferPointer<Float>, gradients: UnsafeBufferPointer<Float>, learningRate: Float) {
        checkStep(parameterCount: parameterCount, parameters: parameters.count, gradients: gradients.count)
        let first = stepCount == 0
        stepCount += 1
        guard parameterCount > 0 else { return }
        let lr = learningRate, mu = momentum, decay = weightDecay, keep = 1 - dampening, nesterov = nesterov
        let theta = parameters.baseAddress!, grad = gradients.baseAddress!
        momentumBuffer.withUnsafeMutableBufferPointer { bufferStorage in
            let buffer = mu == 0 ? nil : bufferStorage.baseAddress
            LaneBlock.forEach(count: parameterCount) { block in
                let p = block.load(theta)
                var g = block.load(grad)
                if decay != 0 { g += decay * p }
                if let buffer {
                    var b = block.load(buffer)
                    b = first ? g : mu * b + keep * g
                    block.store(b, to: buffer)
                    g = nesterov ? g + mu * b : b
                }
                block.store(p - lr * g, to: theta)
            }
        }
    }
}
