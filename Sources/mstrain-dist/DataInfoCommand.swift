import ArgumentParser
import Foundation
import MSData

/// `mstrain-dist data info`: what a dataset file holds.
struct DataInfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Print a dataset's format, splits, value range, provenance and pixel statistics.")

    @Argument(help: "The dataset file.") var file: String
    @Flag(help: "Skip the per-split mean and standard deviation (they read every image).") var noStatistics = false

    func run() throws {
        try checkDatasetInChildProcess(file)
        let description = try DatasetDescription(path: file)
        let attributes = description.attributes
        func attribute(_ name: String) -> String { attributes[name]?.description ?? "(not set)" }
        print("file         \(file)")
        print("format       \(attribute(DatasetLayout.Attribute.format)), version \(attribute(DatasetLayout.Attribute.formatVersion))")
        print("value range  \(attribute(DatasetLayout.Attribute.valueRange))")
        print("provenance   \(attribute(DatasetLayout.Attribute.provenance))")
        if let seed = attributes[DatasetLayout.Attribute.generatorSeed] { print("seed         \(seed)") }
        if description.splits.isEmpty { print("splits       none") }
        for split in description.splits {
            var line = split.split.rawValue.padding(toLength: 13, withPad: " ", startingAt: 0)
            if let sizes = split.sizes {
                let heights = sizes.map(\.height), widths = sizes.map(\.width)
                line += "\(split.count) images of \(split.info.shape[1]) channels, \(split.info.elementType), H \(heights.min()!)–\(heights.max()!), "
                    + "W \(widths.min()!)–\(widths.max()!), \(sizes.reduce(0) { $0 + $1.pixels }) pixels"
            } else {
                line += "\(split.count) images, \(split.info.shape) \(split.info.elementType)"
            }
            if !noStatistics, split.count > 0 {
                let statistics = try ImageDataset(path: file, split: split.split, memoryBudgetBytes: 0).pixelStatistics()
                line += String(format: "  mean %.4f  std %.4f (on [0, 1])", statistics.mean, statistics.standardDeviation)
            }
            print(line)
        }
    }
}
