import Foundation
import MSDistributed

// Checks of MSDistributed that need real ranks; run under mpirun by launch/mpi-tests.sh.
//
//     mstrain-mpi-check collectives   allreduce (float, double, uint64), broadcast, barrier and
//                                     the level plan agree across ranks; exits 0
//     mstrain-mpi-check groups        sub-communicators (split) and neighbour exchanges
//     mstrain-mpi-check stall         the last rank skips an allreduce; with
//                                     MSTRAIN_STALL_TIMEOUT_SECONDS set the others' watchdog
//                                     must end the job (non-zero) naming MPI_Allreduce
//     mstrain-mpi-check abort         the last rank calls abort while the others wait in a barrier
//     mstrain-mpi-check mpi-error     the last rank broadcasts from an invalid root; the MPI
//                                     error must end the job naming MPI_Bcast

let scenarios: [String: (any Communicator) -> Void] = [
    "collectives": checkCollectives,
    "groups": checkGroups,
    "stall": { communicator in
        communicator.step = 3
        if communicator.rank == communicator.size - 1 {
            Thread.sleep(forTimeInterval: 600)
        }
        _ = communicator.allreduce(1.0, op: .sum)
    },
    "abort": { communicator in
        if communicator.rank == communicator.size - 1 {
            communicator.abort(message: "deliberate abort by the last rank", code: 3)
        }
        communicator.barrier()
    },
    "mpi-error": { communicator in
        var value: Float = 1
        let last = communicator.rank == communicator.size - 1
        withUnsafeMutablePointer(to: &value) {
            communicator.broadcast(UnsafeMutableBufferPointer(start: $0, count: 1), root: last ? communicator.size : 0)
        }
        communicator.barrier()
    },
]

let arguments = CommandLine.arguments.dropFirst()
guard arguments.count == 1, let scenario = scenarios[arguments.first!] else {
    FileHandle.standardError.write(Data("usage: mstrain-mpi-check \(scenarios.keys.sorted().joined(separator: "|"))\n".utf8))
    exit(64)
}
do {
    let communicator = try MPICommunicator()
    scenario(communicator)
    communicator.barrier()
    if communicator.isRoot { print("\(arguments.first!): ok on \(communicator.size) ranks") }
    communicator.finalize()
} catch {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    exit(1)
}
