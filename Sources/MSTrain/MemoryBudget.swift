import Foundation
import MSData
import MSDistributed
import MSMultiscale
import MSNN

/// The memory each rank may use for its step and its dataset cache: `--memory-budget-mb`, or
/// else its host's memory (`HostMemory.limitBytes`) shared equally by the job's ranks there.
public struct MemoryBudget: Equatable, Sendable, CustomStringConvertible {
    public let bytes: Int
    /// Where the figure comes from: the option, or the host's memory and rank count.
    public let origin: String

    public init(megabytes: Int?, ranksOnHost: Int) {
        if let megabytes {
            bytes = megabytes << 20
            origin = "--memory-budget-mb \(megabytes)"
        } else {
            let host = HostMemory.limitBytes()
            bytes = host / ranksOnHost
            origin = "this host's \(Self.format(host)) shared by its \(ranksOnHost) rank(s)"
        }
    }

    /// `bytes` in GiB, two decimals.
    public static func format(_ bytes: Int) -> String { String(format: "%.2f GiB", Double(bytes) / Double(1 << 30)) }

    public var description: String { "\(Self.format(bytes)) (\(origin))" }
}

/// A run's predicted peak memory per rank (`StepMemory`) against its budget.
public struct MemoryCheck: Sendable, CustomStringConvertible {
    public let budget: MemoryBudget
    public let neededBytes: Int
    /// The largest micro-batch of any stage's step, or of validation.
    public let largest: StepMemory.MicroBatch

    /// Measures `model` (collective over `communicator`) and predicts every stage of `schedule`
    /// and validation on `sampleSize` samples of `dataset`'s images.
    public init(configuration: TrainingConfiguration, schedule: TrainingSchedule, dataset: ImageDataset, sampleSize: ImageSize, model: Model,
                sharding: SpatialSharding, communicator: any Communicator) throws {
        budget = MemoryBudget(megabytes: configuration.memoryBudgetMB, ranksOnHost: communicator.ranksOnHost)
        let memory = try StepMemory(model: model, imageSide: min(sampleSize.height, sampleSize.width),
                                    strips: sharding.groupSize > 1).agreed(over: communicator)
        largest = memory.largestMicroBatch(of: schedule.stages.map { sharding.plan($0.plan, rankCount: communicator.size) },
                                           validationCount: configuration.validationCount, sharding: sharding,
                                           imageWidth: sampleSize.width, channels: dataset.channels, microBatch: configuration.microBatch)
        let validationImages = StepMemory.validationBytes(count: configuration.sampleGeometry.validationCount(configuration.validationCount, of: dataset),
                                                          channels: dataset.channels, height: sampleSize.height, width: sampleSize.width)
        neededBytes = memory.peakBytes(largestMicroBatch: largest.bytes, validationBytes: validationImages)
    }

    /// What the budget leaves after the step (for the dataset cache).
    public var spareBytes: Int { max(0, budget.bytes - neededBytes) }

    /// Throws `TrainingError.memoryBudget` when the step needs more than the budget.
    public func enforce() throws {
        guard neededBytes <= budget.bytes else {
            throw TrainingError.memoryBudget(neededBytes: neededBytes, budget: budget, largest: largest.description)
        }
    }

    public var description: String {
        "predicted peak memory per rank \(MemoryBudget.format(neededBytes)) (largest micro-batch: \(largest)); budget \(budget)"
    }
}
