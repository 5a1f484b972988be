/// The collective and neighbour operations a training step needs, over flat contiguous buffers.
///
/// This is the whole boundary between training and distribution: it knows buffers and
/// ranks, nothing about layers or models. Every rank must call the same collectives in the
/// same order with buffers of the same length.
///
/// Collectives do not throw. A collective that fails on one rank leaves the other ranks
/// blocked in it, so the only response that cannot hang the job is to end all of it:
/// implementations report the failure (the call and the rank) and abort the job.
public protocol Communicator: AnyObject {
    /// This process's index, `0 ..< size`.
    var rank: Int { get }
    /// The number of processes.
    var size: Int { get }
    /// The number of this communicator's processes on this rank's host, sharing its memory
    /// (this rank included).
    var ranksOnHost: Int { get }
    /// The optimizer step the caller is in; used only to name the step in diagnostics.
    var step: Int { get set }

    /// Replaces `buffer` on every rank, element-wise, by `op` over the buffers of all ranks.
    /// For `.sum` of floating-point values the summation order is the implementation's.
    func allreduce<Element: CommunicatorScalar>(_ buffer: UnsafeMutableBufferPointer<Element>, op: ReduceOperation)
    /// Copies `buffer` of rank `root` into `buffer` of every other rank.
    func broadcast<Element: CommunicatorScalar>(_ buffer: UnsafeMutableBufferPointer<Element>, root: Int)
    /// Returns on each rank once every rank has called it.
    func barrier()
    /// Splits the ranks into groups, one per distinct `color`, and returns this rank's group
    /// as a communicator whose ranks are ordered by `key`, then by rank here. Collective: every
    /// rank calls it. The group's `finalize()` releases it (before this communicator's).
    func split(color: Int, key: Int) -> any Communicator
    /// Sends `send` to rank `destination` and receives `receive` from rank `source` in one
    /// call that cannot deadlock against the partners' matching calls; a nil partner means
    /// nothing is sent or received on that side. The partners must pass the same `tag`, and
    /// the receiving rank a buffer of the sent length.
    func exchange<Element: CommunicatorScalar>(send: UnsafeBufferPointer<Element>, to destination: Int?,
                                               receive: UnsafeMutableBufferPointer<Element>, from source: Int?, tag: Int)
    /// Prints `rank R: message` to standard error and ends every process of the job with
    /// exit status `code`.
    func abort(message: String, code: Int32) -> Never
    /// Ends the use of the communicator; call once, after the last collective, on every rank.
    func finalize()
}

extension Communicator {
    /// `op` of one value over all ranks.
    public func allreduce<Element: CommunicatorScalar>(_ value: Element, op: ReduceOperation) -> Element {
        var result = value
        withUnsafeMutablePointer(to: &result) { allreduce(UnsafeMutableBufferPointer(start: $0, count: 1), op: op) }
        return result
    }

    /// True on the rank that prints (rank 0); the others stay quiet unless something is wrong.
    public var isRoot: Bool { rank == 0 }
}

/// Element-wise reductions. `.bitwiseXor` is defined for integer elements only. To check
/// that all ranks hold the same parameter hash, compare its `.max` and `.min`: the xor of R
/// equal hashes is 0 or the hash depending on R's parity, and unequal hashes can cancel.
public enum ReduceOperation: String, Sendable, CaseIterable {
    case sum, max, min, bitwiseXor

    /// Whether this reduction is defined for elements of `kind`.
    public func isDefined(for kind: ScalarKind) -> Bool {
        self != .bitwiseXor || kind == .unsignedInteger64
    }
}

/// The element types collectives move, as a closed set so every implementation can map
/// each one to its native type.
public enum ScalarKind: Sendable {
    case float32, float64, unsignedInteger64
}

/// An element type of collective buffers.
public protocol CommunicatorScalar: Comparable, Sendable {
    static var scalarKind: ScalarKind { get }
}

extension Float: CommunicatorScalar { public static var scalarKind: ScalarKind { .float32 } }
extension Double: CommunicatorScalar { public static var scalarKind: ScalarKind { .float64 } }
extension UInt64: CommunicatorScalar { public static var scalarKind: ScalarKind { .unsignedInteger64 } }
