import Foundation
import MSTrain
import XCTest

final class RunLogReaderTests: XCTestCase {
    private func line(step: Int, loss: Double, psnr: Double? = nil) -> String {
        let validation = psnr.map { #","validation":{"mse":0.01,"psnr":\#($0),"ssim":0.5}"# } ?? ""
        return #"{"cumulativeWorkUnits":\#(Double(step + 1) * 2),"learningRate":0.001,"loss":\#(loss),"seconds":\#(step),"#
            + #""skipped":false,"stage":0,"step":\#(step),"terms":[{"fine":\#(loss),"level":0,"samples":2}],"workUnits":2\#(validation)}"#
    }

    private func write(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("mstrain-log-\(UUID().uuidString).jsonl").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    func testRepeatedStepsKeepTheLastRecordInStepOrder() throws {
        // A run resumed from the checkpoint after step 0 repeats step 1.
        let path = try write([line(step: 0, loss: 0.5), line(step: 1, loss: 0.4), line(step: 1, loss: 0.3, psnr: 21),
                              line(step: 2, loss: 0.2), ""].joined(separator: "\n"))
        let records = try RunLogReader.read(path)
        XCTAssertEqual(records.map(\.step), [0, 1, 2])
        XCTAssertEqual(records[1].loss, 0.3)
        XCTAssertEqual(records[1].validation?.psnr, 21)
        XCTAssertNil(records[0].validation)
        XCTAssertEqual(records[2].cumulativeWorkUnits, 6)
    }

    func testMalformedLineIsNamed() throws {
        let path = try write(line(step: 0, loss: 0.5) + "\n\n" + #"{"step": 1, "trunc"#)
        XCTAssertThrowsError(try RunLogReader.read(path)) { error in
            XCTAssertEqual(error as? RunLogError, .malformed(file: path, line: 3))
        }
    }

    func testEmptyAndMissingLogs() throws {
        let path = try write("\n")
        XCTAssertThrowsError(try RunLogReader.read(path)) { XCTAssertEqual($0 as? RunLogError, .empty(path)) }
        XCTAssertThrowsError(try RunLogReader.read(path + ".missing")) { XCTAssertEqual($0 as? RunLogError, .unreadable(path + ".missing")) }
    }
}
