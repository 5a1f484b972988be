/// Failures before collectives can run. Failures of collectives themselves end the job
/// (see `Communicator`).
public enum CommunicatorError: Error, CustomStringConvertible {
    case invalidSetting(variable: String, value: String, expected: String)
    case launchedWithoutMPI(tasks: Int)
    case initializationFailed(call: String, code: Int32, message: String)

    public var description: String {
        switch self {
        case let .invalidSetting(variable, value, expected):
            return "\(variable)=\(value): expected \(expected)."
        case let .launchedWithoutMPI(tasks):
            return "srun started \(tasks) tasks without an MPI plugin, so each would train alone. "
                + "Run `srun --mpi=pmix …` (`srun --mpi=list` shows the plugins) or mpirun."
        case let .initializationFailed(call, code, message):
            return "\(call) failed (error \(code): \(message)). Start the program with the mpirun of the "
                + "Open MPI it was built against, or without any launcher for a single process."
        }
    }
}
