import MSData
import XCTest

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
