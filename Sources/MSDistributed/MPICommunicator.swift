import CMPI
import Foundation

/// `Communicator` over an MPI communicator (the job's `COMM_WORLD` for the instance
/// `init(environment:)` makes); the only file that imports MPI.
///
/// Every MPI call's return code is checked (`MPI_ERRORS_RETURN` is set on the communicator, so
/// MPI reports instead of aborting silently): a failure prints `rank R: <MPI call> failed
/// (<MPI's error string>)` to standard error and ends the job with `MPI_Abort`.
///
/// With `MSTRAIN_STALL_TIMEOUT_SECONDS` set, a `StallWatchdog` aborts the job when a
/// collective waits longer than that. It calls `MPI_Abort` from its own thread while the
/// main thread may be inside a collective, which MPI allows at `MPI_THREAD_MULTIPLE`; that
/// level is requested only then (`MPI_THREAD_SERIALIZED` otherwise).
public final class MPICommunicator: Communicator {
    public let rank: Int
    public let size: Int
    public let ranksOnHost: Int
    public var step = 0
    /// The MPI communicator every call of this instance runs over.
    private let handle: MPI_Comm
    /// Whether `handle` is a group made by `split` (freed by `finalize`) rather than the job's.
    private let isGroup: Bool
    private let watchdog: StallWatchdog?
    private var isFinalized = false

    /// Whether an MPI launcher started this process (`mpirun`, `srun` with an MPI plugin).
    public static var isLaunchedByMPI: Bool { EnvironmentSettings.launcher() == .mpi }

