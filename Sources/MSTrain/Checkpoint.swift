import Foundation
import MSData
import MSMultiscale
import MSNN
import MSOptim
import MSTensor

/// A training checkpoint in HDF5 (layout in docs/checkpoints.md):
///
///     /                      attributes: format = "mstrain-checkpoint", format_version,
///                            configuration (YAML), checksum, next_step, stage, step_in_stage,
///                            seed, optimizer_step_count, cumulative_work, skipped_steps, seconds,
///                            cpu_seconds, schedule (JSON: the stages as decided so far)
///     /parameters/<path>     float32, the slot's shape (for example unet.down.0.res.conv1.weight)
///     /optimizer/<name>      float32 [P], the optimizer's state buffers (exp_avg, …)
///     /metrics/validation    float64 [K, 4]: step, MSE, PSNR, SSIM of every validation so far
///
/// The file starts with an `HDF5Seal` header (a CRC-32 of the whole file), checked before HDF5
/// opens it, so a damaged or truncated file is refused before the HDF5 library parses it.
/// `checksum` is a 64-bit FNV-1a hash (hex) of the parameter and optimizer-state values; a
/// reader recomputes it as well.
///
/// A checkpoint holds one `TrainingState` and the configuration that made it; reading one
/// checks that configuration against the current one, then replaces the state whole.
public enum Checkpoint {
    public static let format = "mstrain-checkpoint"
    /// 2: with the `HDF5Seal` header (version 1 files had none and are refused).
    public static let formatVersion: Int64 = 2

    /// Writes `state`, made under `configuration`, to `path` atomically (temporary file, seal,
    /// fsync, rename).
    public static func write(_ state: TrainingState, configuration: TrainingConfiguration, to path: String) throws {
        let store = state.parameters
        let buffers = state.optimizer.state
        let position = state.position
        try AtomicOutput.write(to: path) { temporary in
            let file = try HDF5File(creatingAt: temporary, userBlockBytes: HDF5Seal.headerBytes)
            let p = state.progress
            let attributes: [(String, HDF5Attribute)] = [
                ("format", .string(format)), ("format_version", .int64(formatVersion)),
                ("configuration", .string(try configuration.yaml())),
                ("checksum", .string(checksum(parameters: Array(store.values), state: buffers))),
                ("next_step", .int64(Int64(p.nextStep))), ("stage", .int64(Int64(position.stage))),
                ("step_in_stage", .int64(Int64(p.nextStep - state.schedule.firstStep(ofStage: position.stage)))),
                ("seed", .int64(Int64(bitPattern: configuration.seed))),
                ("optimizer_step_count", .int64(Int64(state.optimizer.stepCount))),
                ("cumulative_work", .double(p.cumulativeWork)), ("skipped_steps", .int64(Int64(p.skippedSteps))),
                ("seconds", .double(p.seconds)), ("cpu_seconds", .double(p.cpuSeconds)),
                ("schedule", .string(String(decoding: try JSONEncoder().encode(state.schedule), as: UTF8.self))),
            ]
            for (name, value) in attributes { try file.setAttribute(name, value) }
            for slot in store.slots {
                let name = "/parameters/" + slot.path
                try file.createDataset(name, elementType: .float32, shape: slot.shape)
                try file.write(Array(store.values[slot.range]), to: name)
            }
            try file.createGroup("/optimizer")
            for (name, buffer) in buffers.sorted(by: { $0.key < $1.key }) {
                try file.createDataset("/optimizer/" + name, elementType: .float32, shape: [buffer.count])
                try file.write(buffer, to: "/optimizer/" + name)
            }
            let history = p.validationHistory
            try file.createDataset("/metrics/validation", elementType: .float64, shape: [history.count, 4])
            if !history.isEmpty { try file.write(history.flatMap { [Double($0.step), $0.mse, $0.psnr, $0.ssim] }, to: "/metrics/validation") }
            try file.close()
            try HDF5Seal.seal(temporary, format: format, version: formatVersion)
        }
    }

