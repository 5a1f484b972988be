import MSTensor

/// Every parameter of a model in one contiguous Float32 allocation, with a gradient buffer of
/// the same layout, so that one allreduce, one optimizer loop and one checkpoint write cover
/// the whole model.
///
/// Parameters are registered by path (for example `unet.down.0.res.conv1.weight`) while the
/// model is built; `seal()` then allocates the two buffers. Initial values depend only on
/// `(seed, path)`, not on the registration order.
public final class ParameterStore {
    /// One named parameter: its elements are `values[offset ..< offset + count]`.
    public struct Slot: Hashable, Sendable {
        public let path: String
        public let shape: [Int]
        public let offset: Int
        public var count: Int { shape.reduce(1, *) }
        public var range: Range<Int> { offset..<(offset + count) }
    }

    public let seed: UInt64
    public private(set) var slots: [Slot] = []
    private var pendingValues: [Float] = []
    private var slotIndex: [String: Int] = [:]
    private var storage: UnsafeMutableBufferPointer<Float>?
    private var gradientStorage: UnsafeMutableBufferPointer<Float>?

    /// A store whose initialisers draw from `seed`.
    public init(seed: UInt64) { self.seed = seed }

    deinit {
        storage?.deallocate()
        gradientStorage?.deallocate()
    }

    /// Total number of scalars.
    public var count: Int { slots.last.map { $0.offset + $0.count } ?? 0 }

    /// Adds a parameter of `shape` at `path` with values from `initializer`.
    public func register(_ path: String, shape: [Int], initializer: Initializer) -> Parameter {
        precondition(storage == nil, "ParameterStore: register(\(path)) after seal()")
        precondition(slotIndex[path] == nil, "ParameterStore: duplicate parameter path \(path)")
        let slot = Slot(path: path, shape: shape, offset: count)
        slotIndex[path] = slots.count
        slots.append(slot)
        var random = CounterRandom(seed: seed, stream: CounterRandom.stream(Array(path.utf8).map(UInt64.init)))
        pendingValues.append(contentsOf: initializer.values(count: slot.count, random: &random))
        return Parameter(store: self, slot: slot)
    }

    /// Allocates the value and gradient buffers (gradients zero). Called once, after the last
    /// `register`.
    public func seal() {
        precondition(storage == nil, "ParameterStore: seal() called twice")
        let values = UnsafeMutableBufferPointer<Float>.allocate(capacity: max(count, 1))
        _ = values.initialize(from: pendingValues)
        let gradients = UnsafeMutableBufferPointer<Float>.allocate(capacity: max(count, 1))
        gradients.initialize(repeating: 0)
        storage = values
        gradientStorage = gradients
        pendingValues = []
    }

    /// All parameter values, `[count]`.
    public var values: UnsafeMutableBufferPointer<Float> {
        guard let storage else { preconditionFailure("ParameterStore used before seal()") }
        return UnsafeMutableBufferPointer(rebasing: storage[0..<count])
    }

    /// All parameter gradients, `[count]`, same layout as `values`.
    public var gradients: UnsafeMutableBufferPointer<Float> {
        guard let gradientStorage else { preconditionFailure("ParameterStore used before seal()") }
        return UnsafeMutableBufferPointer(rebasing: gradientStorage[0..<count])
    }

    /// Sets every gradient to zero.
    public func zeroGradients() {
        let g = gradients
        g.update(repeating: 0)
    }

    /// The slot registered at `path`, if any.
    public func slot(named path: String) -> Slot? {
        slotIndex[path].map { slots[$0] }
    }

    /// A copy of all values (for tests and checkpoints).
    public func snapshotValues() -> [Float] { Array(values) }
    /// A copy of all gradients.
    public func snapshotGradients() -> [Float] { Array(gradients) }

    /// Overwrites all values from `source` (same count).
    public func load(values source: [Float]) {
        precondition(source.count == count, "ParameterStore.load: \(source.count) values for \(count) parameters")
        _ = values.update(fromContentsOf: source)
    }
}

/// A handle to one parameter's slice of a sealed `ParameterStore`.
public struct Parameter {
    public unowned let store: ParameterStore
    public let slot: ParameterStore.Slot

    /// The parameter's values (read-only view).
    public var value: UnsafeBufferPointer<Float> {
        UnsafeBufferPointer(rebasing: store.values[slot.range])
    }

    /// The parameter's gradient (backward passes accumulate into it).
    public var gradient: UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(rebasing: store.gradients[slot.range])
    }
}

/// How a parameter's initial values are drawn.
public enum Initializer: Sendable {
    case zeros
    case ones
    /// Every element `value`.
    case constant(Float)
    /// Uniform on [−bound, bound]; PyTorch's default for convolution and linear weights and
    /// biases is `bound = 1/sqrt(fan_in)`.
    case uniform(bound: Float)

    func values(count: Int, random: inout CounterRandom) -> [Float] {
        switch self {
        case .zeros: return [Float](repeating: 0, count: count)
        case .ones: return [Float](repeating: 1, count: count)
        case .constant(let value): return [Float](repeating: value, count: count)
        case .uniform(let bound): return (0..<count).map { _ in random.uniform(-bound, bound) }
        }
    }

    /// `uniform(bound: 1/sqrt(fanIn))`.
    public static func fanIn(_ fanIn: Int) -> Initializer { .uniform(bound: 1 / Float(fanIn).squareRoot()) }
}
