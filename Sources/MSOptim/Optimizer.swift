/// A first-order optimizer over one flat parameter buffer.
///
/// All model parameters live in one contiguous `Float` buffer and their gradients in another of
/// the same layout; an optimizer's state buffers (moments, momentum) mirror that layout
/// element for element, so one loop updates the whole model and a checkpoint stores each
/// state buffer as a single array.
public protocol Optimizer: AnyObject {
    /// One update of `parameters` from `gradients` (same count) at learning rate `learningRate`.
    func step(parameters: UnsafeMutableBufferPointer<Float>, gradients: UnsafeBufferPointer<Float>, learningRate: Float)
    /// Number of steps taken (Adam's bias-correction counter).
    var stepCount: Int { get }
    /// State buffers by name (e.g. "exp_avg", "exp_avg_sq", "momentum_buffer") for checkpoints.
    /// Each has one element per parameter; the names are PyTorch's.
    var state: [String: [Float]] { get }
    /// Replaces the state and step counter with ones saved from `state` and `stepCount`.
    /// Throws `OptimizerError` when the names or sizes differ from this optimizer's.
    func restore(state: [String: [Float]], stepCount: Int) throws
}

/// The optimizers selectable by name (`--optimizer sgd|adam|adamw`).
public enum OptimizerKind: String, CaseIterable, Sendable, Codable {
    /// `torch.optim.SGD`.
    case sgd
    /// `torch.optim.Adam`: weight decay is an L2 term added to the gradient.
    case adam
    /// `torch.optim.AdamW`: weight decay shrinks the parameters directly (decoupled).
    case adamw

    /// PyTorch's default weight decay for this optimizer: 1e-2 for AdamW, 0 otherwise.
    public var defaultWeightDecay: Float { self == .adamw ? 1e-2 : 0 }

    /// An optimizer of this kind over `parameterCount` parameters, with PyTorch's defaults for
    /// everything not given. `momentum` applies to SGD only (Adam's β₁ plays that role);
    /// `weightDecay` defaults to `defaultWeightDecay`.
    public func make(parameterCount: Int, weightDecay: Float? = nil, momentum: Float = 0) -> any Optimizer {
        let decay = weightDecay ?? defaultWeightDecay
        switch self {
        case .sgd: return SGD(parameterCount: parameterCount, momentum: momentum, weightDecay: decay)
        case .adam: return Adam(parameterCount: parameterCount, weightDecay: decay)
        case .adamw: return Adam(parameterCount: parameterCount, weightDecay: decay, decoupledWeightDecay: true)
        }
    }
}

/// A saved optimizer state that does not fit the optimizer it is restored into.
public enum OptimizerError: Error, Equatable, CustomStringConvertible {
    /// The state's buffer names differ from the optimizer's.
    case stateNames(expected: [String], found: [String])
    /// A state buffer has the wrong number of elements.
    case stateSize(name: String, expected: Int, found: Int)
    /// A negative step counter.
    case stepCount(Int)

    public var description: String {
        let hint = "The optimizer options (--optimizer, --momentum) and the model must match the run that saved this state."
        switch self {
        case .stateNames(let expected, let found):
            return "optimizer state: expected buffers \(expected), found \(found). \(hint)"
        case .stateSize(let name, let expected, let found):
            return "optimizer state \(name): expected \(expected) elements, found \(found). \(hint)"
        case .stepCount(let count):
            return "optimizer state: step count \(count) is negative."
        }
    }
}

/// Checks that `state` has exactly the buffers `names`, each with `parameterCount` elements,
/// and that `stepCount` is not negative.
func validate(state: [String: [Float]], names: [String], parameterCount: Int, stepCount: Int) throws {
    guard Set(state.keys) == Set(names) else {
        throw OptimizerError.stateNames(expected: names.sorted(), found: state.keys.sorted())
    }
    for name in names.sorted() where state[name]!.count != parameterCount {
        throw OptimizerError.stateSize(name: name, expected: parameterCount, found: state[name]!.count)
    }
    guard stepCount >= 0 else { throw OptimizerError.stepCount(stepCount) }
}

/// Checks the buffer sizes of a `step` call.
@inline(__always)
func checkStep(parameterCount: Int, parameters: Int, gradients: Int) {
    precondition(parameters == parameterCount && gradients == parameterCount,
                 "optimizer step: \(parameters) parameters and \(gradients) gradients for an optimizer over \(parameterCount)")
}
