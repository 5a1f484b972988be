import Foundation
import MSData
import XCTest

/// A fresh folder under the system's temporary directory, removed by `remove()`.
struct TemporaryFolder {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("mstrain-data-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// Path of `name` inside the folder.
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    func remove() { try? FileManager.default.removeItem(at: url) }

    /// Writes `bytes` to `name` in the folder, or in its subfolder `subfolder` (created as
    /// needed). Returns the file's path.
    @discardableResult
    func write(_ bytes: [UInt8], _ name: String, in subfolder: String? = nil) throws -> String {
        let directory = subfolder.map { url.appendingPathComponent($0) } ?? url
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let file = directory.appendingPathComponent(name)
        try Data(bytes).write(to: file)
        return file.path
    }
}

/// Asserts that `expression` throws a `DataError` for which `matches` holds.
func assertThrowsDataError<T>(_ expression: @autoclosure () throws -> T, _ matches: (DataError) -> Bool,
                              file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertThrowsError(try expression(), file: file, line: line) { error in
        guard let dataError = error as? DataError else {
            return XCTFail("expected a DataError, got \(error)", file: file, line: line)
        }
        XCTAssertTrue(matches(dataError), "unexpected error: \(dataError)", file: file, line: line)
    }
}
