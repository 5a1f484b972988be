import ArgumentParser
import MSData

/// `mstrain-dist data synth`: a dataset of dead-leaves images (uint8).
struct DataSynthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synth",
        abstract: "Write a dataset of synthetic dead-leaves images.",
        discussion: """
            Random opaque discs with radius density ∝ r^-3 are stacked until they cover each image. \
            Image i of a split depends only on (seed, split, i). In the upsampled regime the images are \
            drawn at size/factor and bilinearly upsampled, so they hold no detail finer than factor pixels.
            """)

    enum Regime: String, CaseIterable, ExpressibleByArgument { case native, upsampled }

    @OptionGroup var output: DataOutputOptions
    @Option(help: "Images in the train split.") var trainCount = 2048
    @Option(help: "Images in the valid split.") var validCount = 256
    @Option(help: "Images in the test split (0: no test split).") var testCount = 0
    @Option(help: "Side of the square images, in pixels.") var size = 64
    @Option(help: "1 (grey) or 3 (RGB).") var channels = 3
    @Option(help: "Random seed.") var seed: UInt64 = 0
    @Option(help: "Smallest disc radius, in output pixels.") var minRadius: Float = 1
    @Option(help: "Largest disc radius, in output pixels (default: size/2).") var maxRadius: Float?
    @Option(help: "Where fine detail comes from: native (sharp at full resolution) or upsampled.") var regime: Regime = .native
    @Option(help: "Upsampling factor of the upsampled regime (must divide --size).") var upsampleFactor = 4
    @Option(help: "Cap on discs per image.") var maxDiscs = 100_000

    func validate() throws {
        guard trainCount >= 1 else { throw ValidationError("--train-count must be at least 1, got \(trainCount)") }
        guard validCount >= 1 else { throw ValidationError("--valid-count must be at least 1, got \(validCount)") }
        guard testCount >= 0 else { throw ValidationError("--test-count must not be negative, got \(testCount)") }
        do { _ = try generator() } catch let error as DataError { throw ValidationError(error.description) }
    }

    func run() throws {
        let start = ContinuousClock.now
        let generator = try generator()
        let counts: [Split: Int] = [.train: trainCount, .valid: validCount, .test: testCount]
        try AtomicOutput.write(to: output.output) { try generator.writeDataset(to: $0, counts: counts) }
        print("wrote \(output.output): train \(trainCount), valid \(validCount), test \(testCount) images of "
              + "[\(channels), \(size), \(size)] uint8, dead leaves \(generator.regime), seed \(seed), in \(secondsSince(start))")
    }

    private func generator() throws -> DeadLeaves {
        try DeadLeaves(size: size, channels: channels, seed: seed, minRadius: minRadius, maxRadius: maxRadius,
                       regime: regime == .native ? .native : .upsampled(factor: upsampleFactor), maxDiscs: maxDiscs)
    }
}
