import Foundation
import XCTest
import MSDistributed

final class StallWatchdogTests: XCTestCase {
    /// Collects the messages the watchdog reports.
    final class Reports: @unchecked Sendable {
        private let lock = NSLock()
        private var messages: [String] = []
        func append(_ message: String) { lock.withLock { messages.append(message) } }
        var all: [String] { lock.withLock { messages } }
    }

    func testReportsACollectiveThatWaitsTooLong() {
        let reports = Reports()
        let watchdog = StallWatchdog(timeout: 0.2) { reports.append($0) }
        watchdog.begin("MPI_Allreduce", step: 12)
        Thread.sleep(forTimeInterval: 0.6)
        XCTAssertEqual(reports.all.count, 1)
        XCTAssertTrue(reports.all.first?.hasPrefix("stalled for 0.") ?? false, "\(reports.all)")
        XCTAssertTrue(reports.all.first?.contains("s in MPI_Allreduce (step 12)") ?? false, "\(reports.all)")
    }

    func testQuietWhileCollectivesFinishInTime() {
        let reports = Reports()
        let watchdog = StallWatchdog(timeout: 0.2) { reports.append($0) }
        for step in 0..<5 {
            watchdog.begin("MPI_Allreduce", step: step)
            Thread.sleep(forTimeInterval: 0.05)
            watchdog.end()
        }
        Thread.sleep(forTimeInterval: 0.4)
        watchdog.begin("MPI_Barrier", step: 5)
        watchdog.stop()
        Thread.sleep(forTimeInterval: 0.4)
        XCTAssertEqual(reports.all, [])
    }
}