    /// Restores `state` from `path`: parameters, optimizer state, the decided schedule (for a
    /// configuration whose schedule changes as it runs) and progress, all or nothing. Throws a
    /// `CheckpointError` naming the file and the problem when the file is damaged or was
    /// written by a configuration incompatible with `configuration`.
    public static func read(into state: inout TrainingState, configuration: TrainingConfiguration, from path: String) throws {
        let file: HDF5File
        do {
            try HDF5Seal.verify(path, format: format, version: formatVersion)
            file = try HDF5File(openingAt: path)
        } catch let error as HDF5SealError {
            throw error.isInaccessible ? CheckpointError.inaccessible(path: path, reason: error.problem)
                : CheckpointError.unreadable(path: path, reason: error.problem)
        } catch let error as DataError {
            throw CheckpointError.unreadable(path: path, reason: error.description)
        }
        defer { try? file.close() }
        do {
            guard case .string(format)? = try file.attribute("format") else { throw CheckpointError.notACheckpoint(path) }
            guard case .int64(let version)? = try file.attribute("format_version"), version == formatVersion else {
                throw CheckpointError.unreadable(path: path, reason: "unsupported format_version (this program reads \(formatVersion))")
            }
            guard case .string(let yaml)? = try file.attribute("configuration") else {
                throw CheckpointError.unreadable(path: path, reason: "no configuration attribute")
            }
            try checkCompatible(saved: try TrainingConfiguration.parse(yaml: yaml, source: path), current: configuration,
                                path: path)
            let store = state.parameters
            var values = [Float](repeating: 0, count: store.count)
            for slot in store.slots {
                let name = "/parameters/" + slot.path
                guard try file.exists(name) else { throw CheckpointError.unreadable(path: path, reason: "no parameter \(slot.path)") }
                let info = try file.datasetInfo(name)
                guard info.shape == slot.shape else {
                    throw CheckpointError.unreadable(path: path, reason: "\(slot.path) has shape \(info.shape), the model needs \(slot.shape)")
                }
                values.replaceSubrange(slot.range, with: try file.read(Float.self, from: name))
            }
            var buffers: [String: [Float]] = [:]
            for name in state.optimizer.state.keys {
                guard try file.exists("/optimizer/" + name) else {
                    throw CheckpointError.unreadable(path: path, reason: "no optimizer state \(name)")
                }
                buffers[name] = try file.read(Float.self, from: "/optimizer/" + name)
            }
            guard case .string(let stored)? = try file.attribute("checksum"), stored == checksum(parameters: values, state: buffers) else {
                throw CheckpointError.unreadable(path: path, reason: "checksum mismatch: the data is damaged")
            }
            func integer(_ name: String) throws -> Int {
                guard case .int64(let v)? = try file.attribute(name) else {
                    throw CheckpointError.unreadable(path: path, reason: "no attribute \(name)")
                }
                return Int(v)
            }
            func real(_ name: String) throws -> Double {
                guard case .double(let v)? = try file.attribute(name) else {
                    throw CheckpointError.unreadable(path: path, reason: "no attribute \(name)")
                }
                return v
            }
            let schedule = configuration.hasDynamicSchedule
                ? try decidedSchedule(in: file, path: path, planned: state.schedule) : state.schedule
            var progress = TrainingProgress()
            progress.nextStep = try integer("next_step")
            guard (0...schedule.totalIterations).contains(progress.nextStep) else {
                throw CheckpointError.unreadable(path: path, reason: "next_step \(progress.nextStep) is outside the schedule")
            }
            progress.cumulativeWork = try real("cumulative_work")
            progress.skippedSteps = try integer("skipped_steps")
            progress.seconds = try real("seconds")
            if case .double(let cpu)? = try file.attribute("cpu_seconds") { progress.cpuSeconds = cpu }
            let optimizerSteps = try integer("optimizer_step_count")
            // The attributes are outside the checksum: check that they are consistent.
            guard progress.cumulativeWork.isFinite, progress.cumulativeWork >= 0, progress.seconds.isFinite, progress.seconds >= 0,
                  (0...progress.nextStep).contains(progress.skippedSteps),
                  optimizerSteps == progress.nextStep - progress.skippedSteps else {
                throw CheckpointError.unreadable(path: path, reason: "inconsistent progress attributes (damaged file?)")
            }
            let rows = try file.datasetInfo("/metrics/validation").shape[0]
            let flat = rows > 0 ? try file.read(Double.self, from: "/metrics/validation") : []
            progress.validationHistory = (0..<rows).map {
                ValidationRecord(step: Int(flat[4 * $0]), mse: flat[4 * $0 + 1], psnr: flat[4 * $0 + 2], ssim: flat[4 * $0 + 3])
            }
            progress.latestValidation = progress.validationHistory.last?.metrics
            try state.optimizer.restore(state: buffers, stepCount: optimizerSteps)
            store.load(values: values)
            state.schedule = schedule
            state.progress = progress
        } catch let error as CheckpointError {
            throw error
        } catch {
            throw CheckpointError.unreadable(path: path, reason: "\(error)")
        }
    }

