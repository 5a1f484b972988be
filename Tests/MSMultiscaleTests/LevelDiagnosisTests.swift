import XCTest
import MSMultiscale

final class LevelDiagnosisTests: XCTestCase {
    func testRatesAndBatchesFromKnownStatistics() {
        // V_ℓ = 2^(3ℓ)/1000 (β = 3), C_ℓ = 4^−ℓ (γ = 2), last level the coarsest term.
        let levels = (0..<4).map {
            LevelStatistics(level: $0, isCorrection: $0 < 3, meanNorm: 1, variance: pow(2, 3 * Double($0)) / 1000,
                            cost: pow(0.25, Double($0)))
        }
        let diagnosis = LevelDiagnosis(levels: levels)
        XCTAssertEqual(diagnosis.beta, 3, accuracy: 1e-12)
        XCTAssertEqual(diagnosis.gamma, 2, accuracy: 1e-12)
        XCTAssertTrue(diagnosis.multilevelPays)
        // N_ℓ ∝ sqrt(V_ℓ/C_ℓ) = sqrt(2^(3ℓ)·4^ℓ) = 2^(2.5ℓ).
        XCTAssertEqual(diagnosis.recommendedBatches(finestBatch: 4), [4, 23, 128, 724])
    }

    func testBatchesMoveTowardALevelWhoseVarianceGrows() {
        let costs = [1.0, 0.25, 0.0625]
        let base = LevelDiagnosis.optimalBatches(variances: [1, 1, 1], costs: costs, finestBatch: 8)
        let louder = LevelDiagnosis.optimalBatches(variances: [1, 16, 1], costs: costs, finestBatch: 8)
        XCTAssertEqual(base, [8, 16, 32])
        XCTAssertEqual(louder[1], 4 * base[1])
        XCTAssertEqual(louder[0], base[0])
        XCTAssertEqual(louder[2], base[2])
        // Slow variance decay: the diagnosis says multilevel estimation does not pay.
        let flat = LevelDiagnosis(levels: (0..<3).map {
            LevelStatistics(level: $0, isCorrection: $0 < 2, meanNorm: 1, variance: 1, cost: costs[$0])
        })
        XCTAssertFalse(flat.multilevelPays)
    }
}
