import Foundation

/// The communicator of a run without a launcher: one rank, every collective is the identity.
public final class SingleProcessCommunicator: Communicator {
    public let rank = 0
    public let size = 1
    public let ranksOnHost = 1
    public var step = 0

    public init() {}

    public func allreduce<Element: CommunicatorScalar>(_ buffer: UnsafeMutableBufferPointer<Element>, op: ReduceOperation) {
        precondition(op.isDefined(for: Element.scalarKind), "allreduce: \(op) is not defined for \(Element.self)")
    }

    public func broadcast<Element: CommunicatorScalar>(_ buffer: UnsafeMutableBufferPointer<Element>, root: Int) {
        precondition(root == 0, "broadcast: root \(root) outside 0..<1")
    }

    public func barrier() {}

    public func split(color: Int, key: Int) -> any Communicator { SingleProcessCommunicator() }

    /// The only partner is rank 0 itself: `send` is copied into `receive`.
    public func exchange<Element: CommunicatorScalar>(send: UnsafeBufferPointer<Element>, to destination: Int?,
                                                      receive: UnsafeMutableBufferPointer<Element>, from source: Int?, tag: Int) {
        precondition(destination ?? 0 == 0 && source ?? 0 == 0, "exchange: partner outside 0..<1")
        precondition((destination == nil) == (source == nil), "exchange: a message to itself must also be received")
        guard destination != nil else { return }
        precondition(send.count == receive.count, "exchange: \(send.count) elements sent, \(receive.count) expected")
        _ = receive.update(fromContentsOf: send)
    }

    public func abort(message: String, code: Int32) -> Never {
        StandardError.write("rank 0: \(message)")
        exit(code)
    }

    public func finalize() {}
}
