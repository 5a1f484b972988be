import Foundation

/// The communicator of a run without a launcher: one rank, every collective is the identity.
public final class SingleProcessCommunicator: Communicator {
    public let rank = 0
    public let size = 1
    public var step = 0

    public init() {}

    public func allreduce<Element: CommunicatorScalar>(_ buffer: UnsafeMutableBufferPointer<Element>, op: ReduceOperation) {
        precondition(op.isDefined(for: Element.scalarKind), "allreduce: \(op) is not defined for \(Element.self)")
    }

    public func broadcast<Element: CommunicatorScalar>(_ buffer: UnsafeMutableBufferPointer<Element>, root: Int) {
        precondition(root == 0, "broadcast: root \(root) outside 0..<1")
    }

    public func barrier() {}

    public func abort(message: String, code: Int32) -> Never {
        StandardError.write("rank 0: \(message)")
        exit(code)
    }

    public func finalize() {}
}
