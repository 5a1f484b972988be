import MSData
import MSNN
import MSTensor

/// A model's parameters in HDF5: one float32 dataset per parameter at
/// `/parameters/<slot path>` with the slot's shape, and root attributes `format`
/// ("mstrain-weights"), `format_version` and `configuration` (the run's YAML). The file starts
/// with an `HDF5Seal` header (a CRC-32 of the whole file), checked before HDF5 opens it.
/// Written atomically (temporary file, then rename).
public enum WeightsFile {
    public static let format = "mstrain-weights"
    /// 2: with the `HDF5Seal` header (version 1 files had none and are refused).
    public static let formatVersion: Int64 = 2

    public static func write(_ model: Model, configuration: TrainingConfiguration, to path: String) throws {
        let store = model.parameters
        try AtomicOutput.write(to: path) { temporary in
            let file = try HDF5File(creatingAt: temporary, userBlockBytes: HDF5Seal.headerBytes)
            try file.setAttribute("format", .string(format))
            try file.setAttribute("format_version", .int64(formatVersion))
            try file.setAttribute("configuration", .string(try configuration.yaml()))
            try file.createGroup("/parameters")
            for slot in store.slots {
                let name = "/parameters/" + slot.path
                try file.createDataset(name, elementType: .float32, shape: slot.shape)
                try file.write(Array(store.values[slot.range]), to: name)
            }
            try file.close()
            try HDF5Seal.seal(temporary, format: format, version: formatVersion)
        }
    }

    /// Verifies the file's checksum, then opens it with HDF5.
    static func open(_ path: String) throws -> HDF5File {
        do { try HDF5Seal.verify(path, format: format, version: formatVersion) } catch let error as HDF5SealError {
            throw error.isInaccessible ? WeightsFileError.inaccessible(file: path, problem: error.problem)
                : WeightsFileError.unreadable(file: path, problem: error.problem)
        }
        return try HDF5File(openingAt: path)
    }

    /// Loads every parameter of `model` from `path`; throws if one is missing or has another shape.
    public static func read(into model: Model, from path: String) throws {
        let file = try open(path)
        defer { try? file.close() }
        guard case .string(format)? = try file.attribute("format") else {
            throw WeightsFileError.notWeights(path)
        }
        let store = model.parameters
        var values = store.snapshotValues()
        for slot in store.slots {
            let name = "/parameters/" + slot.path
            guard try file.exists(name) else {
                throw WeightsFileError.missingParameter(file: path, parameter: slot.path)
            }
            let info = try file.datasetInfo(name)
            guard info.shape == slot.shape else {
                throw WeightsFileError.shapeMismatch(file: path, parameter: slot.path, expected: slot.shape, found: info.shape)
            }
            values.replaceSubrange(slot.range, with: try file.read(Float.self, from: name))
        }
        store.load(values: values)
    }
}

/// A weights file that does not fit the model it is loaded into.
public enum WeightsFileError: Error, CustomStringConvertible, Equatable {
    case notWeights(String)
    /// Missing, damaged, truncated or without the checksum header (`HDF5SealError.problem`).
    case unreadable(file: String, problem: String)
    /// Missing, a folder, or not readable (permissions).
    case inaccessible(file: String, problem: String)
    case missingParameter(file: String, parameter: String)
    case shapeMismatch(file: String, parameter: String, expected: [Int], found: [Int])

    public var description: String {
        let hint = "The model options (--network, --width, --width-multipliers, --attention, --conv, --mfc-learn-sigma) must match the run that wrote it."
        switch self {
        case .notWeights(let path):
            return "\(path): not an mstrain weights file (its root attribute format is not \"\(WeightsFile.format)\")"
        case .unreadable(let file, let problem), .inaccessible(let file, let problem):
            return "\(file): \(problem). Pass the weights.h5 of a finished run, or train again to write it"
        case .missingParameter(let file, let parameter):
            return "\(file): has no parameter \(parameter). \(hint)"
        case .shapeMismatch(let file, let parameter, let expected, let found):
            return "\(file):/parameters/\(parameter): expected \(expected), found \(found). \(hint)"
        }
    }
}

extension WeightsFile {
    /// The training configuration stored in a weights file.
    public static func configuration(in path: String) throws -> TrainingConfiguration {
        let file = try open(path)
        defer { try? file.close() }
        guard case .string(format)? = try file.attribute("format"),
              case .string(let yaml)? = try file.attribute("configuration") else {
            throw WeightsFileError.notWeights(path)
        }
        return try TrainingConfiguration.parse(yaml: yaml, source: path)
    }
}

/// Restored samples for inspection, float32 on [0, 1], written atomically: as batches or one
/// dataset per image.
public enum RestoredSamplesFile {
    /// Batches of equal images: `/input`, `/restored`, `/target`, each `[N, C, H, W]`.
    public static func write(input: Tensor, restored: Tensor, target: Tensor, to path: String) throws {
        try write(to: path) { file in
            for (name, tensor) in [("input", input), ("restored", restored), ("target", target)] {
                try file.createDataset("/" + name, elementType: .float32, shape: tensor.shape)
                try file.write(unit(tensor), to: "/" + name)
            }
        }
    }

    /// Images of any size, one dataset each: `/<kind>/0000000` `[C, H, W]` for every kind
    /// (`input`, `restored`, `target`) and image index (`DatasetLayout.imageName`).
    public static func write(perImage images: [(kind: String, images: [Tensor])], to path: String) throws {
        try write(to: path) { file in
            for (kind, tensors) in images {
                try file.createGroup("/" + kind)
                for (index, tensor) in tensors.enumerated() {
                    let name = "/\(kind)/\(DatasetLayout.imageName(index))"
                    try file.createDataset(name, elementType: .float32, shape: Array(tensor.shape.dropFirst()))
                    try file.write(unit(tensor), to: name)
                }
            }
        }
    }

    /// Training values in [−1, 1] as [0, 1], clamped.
    private static func unit(_ tensor: Tensor) -> [Float] { tensor.scalars.map { min(max(($0 + 1) / 2, 0), 1) } }

    /// Writes a new HDF5 file at `path` atomically with `body`.
    private static func write(to path: String, _ body: (HDF5File) throws -> Void) throws {
        try AtomicOutput.write(to: path) { temporary in
            let file = try HDF5File(creatingAt: temporary)
            try body(file)
            try file.close()
        }
    }
}
