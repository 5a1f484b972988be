import Foundation

/// Adam and AdamW, exactly as `torch.optim.Adam` and `torch.optim.AdamW`.
///
/// With learning rate η, moment decays β₁ and β₂, ε, weight decay λ and step t (from 1):
///
///     θ  ← θ·(1 − η·λ)                       (AdamW: decoupled weight decay)
///     g  ← g + λ·θ                           (Adam: L2 term in the gradient)
///     m  ← m + (1 − β₁)·(g − m)
///     v  ← β₂·v + (1 − β₂)·g²
///     θ  ← θ − s · m / (√v / c₂ + ε),   s = η / (1 − β₁ᵗ),   c₂ = √(1 − β₂ᵗ)
///
/// Like torch, the bias corrections s, c₂ and the decay factor 1 − η·λ are computed in
/// `Double` once per step and the elementwise update in `Float`. The state is "exp_avg" (m)
/// and "exp_avg_sq" (v).
public final class Adam: Optimizer {
    public let parameterCount: Int
    public let beta1: Float
    public let beta2: Float
    public let epsilon: Float
    public let weightDecay: Float
    /// AdamW when true: λ shrinks θ directly instead of being added to the gradient.
    public let decoupledWeightDecay: Bool
    public private(set) var stepCount = 0
    private var firstMoment: [Float]
    private var secondMoment: [Float]

    /// `weightDecay` defaults to torch's: 0 for Adam, 1e-2 for AdamW (`decoupledWeightDecay`).
    /// The defaults β₁ = 0.9, β₂ = 0.999, ε = 1e-8 are torch's too.
    public init(parameterCount: Int, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8,
                weightDecay: Float? = nil, decoupledWeightDecay: Bool = false) {
        let weightDecay = weightDecay ?? (decoupledWeightDecay ? 1e-2 : 0)
        precondition(parameterCount >= 0 && epsilon >= 0 && weightDecay >= 0,
                     "Adam: parameter count, epsilon and weight decay must not be negative")
        precondition((0..<1).contains(beta1) && (0..<1).contains(beta2), "Adam: betas must lie in [0, 1)")
        self.parameterCount = parameterCount
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.decoupledWeightDecay = decoupledWeightDecay
        firstMoment = [Float](repeating: 0, count: parameterCount)
        secondMoment = [Float](repeating: 0, count: parameterCount)
    }

    public var state: [String: [Float]] { ["exp_avg": firstMoment, "exp_avg_sq": secondMoment] }

    public func restore(state: [String: [Float]], stepCount: Int) throws {
        try validate(state: state, names: ["exp_avg", "exp_avg_sq"], parameterCount: parameterCount, stepCount: stepCount)
        firstMoment = state["exp_avg"]!
        secondMoment = state["exp_avg_sq"]!
        self.stepCount = stepCount
    }

    public func step(parameters: UnsafeMutableBufferPointer<Float>, gradients: UnsafeBufferPointer<Float>, learningRate: Float) {
        checkStep(parameterCount: parameterCount, parameters: parameters.count, gradients: gradients.count)
        stepCount += 1
        guard parameterCount > 0 else { return }
        let t = Double(stepCount)
        let stepSize = Float(Double(learningRate) / (1 - pow(Double(beta1), t)))
        let correction2 = Float((1 - pow(Double(beta2), t)).squareRoot())
        let shrink = Float(1 - Double(learningRate) * Double(weightDecay))
        let decoupled = decoupledWeightDecay && weightDecay != 0
        let l2 = !decoupledWeightDecay && weightDecay != 0
        let decay = weightDecay, eps = epsilon, b2 = beta2, w1 = 1 - beta1, w2 = 1 - beta2
        let theta = parameters.baseAddress!, grad = gradients.baseAddress!
        firstMoment.withUnsafeMutableBufferPointer { mStorage in
            secondMoment.withUnsafeMutableBufferPointer { vStorage in
                let mBase = mStorage.baseAddress!, vBase = vStorage.baseAddress!
                LaneBlock.forEach(count: parameterCount) { block in
                    var p = block.load(theta)
                    var g = block.load(grad)
                    if decoupled { p *= shrink }
                    if l2 { g += decay * p }
                    var m = block.load(mBase), v = block.load(vBase)
                    m += w1 * (g - m)
                    v = b2 * v + w2 * g * g
                    block.store(m, to: mBase)
                    block.store(v, to: vBase)
                    p -= stepSize * m / (squareRoot(v) / correction2 + eps)
                    block.store(p, to: theta)
                }
            }
        }
    }
}
