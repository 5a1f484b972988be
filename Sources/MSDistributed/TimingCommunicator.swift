import Foundation

/// A communicator that forwards every call to `base` and adds up the wall-clock seconds this
/// rank spends inside `allreduce` and inside `exchange`. That time is the transfer plus the
/// wait for the slowest partner, so over the ranks its minimum approximates the transfer alone.
public final class TimingCommunicator: Communicator {
    public let base: any Communicator
    /// Seconds spent in `allreduce` since creation or the last `resetTimings()`.
    public private(set) var allreduceSeconds = 0.0
    /// Calls of `allreduce` since creation or the last `resetTimings()`.
    public private(set) var allreduceCalls = 0
    /// Seconds spent in `exchange` since creation or the last `resetTimings()`.
    public private(set) var exchangeSeconds = 0.0

    public init(_ base: any Communicator) { self.base = base }

    public var rank: Int { base.rank }
    public var size: Int { base.size }
    public var ranksOnHost: Int { base.ranksOnHost }
    public var step: Int {
        get { base.step }
        set { base.step = newValue }
    }

    public func resetTimings() {
        allreduceSeconds = 0
        allreduceCalls = 0
        exchangeSeconds = 0
    }

    public func allreduce<Element: CommunicatorScalar>(_ buffer: UnsafeMutableBufferPointer<Element>, op: ReduceOperation) {
        let start = DispatchTime.now().uptimeNanoseconds
        base.allreduce(buffer, op: op)
        allreduceSeconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        allreduceCalls += 1
    }

    public func broadcast<Element: CommunicatorScalar>(_ buffer: UnsafeMutableBufferPointer<Element>, root: Int) {
        base.broadcast(buffer, root: root)
    }

    public func barrier() { base.barrier() }
    /// The group is not timed.
    public func split(color: Int, key: Int) -> any Communicator { base.split(color: color, key: key) }
    public func exchange<Element: CommunicatorScalar>(send: UnsafeBufferPointer<Element>, to destination: Int?,
                                                      receive: UnsafeMutableBufferPointer<Element>, from source: Int?, tag: Int) {
        let start = DispatchTime.now().uptimeNanoseconds
        base.exchange(send: send, to: destination, receive: receive, from: source, tag: tag)
        exchangeSeconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }
    public func abort(message: String, code: Int32) -> Never { base.abort(message: message, code: code) }
    public func finalize() { base.finalize() }
}
