import Foundation
import XCTest
import MSData
import MSTasks
import MSTensor
import MSTrain

final class DatasetExampleSourceTests: XCTestCase {
    /// A strip of each training example (what a rank of a spatial group degrades) is bitwise
    /// those rows of the whole examples, for every task.
    func testStripsOfExamplesAreTheWholeExamplesRows() throws {
        let directory = NSTemporaryDirectory() + "mstrain-source-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try DeadLeaves(size: 32, channels: 3, seed: 5).writeDataset(to: directory + "/data.h5", counts: [.train: 6, .valid: 2])
        let dataset = try ImageDataset(path: directory + "/data.h5", split: .train)
        for kind in TaskKind.allCases {
            let source = try DatasetExampleSource(dataset: dataset, task: RestorationTask(kind: kind), seed: 3)
            let whole = try source.examples(step: 4, level: 1, samples: 1..<4).batch
            for rows in [0..<8, 8..<20, 20..<32] {
                let (strip, ids) = try source.examples(step: 4, level: 1, samples: 1..<4, rows: rows)
                let region = ImageRegion(rows: rows, columns: 0..<32)
                XCTAssertEqual(strip.input, region.extract(from: whole.input), "\(kind) rows \(rows): input")
                XCTAssertEqual(strip.target, region.extract(from: whole.target), "\(kind) rows \(rows): target")
                XCTAssertEqual(strip.time, whole.time, "\(kind)")
                XCTAssertEqual(ids.count, 3)
            }
        }
    }
}