    /// Initializes MPI unless it already is (`MPI_Initialized`); without a launcher this
    /// gives a one-rank job. The stall timeout is read from `environment`. Throws on an
    /// invalid stall timeout or when `MPI_Init_thread` fails.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        let stallTimeout = try EnvironmentSettings.stallTimeout(in: environment)
        var initialized: Int32 = 0
        Self.check(MPI_Initialized(&initialized), "MPI_Initialized", rank: nil)
        if initialized == 0 {
            let required = Int32(stallTimeout == nil ? MPI_THREAD_SERIALIZED : MPI_THREAD_MULTIPLE)
            var provided: Int32 = 0
            let code = MPI_Init_thread(nil, nil, required, &provided)
            guard code == MPI_SUCCESS else {
                throw CommunicatorError.initializationFailed(call: "MPI_Init_thread", code: code, message: Self.errorString(code))
            }
        }
        handle = mstrain_mpi_comm_world()
        Self.check(MPI_Comm_set_errhandler(handle, mstrain_mpi_errors_return()), "MPI_Comm_set_errhandler", rank: nil)
        var rank: Int32 = 0, size: Int32 = 0
        Self.check(MPI_Comm_rank(handle, &rank), "MPI_Comm_rank", rank: nil)
        Self.check(MPI_Comm_size(handle, &size), "MPI_Comm_size", rank: Int(rank))
        self.rank = Int(rank)
        self.size = Int(size)
        ranksOnHost = Self.sharedMemorySize(of: handle, rank: self.rank)
        isGroup = false
        let abortingRank = self.rank
        watchdog = stallTimeout.map { timeout in
            StallWatchdog(timeout: timeout) { message in Self.abortJob(rank: abortingRank, message: message, code: 1) }
        }
    }

    /// A group of the ranks of a parent communicator, sharing its watchdog.
    private init(group: MPI_Comm, watchdog: StallWatchdog?, parentRank: Int) {
        handle = group
        isGroup = true
        self.watchdog = watchdog
        Self.check(MPI_Comm_set_errhandler(group, mstrain_mpi_errors_return()), "MPI_Comm_set_errhandler", rank: parentRank)
        var rank: Int32 = 0, size: Int32 = 0
        Self.check(MPI_Comm_rank(group, &rank), "MPI_Comm_rank", rank: parentRank)
        Self.check(MPI_Comm_size(group, &size), "MPI_Comm_size", rank: parentRank)
        self.rank = Int(rank)
        self.size = Int(size)
        ranksOnHost = Self.sharedMemorySize(of: group, rank: parentRank)
    }

    /// The size of `communicator`'s part that shares this process's memory
    /// (`MPI_Comm_split_type` with `MPI_COMM_TYPE_SHARED`), freed again at once. Collective.
    private static func sharedMemorySize(of communicator: MPI_Comm, rank: Int) -> Int {
        var shared: MPI_Comm?
        check(MPI_Comm_split_type(communicator, mstrain_mpi_comm_type_shared(), 0, mstrain_mpi_info_null(), &shared),
              "MPI_Comm_split_type", rank: rank)
        var size: Int32 = 0
        check(MPI_Comm_size(shared!, &size), "MPI_Comm_size", rank: rank)
        check(MPI_Comm_free(&shared), "MPI_Comm_free", rank: rank)
        return Int(size)
    }

    public func allreduce<Element: CommunicatorScalar>(_ buffer: UnsafeMutableBufferPointer<Element>, op: ReduceOperation) {
        precondition(op.isDefined(for: Element.scalarKind), "allreduce: \(op) is not defined for \(Element.self)")
        guard let base = buffer.baseAddress else { return }
        let count = Self.mpiCount(buffer.count)
        collective("MPI_Allreduce") {
            MPI_Allreduce(UnsafeRawPointer(mstrain_mpi_in_place()), base, count,
                          Self.datatype(Element.scalarKind), Self.operation(op), handle)
        }
    }

    /// `root` is validated by MPI: an invalid root aborts the job naming `MPI_Bcast`.
    public func broadcast<Element: CommunicatorScalar>(_ buffer: UnsafeMutableBufferPointer<Element>, root: Int) {
        guard let base = buffer.baseAddress else { return }
        let count = Self.mpiCount(buffer.count)
        collective("MPI_Bcast") {
            MPI_Bcast(base, count, Self.datatype(Element.scalarKind), Int32(clamping: root), handle)
        }
    }

    public func barrier() {
        collective("MPI_Barrier") { MPI_Barrier(handle) }
    }

    public func split(color: Int, key: Int) -> any Communicator {
        var group: MPI_Comm?
        collective("MPI_Comm_split") { MPI_Comm_split(handle, Int32(clamping: color), Int32(clamping: key), &group) }
        return MPICommunicator(group: group!, watchdog: watchdog, parentRank: rank)
    }

    /// `MPI_Sendrecv`; a nil partner is `MPI_PROC_NULL`. Partners outside `0..<size` are
    /// reported by MPI and abort the job naming the call.
    public func exchange<Element: CommunicatorScalar>(send: UnsafeBufferPointer<Element>, to destination: Int?,
                                                      receive: UnsafeMutableBufferPointer<Element>, from source: Int?, tag: Int) {
        let type = Self.datatype(Element.scalarKind)
        let (sendCount, receiveCount) = (Self.mpiCount(send.count), Self.mpiCount(receive.count))
        let none = mstrain_mpi_proc_null()
        collective("MPI_Sendrecv") {
            MPI_Sendrecv(send.baseAddress, sendCount, type, destination.map { Int32(clamping: $0) } ?? none, Int32(clamping: tag),
                         receive.baseAddress, receiveCount, type, source.map { Int32(clamping: $0) } ?? none, Int32(clamping: tag),
                         handle, mstrain_mpi_status_ignore())
        }
    }

    public func abort(message: String, code: Int32) -> Never {
        Self.abortJob(rank: rank, message: message, code: code)
    }

    /// For a group, `MPI_Comm_free`; for the job, stops the watchdog and calls `MPI_Finalize`
    /// (once; later calls do nothing).
    public func finalize() {
        guard !isFinalized else { return }
        isFinalized = true
        if isGroup {
            var freed: MPI_Comm? = handle
            check(MPI_Comm_free(&freed), "MPI_Comm_free")
            return
        }
        watchdog?.stop()
        var finalized: Int32 = 0
        check(MPI_Finalized(&finalized), "MPI_Finalized")
        if finalized == 0 { check(MPI_Finalize(), "MPI_Finalize") }
    }

    /// Runs one collective MPI call under the watchdog and checks its return code.
    private func collective(_ name: String, _ call: () -> Int32) {
        precondition(!isFinalized, "\(name) after finalize()")
        watchdog?.begin(name, step: step)
        let code = call()
        watchdog?.end()
        check(code, name)
    }

    private func check(_ code: Int32, _ call: String) {
        Self.check(code, call, rank: rank)
    }

    private static func check(_ code: Int32, _ call: String, rank: Int?) {
        guard code != MPI_SUCCESS else { return }
        abortJob(rank: rank, message: "\(call) failed (\(errorString(code)))", code: 1)
    }

    /// Ends every process of the job (`MPI_Abort` on `COMM_WORLD`, whatever communicator failed).
    private static func abortJob(rank: Int?, message: String, code: Int32) -> Never {
        StandardError.write("rank \(rank.map(String.init) ?? "?"): \(message)")
        MPI_Abort(mstrain_mpi_comm_world(), code)
        exit(code)  // MPI_Abort does not return; this satisfies `Never`.
    }

    private static func errorString(_ code: Int32) -> String {
        var text = [CChar](repeating: 0, count: Int(MPI_MAX_ERROR_STRING) + 1)
        var length: Int32 = 0
        guard MPI_Error_string(code, &text, &length) == MPI_SUCCESS else { return "MPI error \(code)" }
        return String(decoding: text[..<Int(length)].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// MPI counts are `int`; one call moves at most `Int32.max` elements.
    private static func mpiCount(_ count: Int) -> Int32 {
        guard let mpiCount = Int32(exactly: count) else {
            preconditionFailure("a collective of \(count) elements exceeds MPI's limit of \(Int32.max); split the buffer")
        }
        return mpiCount
    }

    private static func datatype(_ kind: ScalarKind) -> MPI_Datatype {
        switch kind {
        case .float32: return mstrain_mpi_float()
        case .float64: return mstrain_mpi_double()
        case .unsignedInteger64: return mstrain_mpi_uint64()
        }
    }

    private static func operation(_ op: ReduceOperation) -> MPI_Op {
        switch op {
        case .sum: return mstrain_mpi_sum()
        case .max: return mstrain_mpi_max()
        case .min: return mstrain_mpi_min()
        case .bitwiseXor: return mstrain_mpi_bxor()
        }
    }
}
