import XCTest
import MSDistributed

final class SingleProcessCommunicatorTests: XCTestCase {
    func testCollectivesAreTheIdentity() {
        let communicator = SingleProcessCommunicator()
        XCTAssertEqual(communicator.rank, 0)
        XCTAssertEqual(communicator.size, 1)
        XCTAssertTrue(communicator.isRoot)
        var values: [Float] = [1.5, -2, 3]
        values.withUnsafeMutableBufferPointer { communicator.allreduce($0, op: .sum) }
        values.withUnsafeMutableBufferPointer { communicator.broadcast($0, root: 0) }
        XCTAssertEqual(values, [1.5, -2, 3])
        XCTAssertEqual(communicator.allreduce(0.25, op: .sum), 0.25)
        XCTAssertEqual(communicator.allreduce(UInt64(0xDEAD_BEEF), op: .bitwiseXor), 0xDEAD_BEEF)
        communicator.barrier()
        communicator.step = 7
        XCTAssertEqual(communicator.step, 7)
        communicator.finalize()
    }

    func testBitwiseXorIsDefinedForIntegersOnly() {
        XCTAssertTrue(ReduceOperation.bitwiseXor.isDefined(for: .unsignedInteger64))
        XCTAssertFalse(ReduceOperation.bitwiseXor.isDefined(for: .float32))
        XCTAssertTrue(ReduceOperation.allCases.filter { $0 != .bitwiseXor }.allSatisfy { $0.isDefined(for: .float64) })
    }

    func testStandaloneLaunchGivesSingleProcess() throws {
        XCTAssertTrue(try makeCommunicator(environment: [:]) is SingleProcessCommunicator)
        XCTAssertThrowsError(try makeCommunicator(environment: ["SLURM_STEP_NUM_TASKS": "4", "SLURM_PROCID": "0"])) { error in
            XCTAssertTrue("\(error)".contains("srun --mpi=pmix"))
        }
    }
}

final class EnvironmentSettingsTests: XCTestCase {
    func testStallTimeout() throws {
        let name = EnvironmentVariable.stallTimeout.rawValue
        XCTAssertNil(try EnvironmentSettings.stallTimeout(in: [:]))
        XCTAssertNil(try EnvironmentSettings.stallTimeout(in: [name: "0"]))
        XCTAssertEqual(try EnvironmentSettings.stallTimeout(in: [name: "2.5"]), 2.5)
        for bad in ["soon", "-1", "inf"] {
            XCTAssertThrowsError(try EnvironmentSettings.stallTimeout(in: [name: bad])) { error in
                XCTAssertTrue("\(error)".hasPrefix("\(name)=\(bad): expected a number of seconds"), "\(error)")
            }
        }
    }

    func testLauncherDetection() {
        XCTAssertEqual(EnvironmentSettings.launcher(in: [:]), .standalone)
        XCTAssertEqual(EnvironmentSettings.launcher(in: ["OMPI_COMM_WORLD_SIZE": "4"]), .mpi)
        XCTAssertEqual(EnvironmentSettings.launcher(in: ["PMIX_RANK": "0", "SLURM_STEP_NUM_TASKS": "2"]), .mpi)
        XCTAssertEqual(EnvironmentSettings.launcher(in: ["PMI_RANK": "1"]), .mpi)
        XCTAssertEqual(EnvironmentSettings.launcher(in: ["SLURM_PROCID": "0", "SLURM_STEP_NUM_TASKS": "1"]), .standalone)
        XCTAssertEqual(EnvironmentSettings.launcher(in: ["SLURM_PROCID": "0", "SLURM_STEP_NUM_TASKS": "3"]), .slurmWithoutMPI(tasks: 3))
    }
}
