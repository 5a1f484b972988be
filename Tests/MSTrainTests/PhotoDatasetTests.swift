import Foundation
import XCTest
import MSData
import MSTestSupport
import MSTrain

/// The dataset of `bench quality --regimes photos` (`DefaultDataset.ensurePhotos`): the
/// photographs of the Debian package mate-backgrounds, which launch/setup.sh installs.
final class PhotoDatasetTests: XCTestCase {
    var folder: TemporaryFolder!
    var directory: String { folder.path }

    override func setUpWithError() throws { folder = try TemporaryFolder() }
    override func tearDown() { folder.remove() }

    /// Train holds the first photographs in name order and valid the last two, each image the
    /// file's pixels at its native size, so the splits come from different files; a second
    /// call finds the cached file.
    func testTrainAndValidComeFromDifferentPhotographs() throws {
        let photos = DefaultDataset.photosFolder
        guard FileManager.default.fileExists(atPath: photos) else {
            let reason = "\(photos) is absent: install the Debian package \(DefaultDataset.photosPackage) (launch/setup.sh does)"
            print("PhotoDatasetTests: skipped: \(reason)")
            throw XCTSkip(reason)
        }
        let files = try ImageFolder.imageFiles(photos)
        XCTAssertGreaterThan(files.count, DefaultDataset.photosValidCount)
        var messages: [String] = []
        let path = try DefaultDataset.ensurePhotos(directory: directory) { messages.append($0) }
        XCTAssertFalse(messages.isEmpty, "the first call imports and says so")

        let train = try ImageDataset(path: path, split: .train, memoryBudgetBytes: 0)
        let valid = try ImageDataset(path: path, split: .valid, memoryBudgetBytes: 0)
        let validCount = DefaultDataset.photosValidCount
        XCTAssertEqual(train.count, files.count - validCount)
        XCTAssertEqual(valid.count, validCount)
        let trainFiles = files.prefix(train.count), validFiles = files.suffix(validCount)
        XCTAssertTrue(Set(trainFiles).isDisjoint(with: validFiles))
        for (dataset, split) in [(train, Array(trainFiles)), (valid, Array(validFiles))] {
            for (index, file) in split.enumerated() {
                try assertImage(index, of: dataset, is: file)
            }
        }

        messages.removeAll()
        XCTAssertEqual(try DefaultDataset.ensurePhotos(directory: directory) { messages.append($0) }, path)
        XCTAssertTrue(messages.isEmpty, "the second call finds the cached file: \(messages)")
    }

    /// A missing folder is reported with the package that provides the photographs.
    func testMissingFolderNamesThePackage() {
        XCTAssertThrowsError(try DefaultDataset.ensurePhotos(folder: directory + "/absent", directory: directory) { _ in }) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains("absent") && message.contains("apt-get install \(DefaultDataset.photosPackage)"), message)
        }
    }

    /// Image `index` of `dataset` has the size and channels of `file` and, on a few rows, its
    /// decoded pixels (stored in [−1, 1]).
    private func assertImage(_ index: Int, of dataset: ImageDataset, is file: String, line: UInt = #line) throws {
        let decoded = try ImageCodecs.decode(file).image.converted(toChannels: dataset.channels)
        let size = dataset.sizes[index]
        XCTAssertEqual(size, ImageSize(height: decoded.height, width: decoded.width), "\(file)", line: line)
        guard case .uint8(let pixels) = decoded.values else { return XCTFail("\(file): not 8-bit", line: line) }
        for y in [0, decoded.height / 2, decoded.height - 1] {
            let row = try dataset.region(index, rows: y ..< y + 1, columns: 0 ..< decoded.width)
            for c in 0..<decoded.channels {
                for x in stride(from: 0, to: decoded.width, by: 7) {
                    let expected = 2 * Float(pixels[(c * decoded.height + y) * decoded.width + x]) / 255 - 1
                    guard abs(row[0, c, 0, x] - expected) <= 1e-6 else {
                        return XCTFail("\(file): pixel (\(c), \(y), \(x)) is \(row[0, c, 0, x]) in the dataset, \(expected) in the file", line: line)
                    }
                }
            }
        }
    }
}
