import Foundation
import XCTest
import MSData
import MSMultiscale
import MSNN
import MSTasks
import MSTensor
import MSTestSupport
import MSTrain

/// Whole-image inference (`ImageRestorer`) and evaluation (`WholeImageEvaluation`).
final class WholeImageTests: XCTestCase {
    var folder: TemporaryFolder!
    var directory: String { folder.path }

    override func setUpWithError() throws { folder = try TemporaryFolder() }
    override func tearDown() { folder.remove() }

    /// Padding reflects about the last row and column; sizes already multiples are kept.
    func testReflectPaddingMirrorsTheLastRowAndColumn() {
        let image = Tensor(shape: [1, 1, 3, 2], scalars: [1, 2, 3, 4, 5, 6])
        let padded = ImageRestorer.reflectPadded(image, toMultipleOf: 4)
        XCTAssertEqual(padded.shape, [1, 1, 4, 4])
        // Rows 0, 1, 2, then row 1 again; columns 0, 1, then 0, 1 (reflection of a width-2 image).
        XCTAssertEqual(padded.scalars, [1, 2, 1, 2, 3, 4, 3, 4, 5, 6, 5, 6, 3, 4, 3, 4])
        XCTAssertEqual(ImageRestorer.reflectPadded(padded, toMultipleOf: 4), padded)
    }

    /// A tile as large as the image is one pass; smaller tiles cover every pixel once, with
    /// the output of a pass over the tile grown by the overlap.
    func testTilesCoverTheImage() throws {
        let model = try makeModel(ModelConfiguration(network: .unet, baseWidth: 8, groups: 4), seed: 1)
        var random = CounterRandom(seed: 2, stream: 0)
        var perturbation = [Float](repeating: 0, count: model.parameters.count)
        perturbation.withUnsafeMutableBufferPointer { random.fillNormal($0) }
        model.parameters.load(values: zip(model.parameters.snapshotValues(), perturbation).map { $0 + 0.05 * $1 })
        let restorer = ImageRestorer(estimator: MultilevelEstimator(model: model, restriction: .inject))
        var image = Tensor(shape: [1, 3, 30, 21])
        image.withUnsafeMutableBufferPointer { random.fillNormal($0) }
        let whole = try restorer.restore(image, time: 0.5, layout: .whole)
        XCTAssertEqual(try restorer.restore(image, time: 0.5, layout: .tiles(side: 32, overlap: 0)), whole)
        let tiled = try restorer.restore(image, time: 0.5, layout: .tiles(side: 8, overlap: 4))
        XCTAssertEqual(tiled.shape, whole.shape)
        // The top-left core comes from the pass over rows 0..<12, columns 0..<12.
        let corner = try restorer.estimator.predict(ImageRegion(rows: 0..<12, columns: 0..<12).extract(from: image), time: [0.5],
                                                    context: .evaluation(count: 1))
        XCTAssertEqual(ImageRegion(rows: 0..<8, columns: 0..<8).extract(from: tiled),
                       ImageRegion(rows: 0..<8, columns: 0..<8).extract(from: corner))
    }

    /// Evaluating whole images of a uniform set gives the validation's samples and metrics.
    func testWholeImagesOfAUniformSetAreTheValidationSamples() throws {
        let data = directory + "/d.h5"
        try DeadLeaves(size: 16, channels: 3, seed: 1).writeDataset(to: data, counts: [.train: 4, .valid: 3])
        var configuration = tinyTrainingConfiguration(.single, levels: 1, batch: 2, iterations: 2, runDirectory: directory + "/run")
        configuration.validationCount = 3
        let trainer = try Trainer(configuration: configuration, dataPath: data, reporter: ProgressReporter(quiet: true))
        _ = try trainer.run()
        let valid = try ImageDataset(path: data, split: .valid)
        let evaluation = WholeImageEvaluation(trained: try TrainedModel(weights: directory + "/run/weights.h5"), dataset: valid)
        let predictions = try trainer.validator.predictions(trainer.estimator)
        for index in 0..<3 {
            let image = try evaluation.image(index, layout: .whole)
            XCTAssertEqual(image.input, trainer.validator.batch.input.batchSlice(index..<(index + 1)))
            let expected = predictions.batchSlice(index..<(index + 1))
            XCTAssertEqual(image.restored.scalars.count, expected.scalars.count)
            for (a, b) in zip(image.restored.scalars, expected.scalars) { XCTAssertEqual(a, b, accuracy: 1e-5) }
        }
    }
}
