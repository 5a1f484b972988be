import Foundation
import XCTest
import MSData
import MSMultiscale
import MSTestSupport
import MSTrain

final class CheckpointTests: XCTestCase {
    var directory: String!

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "mstrain-checkpoint-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try DeadLeaves(size: 16, channels: 3, seed: 2).writeDataset(to: directory + "/data.h5", counts: [.train: 12, .valid: 2])
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: directory) }

    func configuration(_ run: String) -> TrainingConfiguration {
        var c = tinyTrainingConfiguration(.multiscale, levels: 2, batch: 2, iterations: 20, runDirectory: directory + "/" + run)
        c.levelRatio = 2
        c.dropout = 0.2
        c.validateEvery = 5
        c.checkpointEvery = 10
        c.keepCheckpoints = 5
        return c
    }

    func trainer(_ c: TrainingConfiguration) throws -> Trainer {
        try Trainer(configuration: c, dataPath: directory + "/data.h5", reporter: ProgressReporter(quiet: true))
    }

    /// 10 steps, checkpoint, resume, 10 steps equals 20 uninterrupted steps, bitwise.
    func testResumeContinuesBitwise() throws {
        let full = try trainer(configuration("full"))
        _ = try full.run()
        let checkpoint = directory + "/full/" + CheckpointDirectory.fileName(step: 10)
        XCTAssertTrue(FileManager.default.fileExists(atPath: checkpoint))

        let resumed = try trainer(configuration("full"))
        try resumed.resume(from: checkpoint)
        XCTAssertEqual(resumed.state.progress.nextStep, 10)
        XCTAssertEqual(resumed.state.optimizer.stepCount, 10)
        _ = try resumed.run()
        XCTAssertEqual(resumed.model.parameters.snapshotValues(), full.model.parameters.snapshotValues())
        XCTAssertEqual(resumed.state.optimizer.state, full.state.optimizer.state)
        XCTAssertEqual(resumed.state.progress.cumulativeWork, full.state.progress.cumulativeWork)
        XCTAssertEqual(resumed.state.progress.validationHistory.map(\.step), full.state.progress.validationHistory.map(\.step))
        // `latest` names the final checkpoint.
        let latest = try String(contentsOfFile: directory + "/full/latest", encoding: .utf8)
        XCTAssertEqual(latest.trimmingCharacters(in: .whitespacesAndNewlines), CheckpointDirectory.fileName(step: 20))
    }

    func testDamagedCheckpointIsRefusedAndAutoFallsBackToThePreviousOne() throws {
        let run = try trainer(configuration("damaged"))
        // The partial file of a write that was killed is removed by the next checkpoint.
        let abandoned = directory + "/damaged/.checkpoint-00000003.h5.partial-999999999"
        try Data("partial".utf8).write(to: URL(fileURLWithPath: abandoned))
        _ = try run.run()
        XCTAssertFalse(FileManager.default.fileExists(atPath: abandoned))
        let newest = directory + "/damaged/" + CheckpointDirectory.fileName(step: 20)
        // Truncate the newest checkpoint: reading it fails clearly.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: newest))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: newest))
        XCTAssertThrowsError(try trainer(configuration("damaged")).resume(from: newest)) { error in
            XCTAssertTrue("\(error)".contains(newest), "\(error)")
        }
        // Change a parameter of an intact copy: the whole-file CRC-32 catches it before HDF5
        // opens the file; after sealing the changed file again, the checksum of the values does.
        let previous = directory + "/damaged/" + CheckpointDirectory.fileName(step: 10)
        let flipped = directory + "/flipped.h5"
        try FileManager.default.copyItem(atPath: previous, toPath: flipped)
        let file = try HDF5File(openingAt: flipped, writable: true)
        var values = try file.read(Float.self, from: "/parameters/unet.input.weight")
        values[0] += 1
        try file.write(values, to: "/parameters/unet.input.weight")
        try file.close()
        XCTAssertThrowsError(try trainer(configuration("damaged")).resume(from: flipped)) { error in
            XCTAssertTrue("\(error)".contains("the file is damaged: its CRC-32"), "\(error)")
        }
        try HDF5Seal.seal(flipped, format: Checkpoint.format, version: Checkpoint.formatVersion)
        XCTAssertThrowsError(try trainer(configuration("damaged")).resume(from: flipped)) { error in
            XCTAssertTrue("\(error)".contains("checksum mismatch"), "\(error)")
        }
        // --resume auto skips the damaged newest file and resumes from step 10.
        let auto = try trainer(configuration("damaged"))
        let used = try auto.resume(from: "auto")!
        XCTAssertEqual(used, previous)
        XCTAssertEqual(auto.state.progress.nextStep, 10)
    }

    func testIncompatibleConfigurationNamesTheOption() throws {
        let run = try trainer(configuration("compatible"))
        _ = try run.run()
        var other = configuration("compatible")
        other.width = 4
        XCTAssertThrowsError(try trainer(other).resume(from: "auto")) { error in
            XCTAssertTrue("\(error)".contains("--width 8"), "\(error)")
        }
        var otherTask = configuration("compatible")
        otherTask.taskOptions.denoiseMaximumTime = 0.5
        XCTAssertThrowsError(try trainer(otherTask).resume(from: "auto")) { error in
            XCTAssertTrue("\(error)".contains("task options"), "\(error)")
        }
        // A run directory without checkpoints: nothing to resume, the run starts at step 0.
        let fresh = try trainer(configuration("empty"))
        XCTAssertNil(try fresh.resume(from: "auto"))
        XCTAssertEqual(fresh.state.progress.nextStep, 0)
        // Checkpoints that all fail to load: a clear error, not a silent fresh start.
        try Data("junk".utf8).write(to: URL(fileURLWithPath: directory + "/empty/" + CheckpointDirectory.fileName(step: 4)))
        XCTAssertThrowsError(try trainer(configuration("empty")).resume(from: "auto")) { error in
            XCTAssertEqual(error as? CheckpointError, .noneFound(directory: self.directory + "/empty"))
        }
    }

    /// A run with mesh-free convolutions (fixed σ) checkpoints and resumes like any other; a
    /// resume with standard convolutions or another σ is refused, naming the option.
    func testMeshFreeRunResumesAndRefusesOtherConvolutionOptions() throws {
        var c = configuration("mfc")
        c.conv = .mfc
        c.mfcLearnSigma = false
        c.mfcSigma = 0.1
        _ = try trainer(c).run()
        var resumed = c
        resumed.iterations = 21
        let again = try trainer(resumed)
        XCTAssertNotNil(try again.resume(from: "auto"))
        XCTAssertEqual(again.state.progress.nextStep, 20)
        for (option, change) in [("--conv mfc", { (c: inout TrainingConfiguration) in c.conv = .standard }),
                                 ("--mfc-sigma 0.1", { (c: inout TrainingConfiguration) in c.mfcSigma = 0.2 })] {
            var other = c
            change(&other)
            XCTAssertThrowsError(try trainer(other).resume(from: "auto")) { error in
                XCTAssertTrue("\(error)".contains(option), "\(error)")
            }
        }
    }

    func testSignalStopsAtAStepBoundaryWithACheckpoint() throws {
        var c = configuration("signal")
        c.checkpointEvery = 0
        let run = try trainer(c)
        run.stopRequest.request(signal: SIGUSR1)
        XCTAssertThrowsError(try run.run()) { error in
            let interruption = error as? TrainingInterrupted
            XCTAssertEqual(interruption?.step, 1)
            XCTAssertTrue(FileManager.default.fileExists(atPath: interruption?.checkpoint ?? ""))
        }
    }
}
