import Foundation

/// Every environment variable the program (`mstrain-dist` and its libraries) reads, in one
/// place; docs/environment.md lists them with the launch scripts' own variables. `MSTRAIN_*`
/// variables are runtime settings; the others are facts set by launchers and by the user's
/// shell. Read them only through `value(in:)`.
public enum EnvironmentVariable: String, CaseIterable, Sendable {
    /// `MSTRAIN_CACHE_DIR`: where the built-in dataset is generated and cached.
    case cacheDirectory = "MSTRAIN_CACHE_DIR"
    /// `XDG_CACHE_HOME`: the user's cache root; the cache folder is `$XDG_CACHE_HOME/mstrain`
    /// when `MSTRAIN_CACHE_DIR` is unset (else `~/.cache/mstrain`).
    case userCacheHome = "XDG_CACHE_HOME"
    /// `MSTRAIN_STALL_TIMEOUT_SECONDS`: when set above 0, a collective that waits longer than
    /// this many seconds ends the job (see `StallWatchdog`). Unset or 0: no watchdog. Choose
    /// it well above the slowest step (a collective waits for the slowest rank's work).
    case stallTimeout = "MSTRAIN_STALL_TIMEOUT_SECONDS"
    /// `OPENBLAS_NUM_THREADS`: BLAS threads per process when `--threads` is not given.
    case blasThreads = "OPENBLAS_NUM_THREADS"
    /// Set in every rank by Open MPI's `mpirun`: the rank.
    case openMPIRank = "OMPI_COMM_WORLD_RANK"
    /// Set in every rank by Open MPI's `mpirun`: the number of ranks.
    case openMPISize = "OMPI_COMM_WORLD_SIZE"
    /// Set by PMIx launchers (`srun --mpi=pmix`, Open MPI 5's `mpirun`).
    case pmixRank = "PMIX_RANK"
    /// Set by PMI-1/PMI-2 launchers (`srun --mpi=pmi2`, MPICH's Hydra).
    case pmiRank = "PMI_RANK"
    /// Set by Slurm in each task (`srun`) and in a batch script: the task's index.
    case slurmTaskIndex = "SLURM_PROCID"
    /// Set by `srun` in each task of a job step: the step's task count.
    case slurmStepTaskCount = "SLURM_STEP_NUM_TASKS"
    /// Set by Slurm in a job: its id, for `train --requeue`.
    case slurmJobID = "SLURM_JOB_ID"

    /// The variable's value in `environment`; nil when it is unset or empty.
    public func value(in environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        environment[rawValue].flatMap { $0.isEmpty ? nil : $0 }
    }
}

/// The settings derived from the environment variables.
public enum EnvironmentSettings {
    /// The stall timeout in seconds, or nil when the watchdog is off.
    public static func stallTimeout(in environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Double? {
        guard let text = EnvironmentVariable.stallTimeout.value(in: environment) else { return nil }
        guard let seconds = Double(text), seconds.isFinite, seconds >= 0 else {
            throw CommunicatorError.invalidSetting(variable: EnvironmentVariable.stallTimeout.rawValue, value: text,
                                                   expected: "a number of seconds ≥ 0 (0 or unset turns the stall watchdog off)")
        }
        return seconds > 0 ? seconds : nil
    }

    /// This process's rank as the launcher announced it, before MPI starts (0 when standalone),
    /// so that errors found before any MPI work are printed once, by rank 0.
    public static func launchRank(in environment: [String: String] = ProcessInfo.processInfo.environment) -> Int {
        for variable in [EnvironmentVariable.openMPIRank, .pmixRank, .pmiRank, .slurmTaskIndex] {
            if let rank = variable.value(in: environment).flatMap({ Int($0) }) { return rank }
        }
        return 0
    }

    /// How this process was started, judged from the launchers' variables.
    public static func launcher(in environment: [String: String] = ProcessInfo.processInfo.environment) -> Launcher {
        if [EnvironmentVariable.openMPISize, .pmixRank, .pmiRank].contains(where: { $0.value(in: environment) != nil }) {
            return .mpi
        }
        if let tasks = EnvironmentVariable.slurmStepTaskCount.value(in: environment).flatMap({ Int($0) }), tasks > 1 {
            return .slurmWithoutMPI(tasks: tasks)
        }
        return .standalone
    }

    /// BLAS threads the user asked for with `OPENBLAS_NUM_THREADS`, if a number.
    public static func blasThreads(in environment: [String: String] = ProcessInfo.processInfo.environment) -> Int? {
        EnvironmentVariable.blasThreads.value(in: environment).flatMap { Int($0) }
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
