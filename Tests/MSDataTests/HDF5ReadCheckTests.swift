import Foundation
import MSData
import MSTestSupport
import XCTest

final class HDF5ReadCheckTests: XCTestCase {
    var folder: TemporaryFolder!
    override func setUpWithError() throws { folder = try TemporaryFolder() }
    override func tearDown() { folder.remove() }

    /// A child process that runs the shell `script` with the file as `$1`.
    private func check(_ script: String, seconds: Double? = nil) throws {
        try HDF5ReadCheck.inChildProcess(folder.path("data.h5"), command: ["/bin/sh", "-c", script, "sh"], seconds: seconds)
    }

    func testChildThatReadsOrFailsCleanlyPasses() throws {
        try check("test -n \"$1\"")
        try check("echo 'error: something' >&2; exit 1")
        try check("exit 64")
    }

    func testCrashHangOrOtherStatusIsReportedAsDamage() {
        let path = folder.path("data.h5")
        assertThrowsDataError(try check("kill -SEGV $$"), { $0 == .damaged(path: path, reason: "reading it crashed with signal 11") })
        assertThrowsDataError(try check("exit 3"), { $0 == .damaged(path: path, reason: "reading it ended with status 3") })
        let start = Date()
        assertThrowsDataError(try check("exec sleep 30", seconds: 0.3), { $0 == .damaged(path: path, reason: "reading it did not end within 0 s") })
        XCTAssertLessThan(Date().timeIntervalSince(start), 10, "the hanging child was not killed at its time limit")
        assertThrowsDataError(try HDF5ReadCheck.inChildProcess(path, command: [folder.path("no-such-program")]), {
            if case .readCheckFailed = $0 { return true } else { return false }
        })
        XCTAssertTrue(DataError.damaged(path: path, reason: "x").description.contains("data synth"))
    }

    func testReadDatasetReadsAValidFileAndFailsCleanlyOnATruncatedOne() throws {
        let path = folder.path("data.h5")
        let writer = try DatasetWriter(path: path, storage: .uint8, provenance: "test")
        try writer.addSplit(.train, count: 3, channels: 1, height: 4, width: 4)
        try writer.write(.train, unitImages: [Float](repeating: 0.5, count: 48), at: 0)
        try writer.close()
        try HDF5ReadCheck.readDataset(at: path)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: path))
        assertThrowsDataError(try HDF5ReadCheck.readDataset(at: path), { _ in true })
        XCTAssertEqual(HDF5ReadCheck.timeLimit(bytes: 100_000_000), 12)
    }
}
