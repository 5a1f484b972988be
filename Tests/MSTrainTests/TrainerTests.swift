import Foundation
import XCTest
import MSData
import MSMultiscale
import MSNN
import MSTestSupport
import MSTrain

final class TrainerTests: XCTestCase {
    var folder: TemporaryFolder!
    var directory: String { folder.path }

    override func setUpWithError() throws { folder = try TemporaryFolder() }
    override func tearDown() { folder.remove() }

    func tinyData() throws -> String {
        let path = directory + "/tiny.h5"
        try DeadLeaves(size: 16, channels: 3, seed: 1).writeDataset(to: path, counts: [.train: 12, .valid: 4])
        return path
    }

    func tinyConfiguration(_ mode: TrainingMode) -> TrainingConfiguration {
        var c = tinyTrainingConfiguration(mode, levels: 2, batch: 2, iterations: 3, runDirectory: directory + "/run-\(mode.rawValue)")
        c.validateEvery = 2
        c.validationCount = 4
        return c
    }

    func testFullMultiscaleRunWritesItsFilesAndCarriesStateAcrossStages() throws {
        let data = try tinyData()
        let configuration = tinyConfiguration(.fullMultiscale)
        let trainer = try Trainer(configuration: configuration, dataPath: data, reporter: ProgressReporter(quiet: true))
        XCTAssertEqual(trainer.state.schedule.stages.map(\.iterations), [6, 3])

        // Step through stage 0 by hand, then check the boundary.
        for step in 0..<6 { _ = try trainer.step(step) }
        let endOfStage0 = trainer.model.parameters.snapshotValues()
        let adamState = trainer.state.optimizer.state
        XCTAssertEqual(trainer.state.optimizer.stepCount, 6)
        XCTAssertTrue(adamState["exp_avg"]!.contains { $0 != 0 })
        _ = try trainer.step(6)
        XCTAssertEqual(trainer.state.optimizer.stepCount, 7, "optimizer state carries into stage 1")
        XCTAssertNotEqual(trainer.model.parameters.snapshotValues(), endOfStage0)

        // A full run writes the run directory's files.
        let fresh = try Trainer(configuration: configuration, dataPath: data, reporter: ProgressReporter(quiet: true))
        let summary = try fresh.run()
        XCTAssertEqual(summary.steps, 9)
        XCTAssertEqual(summary.workUnits, fresh.state.schedule.totalWork, accuracy: 1e-9)
        let run = try RunDirectory(path: configuration.runDirectory)
        let lines = try String(contentsOfFile: run.file("log.jsonl"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 9)
        XCTAssertTrue(lines.last!.contains("\"validation\""))
        XCTAssertEqual(try TrainingConfiguration.load(yamlFile: run.file("config.yaml")), configuration)
        // Weights round-trip into a fresh model of the same configuration.
        let other = try makeModel(fresh.model.configuration, seed: 99)
        try WeightsFile.read(into: other, from: run.file("weights.h5"))
        XCTAssertEqual(other.parameters.snapshotValues(), fresh.model.parameters.snapshotValues())
        // A damaged copy is refused by its whole-file checksum, before HDF5 reads it.
        var bytes = try Data(contentsOf: URL(fileURLWithPath: run.file("weights.h5")))
        bytes[bytes.count / 2] ^= 1
        let damaged = run.file("damaged-weights.h5")
        try bytes.write(to: URL(fileURLWithPath: damaged))
        XCTAssertThrowsError(try WeightsFile.read(into: other, from: damaged)) { error in
            guard case .unreadable(damaged, let problem)? = error as? WeightsFileError else { return XCTFail("\(error)") }
            XCTAssertTrue(problem.hasPrefix("the file is damaged"), problem)
        }
    }

    func testRunsAreDeterministic() throws {
        let data = try tinyData()
        var first = tinyConfiguration(.multiscale)
        first.levelRatio = 2
        var second = first
        second.runDirectory += "-again"
        let a = try Trainer(configuration: first, dataPath: data, reporter: ProgressReporter(quiet: true))
        let b = try Trainer(configuration: second, dataPath: data, reporter: ProgressReporter(quiet: true))
        _ = try a.run()
        _ = try b.run()
        XCTAssertEqual(a.model.parameters.snapshotValues(), b.model.parameters.snapshotValues())
    }

    func testConfigurationFileAndValidationErrors() throws {
        let file = directory + "/c.yaml"
        try "mode: single\nbatch: 7\nlearningRate: 0.001\n".write(toFile: file, atomically: true, encoding: .utf8)
        let loaded = try TrainingConfiguration.load(yamlFile: file)
        XCTAssertEqual(loaded.mode, .single)
        XCTAssertEqual(loaded.batch, 7)
        XCTAssertEqual(loaded.learningRate, 0.001)
        XCTAssertEqual(loaded.levels, TrainingConfiguration().levels)
        try "conv: mfc\nmfcSigma: 0.05\nmfcLearnSigma: false\n".write(toFile: file, atomically: true, encoding: .utf8)
        let model = try TrainingConfiguration.load(yamlFile: file).model
        XCTAssertEqual([model.convolution.rawValue, "\(model.mfcSigma)", "\(model.mfcLearnsSigma)"], ["mfc", "0.05", "false"])

        try "bogus: 1\n".write(toFile: file, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try TrainingConfiguration.load(yamlFile: file)) { XCTAssertTrue("\($0)".contains("bogus")) }
        XCTAssertThrowsError(try TrainingConfiguration.load(yamlFile: directory + "/missing.yaml"))

        var c = TrainingConfiguration()
        c.levels = 0
        XCTAssertThrowsError(try c.validate()) { XCTAssertTrue("\($0)".contains("--levels")) }
        c = TrainingConfiguration()
        c.mode = .fullMultiscale
        c.stageIterations = [1, 2]
        XCTAssertThrowsError(try c.validate()) { XCTAssertTrue("\($0)".contains("one value per stage")) }
        c = TrainingConfiguration()
        c.network = .espcn
        XCTAssertThrowsError(try c.validate()) { XCTAssertTrue("\($0)".contains("superres")) }

        // Too many levels for the data and the network's stride.
        var deep = tinyConfiguration(.fullMultiscale)
        deep.levels = 5
        XCTAssertThrowsError(try Trainer(configuration: deep, dataPath: try tinyData(), reporter: ProgressReporter(quiet: true))) {
            XCTAssertTrue("\($0)".contains("fewer levels"))
        }
    }
}
