import Foundation
import XCTest
import MSData
import MSMultiscale
import MSNN
import MSPlan
import MSTestSupport
import MSTrain

final class StepMemoryTests: XCTestCase {
    var folder: TemporaryFolder!
    var directory: String { folder.path }

    override func setUpWithError() throws { folder = try TemporaryFolder() }
    override func tearDown() { folder.remove() }

    /// A step over the budget is refused before the run directory is made, naming the option.
    func testARunOverItsMemoryBudgetIsRefusedBeforeItStarts() throws {
        let data = directory + "/d.h5"
        try DeadLeaves(size: 32, channels: 3, seed: 1).writeDataset(to: data, counts: [.train: 4, .valid: 2])
        var configuration = tinyTrainingConfiguration(.single, levels: 1, batch: 2, iterations: 1, runDirectory: directory + "/run")
        configuration.memoryBudgetMB = 1
        XCTAssertThrowsError(try Trainer(configuration: configuration, dataPath: data, reporter: ProgressReporter(quiet: true))) {
            guard case .memoryBudget(let needed, let budget, _)? = $0 as? TrainingError else { return XCTFail("\($0)") }
            XCTAssertGreaterThan(needed, budget.bytes)
            XCTAssertTrue("\($0)".contains("raise --memory-budget-mb"), "\($0)")
            XCTAssertTrue("\($0)".contains("--spatial-shards"), "\($0)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory + "/run"))
        configuration.memoryBudgetMB = nil
        XCTAssertNoThrow(try Trainer(configuration: configuration, dataPath: data, reporter: ProgressReporter(quiet: true)))
    }

    /// The activation memory is measured (positive), grows with the pixels of the largest
    /// micro-batch, and falls with strips: a quarter of the rows in groups of 4.
    func testThePredictionFollowsTheLargestMicroBatch() throws {
        let model = try makeModel(ModelConfiguration(network: .unet, imageChannels: 1, baseWidth: 8), seed: 0)
        let memory = try StepMemory(model: model, imageSide: 64, strips: true)
        XCTAssertGreaterThan(memory.activationBytesPerPixel, 0)
        XCTAssertGreaterThan(memory.stripActivationBytesPerPixel, 0)
        let plan = EstimatorPlan(terms: [EstimatorTerm(level: 0, isCorrection: false, batchSize: 4)])
        func largest(groupSize: Int, microBatch: Int) -> StepMemory.MicroBatch {
            let sharding = SpatialSharding(groupSize: groupSize, imageHeight: 1024, totalStride: model.totalStride)
            return memory.largestMicroBatch(of: [sharding.plan(plan, rankCount: 4)], validationCount: 1, sharding: sharding,
                                            imageWidth: 1024, channels: 1, microBatch: microBatch)
        }
        // One rank per group: 4 groups, one sample each.
        let whole = largest(groupSize: 1, microBatch: 8)
        let expected = memory.microBatchBytes(samples: 1, rows: 1024, width: 1024, finestPixels: 1024 * 1024, channels: 1,
                                              onStrips: false)
        XCTAssertEqual(whole.bytes, expected)
        // One group of 4: the 4 level-0 samples on strips of 256 rows, 2 at a time with micro-batches of 2.
        let tiled = largest(groupSize: 4, microBatch: 2)
        XCTAssertTrue(tiled.description.contains("strips of 256 rows"), tiled.description)
        XCTAssertEqual(tiled.bytes, memory.microBatchBytes(samples: 2, rows: 256, width: 1024, finestPixels: 256 * 1024,
                                                           channels: 1, onStrips: true))
    }
}
