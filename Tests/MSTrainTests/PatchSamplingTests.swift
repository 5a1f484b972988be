import Foundation
import XCTest
import MSData
import MSTasks
import MSTensor
import MSTestSupport
import MSTrain

/// Training on crops of images of different sizes (`SampleGeometry`, `SampleWindow`).
final class PatchSamplingTests: XCTestCase {
    var folder: TemporaryFolder!
    var directory: String { folder.path }

    override func setUpWithError() throws { folder = try TemporaryFolder() }
    override func tearDown() { folder.remove() }

    /// A per-image dataset of three RGB images of different sizes, pixel values from their position.
    private func unequalImages() throws -> ImageDataset {
        let path = directory + "/unequal.h5"
        let writer = try DatasetWriter(path: path, storage: .uint8, layout: .perImage, provenance: "test")
        for (k, (height, width)) in [(40, 57), (33, 33), (64, 48)].enumerated() {
            let values = (0..<(3 * height * width)).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ k &* 101) }
            try writer.append(ImageArray(count: 1, channels: 3, height: height, width: width, values: .uint8(values)), to: .train)
        }
        try writer.close()
        return try ImageDataset(path: path, split: .train, memoryBudgetBytes: 0)
    }

    /// The window of a sample, turned, equals the crop of the whole image turned by the
    /// transform's formula, for all eight symmetries; rows read periodically wrap.
    func testWindowsAreTheTurnedCropsOfTheirImage() throws {
        let dataset = try unequalImages()
        let image = try dataset.region(0, rows: 0..<40, columns: 0..<57)
        for code in 0..<8 {
            let transform = DihedralTransform(code: code)
            let window = SampleWindow(image: 0, top: 5, left: 20, size: ImageSize(height: 24, width: 24), transform: transform)
            let read = try window.read(rows: -3..<27, from: dataset)
            XCTAssertEqual(read.shape, [1, 3, 30, 24])
            for c in 0..<3 {
                for (k, y) in (-3..<27).enumerated() {
                    let i = (y + 24) % 24
                    for j in 0..<24 {
                        var (u, v) = transform.transposes ? (j, i) : (i, j)
                        if transform.flipsRows { u = 23 - u }
                        if transform.flipsColumns { v = 23 - v }
                        XCTAssertEqual(read[0, c, k, j], image[0, c, 5 + u, 20 + v], "code \(code) (\(transform)) at \(c), \(y), \(j)")
                    }
                }
            }
        }
    }

    /// Crops lie inside their image, come from the sample's stream alone, use all symmetries
    /// with `augments`, and a strip of every task's examples is bitwise those rows of the whole.
    func testPatchesAreDeterministicInsideTheirImagesAndSplitIntoStrips() throws {
        let dataset = try unequalImages()
        let geometry = SampleGeometry(patch: 32, augments: true)
        var transforms = Set<DihedralTransform>()
        for stream in 0..<200 as Range<UInt64> {
            let window = geometry.trainingWindow(seed: 9, stream: stream, dataset: dataset)
            let size = dataset.sizes[window.image]
            XCTAssertTrue(window.top >= 0 && window.top + 32 <= size.height && window.left >= 0 && window.left + 32 <= size.width)
            XCTAssertEqual(window, geometry.trainingWindow(seed: 9, stream: stream, dataset: dataset))
            transforms.insert(window.transform)
        }
        XCTAssertEqual(transforms.count, 8)
        XCTAssertEqual(Set((0..<50 as Range<UInt64>).map { SampleGeometry(patch: 32).trainingWindow(seed: 9, stream: $0, dataset: dataset).transform }),
                       [.identity])
        for kind in TaskKind.allCases {
            let source = try DatasetExampleSource(dataset: dataset, task: RestorationTask(kind: kind), seed: 3, geometry: geometry)
            let whole = try source.examples(step: 2, level: 0, samples: 0..<5).batch
            XCTAssertEqual(whole.input.shape, [5, 3, 32, 32])
            for rows in [0..<8, 8..<20, 20..<32] {
                let strip = try source.examples(step: 2, level: 0, samples: 0..<5, rows: rows).batch
                let region = ImageRegion(rows: rows, columns: 0..<32)
                XCTAssertEqual(strip.input, region.extract(from: whole.input), "\(kind) rows \(rows)")
                XCTAssertEqual(strip.target, region.extract(from: whole.target), "\(kind) rows \(rows)")
            }
        }
    }

    /// Unequal images need a patch no larger than the smallest image; the errors say so.
    func testSampleSizeErrorsNameTheOption() throws {
        let dataset = try unequalImages()
        XCTAssertThrowsError(try SampleGeometry().sampleSize(of: dataset)) { XCTAssertTrue("\($0)".contains("--patch"), "\($0)") }
        XCTAssertThrowsError(try SampleGeometry(patch: 34).sampleSize(of: dataset)) {
            XCTAssertTrue("\($0)".contains("at most 33"), "\($0)")
        }
        XCTAssertEqual(try SampleGeometry(patch: 33).sampleSize(of: dataset), ImageSize(height: 33, width: 33))
    }
}
