import Foundation
import XCTest
import MSTensor
import MSNN
import MSTestSupport

/// The whole UNet against its PyTorch mirror (`tools/torch_unet.py`, fixture `unet.json` from
/// `tools/make_fixtures.py`, computed in Float64): with every parameter loaded from the fixture
/// by path, the output and every parameter gradient of `Σ output ⊙ upstream` must agree.
final class TorchUNetFixtureTests: XCTestCase {
    /// Relative to the reference tensor's largest entry.
    private let tolerance: Float = 1e-4

    func testOutputAndParameterGradientsMatchPyTorch() throws {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "unet", withExtension: "json", subdirectory: "Fixtures"),
                                "unet.json is missing; run python3 tools/make_fixtures.py --only unet")
        let fixture = try Fixture(contentsOf: url)
        let model = try makeModel(ModelConfiguration(network: .unet, imageChannels: 3, baseWidth: 4, widthMultipliers: [1, 2],
                                                     groups: 2, dropout: 0, attention: true), seed: 0)
        let store = model.parameters

        let slotPaths = Set(store.slots.map(\.path))
        let fixturePaths = Set(fixture.tensors.keys.filter { $0.hasPrefix("unet.") })
        XCTAssertEqual(slotPaths.subtracting(fixturePaths).sorted(), [], "Swift parameters missing from the fixture")
        XCTAssertEqual(fixturePaths.subtracting(slotPaths).sorted(), [], "fixture parameters the Swift model lacks")
        XCTAssertEqual(Set(fixture.tensors.keys.filter { $0.hasPrefix("grad.") }), Set(slotPaths.map { "grad." + $0 }),
                       "the fixture must hold one gradient per parameter")

        var values = [Float](repeating: 0, count: store.count)
        for slot in store.slots {
            let tensor = try fixture.tensor(slot.path)
            XCTAssertEqual(tensor.shape, slot.shape, "\(slot.path): fixture shape")
            guard tensor.shape == slot.shape else { return }
            values.replaceSubrange(slot.range, with: tensor.scalars)
        }
        store.load(values: values)

        let input = try fixture.tensor("input")
        let time = try fixture.tensor("time").scalars
        store.zeroGradients()
        let (output, pullback) = try model.forward(input, time: time, context: .evaluation(count: input.batch))
        pullback(try fixture.tensor("upstream"))

        let expectedOutput = try fixture.tensor("output")
        XCTAssertEqual(output.shape, expectedOutput.shape)
        let outputError = relativeError(output, expectedOutput)
        XCTAssertLessThan(outputError, tolerance, "output")

        let gradients = store.snapshotGradients()
        var worst = (path: "", error: Float(0))
        for slot in store.slots {
            let expected = try fixture.tensor("grad." + slot.path)
            let error = relativeError(Tensor(shape: slot.shape, scalars: Array(gradients[slot.range])), expected)
            XCTAssertLessThan(error, tolerance, "gradient of \(slot.path)")
            if error >= worst.error { worst = (slot.path, error) }
        }
        print("TorchUNetFixtureTests: output relative error \(outputError); largest gradient relative error "
              + "\(worst.error) (\(worst.path))")
    }
}
