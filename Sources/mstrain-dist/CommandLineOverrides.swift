import ArgumentParser
import Foundation
import MSTrain
import Yams

// Option groups are `Encodable` with the configuration's keys: each option encodes its value
// under its property name (an option not given encodes as null), so the options given on the
// command line become a mapping that overrides the configuration's (`commandLineOverrides`).

extension Option: @retroactive Encodable where Value: Encodable {
    public func encode(to encoder: any Encoder) throws { try wrappedValue.encode(to: encoder) }
}

extension Flag: @retroactive Encodable where Value: Encodable {
    public func encode(to encoder: any Encoder) throws { try wrappedValue.encode(to: encoder) }
}

extension OptionGroup: @retroactive Encodable where Value: Encodable {
    public func encode(to encoder: any Encoder) throws { try wrappedValue.encode(to: encoder) }
}

/// The options given in `groups` as a mapping of configuration keys (`TrainingConfiguration`'s
/// YAML keys): options not given are left out, nested groups stay nested (`taskOptions`), and the
/// two options spelled differently from their keys are rewritten:
/// - `--level-batches adaptive` sets `adaptiveLevelBatches: true` (a list sets `levelBatches`);
/// - `--on-non-finite skip|stop` sets `stopOnNonFinite: false|true`.
func commandLineOverrides(_ groups: [any Encodable]) throws -> Node.Mapping {
    var overrides = Node.Mapping([])
    for group in groups {
        guard case .mapping(let mapping)? = try Yams.compose(yaml: try YAMLEncoder().encode(group)) else {
            preconditionFailure("an option group encodes to a YAML mapping")
        }
        for (key, value) in withoutNulls(mapping) { overrides[key] = value }
    }
    if overrides["levelBatches"]?.string == LevelBatchesArgument.adaptiveSpelling {
        overrides["levelBatches"] = nil
        overrides["adaptiveLevelBatches"] = Node(String(true))
    }
    if let policy = overrides["onNonFinite"] {
        overrides["onNonFinite"] = nil
        overrides["stopOnNonFinite"] = Node(String(policy.string == NonFinitePolicy.stop.rawValue))
    }
    return overrides
}

/// `mapping` without its null entries (options not given), in nested mappings too.
private func withoutNulls(_ mapping: Node.Mapping) -> Node.Mapping {
    Node.Mapping(mapping.compactMap { key, value in
        switch value {
        case .mapping(let nested): return (key, .mapping(withoutNulls(nested)))
        default: return value.tag == Tag(.null) ? nil : (key, value)
        }
    })
}

/// A comma-separated list of integers (`1,2,4`), as the list options take it.
func integerList(_ text: String) throws -> [Int] {
    let values = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
    guard !values.isEmpty, values.allSatisfy({ $0 != nil }) else { throw ValidationError("expected comma-separated integers") }
    return values.map { $0! }
}

/// `--level-batches`: per-level batches, or adaptive ones.
enum LevelBatchesArgument: Encodable {
    /// Reallocated during the run from measured level variances.
    case adaptive
    /// Fixed per-level batches, finest first.
    case batches([Int])

    /// The spelling of `adaptive`.
    static let adaptiveSpelling = "adaptive"

    init(argument: String) throws {
        if argument == Self.adaptiveSpelling { self = .adaptive; return }
        do { self = .batches(try integerList(argument)) } catch {
            throw ValidationError("expected comma-separated integers or '\(Self.adaptiveSpelling)'")
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .adaptive: try container.encode(Self.adaptiveSpelling)
        case .batches(let batches): try container.encode(batches)
        }
    }
}
