import Foundation
import XCTest
import MSDistributed

final class EnvironmentVariableTests: XCTestCase {
    /// docs/environment.md documents every variable the program reads.
    func testEveryVariableIsDocumented() throws {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let text = try String(contentsOf: repository.appendingPathComponent("docs/environment.md"), encoding: .utf8)
        for variable in EnvironmentVariable.allCases {
            XCTAssertTrue(text.contains("`\(variable.rawValue)`"), "docs/environment.md does not document \(variable.rawValue)")
        }
    }

    func testEmptyValuesCountAsUnset() {
        XCTAssertNil(EnvironmentVariable.cacheDirectory.value(in: ["MSTRAIN_CACHE_DIR": ""]))
        XCTAssertEqual(EnvironmentVariable.cacheDirectory.value(in: ["MSTRAIN_CACHE_DIR": "/data"]), "/data")
        XCTAssertEqual(EnvironmentSettings.blasThreads(in: ["OPENBLAS_NUM_THREADS": "3"]), 3)
        XCTAssertNil(EnvironmentSettings.blasThreads(in: ["OPENBLAS_NUM_THREADS": "many"]))
        XCTAssertEqual(EnvironmentSettings.launchRank(in: ["PMI_RANK": "5"]), 5)
        XCTAssertEqual(EnvironmentSettings.launcher(in: ["OMPI_COMM_WORLD_SIZE": "2"]), .mpi)
        XCTAssertEqual(EnvironmentSettings.launcher(in: ["SLURM_STEP_NUM_TASKS": "4"]), .slurmWithoutMPI(tasks: 4))
    }
}
