import MSNN

/// A model's parameters in Float64, in the layout of its `ParameterStore` (same slots, same
/// offsets), read by slot path.
///
/// The reference networks take their weights from here, so a test can move one coordinate by a
/// step far below Float32's resolution and compare `values[i]`'s derivative with
/// `store.gradients[i]`.
public struct ReferenceParameters {
    /// Every parameter: slot `s` holds `values[s.offset ..< s.offset + s.count]`.
    public var values: [Double]
    public let slots: [ParameterStore.Slot]
    private let slotIndex: [String: Int]

    /// The store's current values, converted exactly to Double.
    public init(_ store: ParameterStore) {
        values = store.values.map(Double.init)
        slots = store.slots
        slotIndex = Dictionary(uniqueKeysWithValues: store.slots.enumerated().map { ($1.path, $0) })
    }

    /// The values of the parameter at `path`, which must have `shape` (a reference network that
    /// disagrees with the model about a parameter is a bug in one of them).
    public func parameter(_ path: String, shape: [Int]) -> [Double] {
        guard let index = slotIndex[path] else { preconditionFailure("ReferenceParameters: the model has no parameter \(path)") }
        let slot = slots[index]
        precondition(slot.shape == shape, "ReferenceParameters: \(path) has shape \(slot.shape), the reference expects \(shape)")
        return Array(values[slot.range])
    }
}
