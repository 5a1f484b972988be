import Foundation

/// Every environment variable this module reads, in one place. `MSTRAIN_*` variables are
/// runtime tunables only; the others are facts set by launchers.
public enum EnvironmentSettings {
    /// `MSTRAIN_STALL_TIMEOUT_SECONDS`: when set above 0, a collective that waits longer than
    /// this many seconds ends the job (see `StallWatchdog`). Unset or 0: no watchdog. Choose
    /// it well above the slowest step (a collective waits for the slowest rank's work).
    public static let stallTimeoutVariable = "MSTRAIN_STALL_TIMEOUT_SECONDS"

    /// Set in every rank by Open MPI's `mpirun`.
    static let openMPIWorldSizeVariable = "OMPI_COMM_WORLD_SIZE"
    /// Set by PMIx launchers (`srun --mpi=pmix`, Open MPI 5's `mpirun`).
    static let pmixRankVariable = "PMIX_RANK"
    /// Set by PMI-1/PMI-2 launchers (`srun --mpi=pmi2`, MPICH's Hydra).
    static let pmiRankVariable = "PMI_RANK"
    /// Set by `srun` in each task of a job step; `SLURM_PROCID` alone is also set in a batch script.
    static let slurmStepTaskCountVariable = "SLURM_STEP_NUM_TASKS"

    /// The stall timeout in seconds, or nil when the watchdog is off.
    public static func stallTimeout(in environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Double? {
        guard let text = environment[stallTimeoutVariable], !text.isEmpty else { return nil }
        guard let seconds = Double(text), seconds.isFinite, seconds >= 0 else {
            throw CommunicatorError.invalidSetting(variable: stallTimeoutVariable, value: text,
                                                   expected: "a number of seconds ≥ 0 (0 or unset turns the stall watchdog off)")
        }
        return seconds > 0 ? seconds : nil
    }

    /// This process's rank as the launcher announced it, before MPI starts (0 when standalone),
    /// so that errors found before any MPI work are printed once, by rank 0.
    public static func launchRank(in environment: [String: String] = ProcessInfo.processInfo.environment) -> Int {
        for variable in ["OMPI_COMM_WORLD_RANK", pmixRankVariable, pmiRankVariable, "SLURM_PROCID"] {
            if let rank = environment[variable].flatMap({ Int($0) }) { return rank }
        }
        return 0
    }

    /// How this process was started, judged from the launchers' variables.
    public static func launcher(in environment: [String: String] = ProcessInfo.processInfo.environment) -> Launcher {
        if [openMPIWorldSizeVariable, pmixRankVariable, pmiRankVariable].contains(where: { environment[$0] != nil }) {
            return .mpi
        }
        if let tasks = environment[slurmStepTaskCountVariable].flatMap({ Int($0) }), tasks > 1 {
            return .slurmWithoutMPI(tasks: tasks)
        }
        return .standalone
    }
}

/// How a process was started.
public enum Launcher: Hashable, Sendable {
    /// By an MPI launcher (`mpirun`, `srun` with an MPI plugin): use `MPICommunicator`.
    case mpi
    /// Directly: use `SingleProcessCommunicator`.
    case standalone
    /// By `srun` as one of `tasks` tasks but without an MPI plugin: every task would train
    /// alone on the whole batch, which is an error.
    case slurmWithoutMPI(tasks: Int)
}
