import MSKernels
import MSNN
import MSTensor
import MSTrain
import XCTest

/// The mesh-convergence experiment on a tiny UNet and small meshes.
final class MeshConvergenceTests: XCTestCase {
    let model = ModelConfiguration(network: .unet, imageChannels: 3, baseWidth: 4, widthMultipliers: [1, 2], groups: 2)

    func testNoiseModelsCarryOneDrawAcrossMeshesWithTheirVariances() throws {
        let experiment = try MeshConvergence(model: model, meshes: [16, 32, 64], samples: 2, noise: 0.1, seed: 3)
        func standardDeviation(_ t: Tensor) -> Double {
            (t.scalars.reduce(0.0) { $0 + Double($1 * $1) } / Double(t.count)).squareRoot()
        }
        let fixed = (16, experiment.restrictedNoise(side: 16, model: .fixedVariance))
        let fine = experiment.restrictedNoise(side: 64, model: .fixedVariance)
        XCTAssertEqual(fixed.1, Resample.restrictInject(Resample.restrictInject(fine)), "the coarse draw is the fine one injected")
        XCTAssertEqual(standardDeviation(fixed.1), 0.1, accuracy: 0.02)
        XCTAssertEqual(standardDeviation(fine), 0.1, accuracy: 0.01)
        // White noise: standard deviation 0.1 · n / 16.
        XCTAssertEqual(standardDeviation(experiment.restrictedNoise(side: 16, model: .whiteNoise)), 0.1, accuracy: 0.02)
        XCTAssertEqual(standardDeviation(experiment.restrictedNoise(side: 64, model: .whiteNoise)), 0.4, accuracy: 0.04)
    }

    func testSmoothFieldIsOneContinuumFunctionAtEveryMesh() throws {
        let experiment = try MeshConvergence(model: model, meshes: [16, 32], samples: 1, noise: 0, seed: 3)
        let coarse = experiment.field(side: 16), fine = experiment.field(side: 32)
        XCTAssertLessThan(coarse.maxAbsDifference(Resample.restrictInject(fine)), 1e-6)
        XCTAssertGreaterThan(coarse.scalars.map(abs).max()!, 0.1)
    }

    /// Differences are positive and finite for every series; a fresh UNet's zero-initialised
    /// output convolution is filled so that every parameter has a gradient.
    func testSeriesHaveOneDifferencePerMeshPair() throws {
        let experiment = try MeshConvergence(model: model, meshes: [8, 16, 32], samples: 1, noise: 0.1, seed: 3)
        for kind in ConvolutionKind.allCases {
            for noise in MeshConvergence.NoiseModel.allCases {
                let series = try experiment.measure(convolution: kind, noise: noise)
                XCTAssertEqual(series.differences.count, 2)
                XCTAssertTrue(series.differences.allSatisfy { $0 > 0 && $0.isFinite }, "\(kind) \(noise): \(series.differences)")
            }
        }
        let network = try makeModel(model, seed: 3)
        MeshConvergence.fillZeroWeights(network.parameters)
        let output = try XCTUnwrap(network.parameters.slot(named: "unet.output.conv.weight"))
        XCTAssertTrue(network.parameters.values[output.range].contains { $0 != 0 })
        XCTAssertThrowsError(try MeshConvergence(model: model, meshes: [16, 48], samples: 1, noise: 0, seed: 0))
    }
}
