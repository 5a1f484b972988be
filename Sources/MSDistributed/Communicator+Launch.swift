import Foundation

/// The communicator that matches how the process was started: `MPICommunicator` under an
/// MPI launcher, `SingleProcessCommunicator` otherwise. Throws when `srun` started several
/// tasks without an MPI plugin, or when MPI cannot start.
public func makeCommunicator(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> any Communicator {
    switch EnvironmentSettings.launcher(in: environment) {
    case .mpi: return try MPICommunicator(environment: environment)
    case .standalone: return SingleProcessCommunicator()
    case let .slurmWithoutMPI(tasks): throw CommunicatorError.launchedWithoutMPI(tasks: tasks)
    }
}
