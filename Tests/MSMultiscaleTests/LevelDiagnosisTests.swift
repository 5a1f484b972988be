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

    /// The verdict comes from the cost formula over the measured levels, not from the rates:
    /// the example (variances 0.050, 0.071, 4.28 at costs 1, 1/4, 1/16, and a fine
    /// gradient as noisy as the coarse one) saves about 5× although β < γ.
    func testTheCostFormulaDecidesWhereTheRatesDisagree() {
        let costs = [1.0, 0.25, 0.0625]
        let levels = zip([0.050, 0.071, 4.28], costs).enumerated().map {
            LevelStatistics(level: $0.offset, isCorrection: $0.offset < 2, meanNorm: 1, variance: $0.element.0, cost: $0.element.1)
        }
        let fine = LevelStatistics(level: 0, isCorrection: false, meanNorm: 1, variance: 4.28, cost: 1)
        let diagnosis = LevelDiagnosis(levels: levels, fineGradient: fine, samples: 16)
        XCTAssertLessThan(diagnosis.beta, diagnosis.gamma)
        let multilevel = pow(0.050.squareRoot() + (0.071 * 0.25).squareRoot() + (4.28 * 0.0625).squareRoot(), 2)
        XCTAssertEqual(diagnosis.multilevelCost, multilevel, accuracy: 1e-12)
        XCTAssertEqual(diagnosis.predictedSaving!, 4.28 / multilevel, accuracy: 1e-9)
        XCTAssertGreaterThan(diagnosis.predictedSaving!, 4.5)
        XCTAssertTrue(diagnosis.multilevelPays)
        // B = V / (|mean|² − V/M) = 4.28 / (1 − 4.28/16).
        XCTAssertEqual(diagnosis.noiseScale!, 4.28 / (1 - 4.28 / 16), accuracy: 1e-9)
        XCTAssertNil(LevelDiagnosis(levels: levels).predictedFastest())
    }

    /// The coarse-gradient bias subtracts each mean's noise: |D̄|² − V_0/M over |Ḡ|² − V/M.
    func testCoarseBiasIsTheDenoisedRelativeDistanceOfTheCoarseGradient() {
        let levels = [LevelStatistics(level: 0, isCorrection: true, meanNorm: 0.5, variance: 0.16 * 16, cost: 1.25),
                      LevelStatistics(level: 1, isCorrection: false, meanNorm: 1, variance: 1, cost: 0.25)]
        let fine = LevelStatistics(level: 0, isCorrection: false, meanNorm: 1.5, variance: 1.25 * 16, cost: 1)
        let diagnosis = LevelDiagnosis(levels: levels, fineGradient: fine, samples: 16)
        // (0.25 − 0.16) / (2.25 − 1.25) = 0.09.
        XCTAssertEqual(diagnosis.coarseBias!, 0.3, accuracy: 1e-12)
        let noisy = LevelDiagnosis(levels: levels, fineGradient: LevelStatistics(level: 0, isCorrection: false, meanNorm: 1,
                                                                                 variance: 32, cost: 1), samples: 16)
        XCTAssertEqual(noisy.coarseBias, .infinity)
        XCTAssertNil(noisy.predictedFastest())
        XCTAssertNil(LevelDiagnosis(levels: levels, samples: 16).coarseBias)
    }

    /// The modelled costs: single-scale C_0·(b + B); MGE (Σ N_ℓ C_ℓ)(1 + Σ V_ℓ/N_ℓ / |G|²),
    /// and the coarse batches that minimise the latter.
    func testModelledCostsFollowTheNoiseScaleModel() {
        let levels = [LevelStatistics(level: 0, isCorrection: true, meanNorm: 0.1, variance: 1, cost: 1.25),
                      LevelStatistics(level: 1, isCorrection: false, meanNorm: 1, variance: 4, cost: 0.25)]
        let fine = LevelStatistics(level: 0, isCorrection: false, meanNorm: 2, variance: 8, cost: 1)
        let diagnosis = LevelDiagnosis(levels: levels, fineGradient: fine, samples: 8)
        let signal = 4.0 - 1.0, noise = 8 / signal
        XCTAssertEqual(diagnosis.noiseScale!, noise, accuracy: 1e-12)
        XCTAssertEqual(diagnosis.modelledSingleCost(batch: 4)!, 4 + noise, accuracy: 1e-12)
        // N = [1, 4] (sqrt(V_1/C_1) / sqrt(V_0/C_0) = 4/0.894 ≈ 4.47 → 4).
        XCTAssertEqual(diagnosis.recommendedBatches(finestBatch: 1), [1, 4])
        func cost(_ coarse: Double) -> Double { (1.25 + coarse * 0.25) * (1 + (1 + 4 / coarse) / signal) }
        XCTAssertEqual(diagnosis.modelledMultilevelCost(batches: [1, 4])!, cost(4), accuracy: 1e-12)
        // Over N_1 = 1, 2, 4, 8, …: 4.0, 3.5, 3.75, 4.875, … so N_1 = 2, below the variance-optimal 4.
        let best = diagnosis.bestMultilevelBatches(finestBatch: 1)!
        XCTAssertEqual(best.batches, [1, 2])
        XCTAssertEqual(best.cost, cost(2), accuracy: 1e-12)
        for n in (0...LevelDiagnosis.maxCoarseBatchLog2).map({ Double(1 << $0) }) { XCTAssertLessThanOrEqual(best.cost, cost(n)) }
    }

    /// The three verdicts: a small coarse bias favours coarse stages; a large one leaves the
    /// cheaper of MGE and single-scale at their best batches.
    func testPredictedFastestMode() {
        func diagnosis(correctionMean: Double, correctionVariance: Double, fineVariance: Double) -> LevelDiagnosis {
            let levels = [LevelStatistics(level: 0, isCorrection: true, meanNorm: correctionMean, variance: correctionVariance, cost: 1.25),
                          LevelStatistics(level: 1, isCorrection: false, meanNorm: 1, variance: fineVariance, cost: 0.25)]
            let fine = LevelStatistics(level: 0, isCorrection: false, meanNorm: 1, variance: fineVariance, cost: 1)
            return LevelDiagnosis(levels: levels, fineGradient: fine, samples: 1024)
        }
        // Bias 0.1: progressive, whatever the variances.
        let close = diagnosis(correctionMean: 0.1, correctionVariance: 0.01, fineVariance: 4)
        XCTAssertEqual(close.coarseBias!, 0.1, accuracy: 0.01)
        XCTAssertEqual(close.predictedFastest()?.mode, .progressive)
        // Bias 0.5 with corrections 100× quieter than a noisy fine gradient: MGE.
        let quiet = diagnosis(correctionMean: 0.5, correctionVariance: 0.2, fineVariance: 20)
        XCTAssertEqual(quiet.predictedFastest()?.mode, .multiscale)
        // Bias 0.5 with corrections as noisy as the gradient: single-scale at the smallest batch.
        let loud = diagnosis(correctionMean: 0.5, correctionVariance: 4, fineVariance: 4)
        XCTAssertEqual(loud.predictedFastest()?.mode, .single)
        XCTAssertEqual(loud.predictedFastest()?.batch, 1)
    }

    /// Smoothing averages the logarithms: a 30× jump moves the estimate by √30.
    func testSmoothedVariancesDampJumps() {
        XCTAssertEqual(LevelBatchAllocator.smoothed(previous: nil, measured: [1, 2]), [1, 2])
        let next = LevelBatchAllocator.smoothed(previous: [0.029, 0.2], measured: [0.87, 0.2])
        XCTAssertEqual(next[0], (0.029 * 0.87).squareRoot(), accuracy: 1e-12)
        XCTAssertEqual(next[1], 0.2, accuracy: 1e-12)
        XCTAssertEqual(LevelBatchAllocator.smoothed(previous: [0, 1], measured: [3, 1]), [3, 1])
    }
}