    /// The `schedule` attribute of a run whose stages change as it goes: the stage lengths and
    /// level batches decided before the checkpoint. It must have the planned stages' count and meshes.
    static func decidedSchedule(in file: HDF5File, path: String, planned: TrainingSchedule) throws -> TrainingSchedule {
        guard case .string(let json)? = try file.attribute("schedule"),
              let decided = try? JSONDecoder().decode(TrainingSchedule.self, from: Data(json.utf8)) else {
            throw CheckpointError.unreadable(path: path, reason: "no readable schedule attribute (needed by an adaptive schedule)")
        }
        let meshes = { (schedule: TrainingSchedule) in schedule.stages.map { $0.plan.terms.map(\.level) } }
        guard meshes(decided) == meshes(planned), zip(decided.stages, planned.stages).allSatisfy({ $0.iterations <= $1.iterations }) else {
            throw CheckpointError.unreadable(path: path, reason: "its schedule does not fit this configuration's stages")
        }
        return decided
    }

    /// The options that fix the parameter layout, the optimizer state or the meaning of the
    /// data must agree; others (iterations, learning rate, validation, …) may change on resume.
    static func checkCompatible(saved: TrainingConfiguration, current: TrainingConfiguration, path: String) throws {
        // The σ options matter only to mesh-free convolutions.
        let usesMFC = saved.conv == .mfc || current.conv == .mfc
        let checks: [(String, String, String)] = [
            ("--network", saved.network.rawValue, current.network.rawValue),
            ("--width", "\(saved.width.map(String.init) ?? "default")", "\(current.width.map(String.init) ?? "default")"),
            ("--width-multipliers", "\(saved.widthMultipliers)", "\(current.widthMultipliers)"),
            ("--groups", "\(saved.groups)", "\(current.groups)"),
            ("--attention", "\(saved.attention)", "\(current.attention)"),
            ("--conv", saved.conv.rawValue, current.conv.rawValue),
            ("--task", saved.task.rawValue, current.task.rawValue),
            ("task options (taskOptions)", "\(saved.taskOptions)", "\(current.taskOptions)"),
            ("--optimizer", saved.optimizer.rawValue, current.optimizer.rawValue),
            ("--mode", saved.mode.rawValue, current.mode.rawValue),
            ("--seed", "\(saved.seed)", "\(current.seed)"),
        ] + (usesMFC ? [
            ("--mfc-sigma", "\(saved.mfcSigma)", "\(current.mfcSigma)"),
            ("--mfc-learn-sigma", "\(saved.mfcLearnSigma)", "\(current.mfcLearnSigma)"),
        ] : [])
        for (option, was, now) in checks where was != now {
            throw CheckpointError.incompatible(path: path, option: option, checkpoint: was, current: now)
        }
    }

    /// 64-bit FNV-1a over the bit patterns of the parameters and the state buffers (by name).
    static func checksum(parameters: [Float], state: [String: [Float]]) -> String {
        var hash = FNV1a()
        hash.combine(floats: parameters)
        for name in state.keys.sorted() { hash.combine(floats: state[name]!) }
        return String(hash.value, radix: 16)
    }
}

/// Problems with checkpoint files; each message names the file and what to do.
public enum CheckpointError: Error, CustomStringConvertible, Equatable {
    case notACheckpoint(String)
    case unreadable(path: String, reason: String)
    /// Missing, a folder, or not readable (permissions).
    case inaccessible(path: String, reason: String)
    case incompatible(path: String, option: String, checkpoint: String, current: String)
    case noneFound(directory: String)

    public var description: String {
        switch self {
        case .notACheckpoint(let path):
            return "\(path): not an mstrain checkpoint (no format attribute \"\(Checkpoint.format)\"); pass a checkpoint-<step>.h5 file"
        case .unreadable(let path, let reason), .inaccessible(let path, let reason):
            return "\(path): cannot resume from this checkpoint: \(reason). Earlier checkpoints in the same run directory "
                + "are untouched; resume from one of them with --resume PATH"
        case .incompatible(let path, let option, let checkpoint, let current):
            return "\(path) was written with \(option) \(checkpoint), but this run has \(option) \(current); "
                + "use the same \(option) to resume, or start a new run directory"
        case .noneFound(let directory):
            return "--resume auto: no usable checkpoint in \(directory); start without --resume or pass a checkpoint file"
        }
    }
}
