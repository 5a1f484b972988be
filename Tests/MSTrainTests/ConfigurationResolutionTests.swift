import MSTasks
import MSTrain
import XCTest
import Yams

/// How a configuration is resolved: defaults, then a configuration file, then the options given
/// on the command line (a mapping of configuration keys, `overridden(by:source:)`).
final class ConfigurationResolutionTests: XCTestCase {
    /// A configuration file that sets top-level and task options.
    private let file = """
        mode: multiscale
        levels: 3
        batch: 7
        width: 24
        taskOptions:
          inpaintBoxes: 3
          superresFactor: 4
        """

    /// `text`, a YAML mapping, as the overrides of `overridden(by:source:)`.
    private func mapping(_ text: String) throws -> Node.Mapping {
        try XCTUnwrap(try Yams.compose(yaml: text)?.mapping)
    }

    /// Without --batch and --iterations each mode trains with its own defaults: the measured
    /// best single-scale configuration, the released settings for the others; a run saves them.
    func testBatchAndIterationsDefaultPerMode() throws {
        let defaults = TrainingConfiguration()
        XCTAssertEqual(defaults.mode, .single)
        XCTAssertEqual([defaults.effectiveBatch, defaults.effectiveIterations, try defaults.schedule().totalIterations], [2, 1024, 1024])
        XCTAssertEqual(defaults.effectiveLearningRate, 1e-3)
        let staged = try TrainingConfiguration.parse(yaml: "mode: progressive\n", source: "p.yaml")
        XCTAssertEqual([staged.effectiveBatch, staged.effectiveIterations], [8, 40])
        XCTAssertEqual(staged.effectiveLearningRate, 2e-3)
        XCTAssertEqual(try staged.schedule().totalIterations, 8 * 40 + 4 * 40 + 2 * 40 + 40)
        let given = try staged.overridden(by: try mapping("batch: 4\n"), source: "the command line").withModeDefaults()
        XCTAssertEqual([given.batch, given.iterations], [4, 40], "a given batch stays; the missing step count is written in")
        XCTAssertEqual(given.learningRate, 2e-3)
        XCTAssertEqual(try TrainingConfiguration.parse(yaml: try given.yaml(), source: "config.yaml"), given)
    }

    func testGivenOptionsOverrideTheFileAndTheRestKeepsTheFileOrTheDefaults() throws {
        let fromFile = try TrainingConfiguration.parse(yaml: file, source: "c.yaml")
        let given = try mapping("""
            batch: 2
            seed: 9
            taskOptions:
              superresFactor: 8
              blurSigmaPixels: 1.5
            """)
        let resolved = try fromFile.overridden(by: given, source: "the command line")

        XCTAssertEqual(resolved.batch, 2, "an option given overrides the file")
        XCTAssertEqual(resolved.seed, 9, "an option given overrides the default")
        XCTAssertEqual(resolved.levels, 3, "an option not given keeps the file's value")
        XCTAssertEqual(resolved.width, 24, "an optional key keeps the file's value")
        XCTAssertEqual(resolved.mode, .multiscale)
        XCTAssertEqual(resolved.iterations, TrainingConfiguration().iterations, "neither given: the default")
        var task = TaskOptions()
        task.inpaintBoxes = 3
        task.superresFactor = 8
        task.blurSigmaPixels = 1.5
        XCTAssertEqual(resolved.taskOptions, task, "task options merge key by key")
    }

    func testNothingGivenIsTheDefaultConfiguration() throws {
        XCTAssertEqual(try TrainingConfiguration.parse(yaml: "", source: "empty.yaml"), TrainingConfiguration())
        XCTAssertEqual(try TrainingConfiguration().overridden(by: Node.Mapping([]), source: "the command line"),
                       TrainingConfiguration())
        let fromFile = try TrainingConfiguration.parse(yaml: file, source: "c.yaml")
        XCTAssertEqual(try fromFile.overridden(by: Node.Mapping([]), source: "the command line"), fromFile)
    }

    func testTaskOptionsRoundTripThroughYAML() throws {
        var configuration = TrainingConfiguration()
        configuration.task = .deblur
        configuration.taskOptions = TaskOptions(denoiseMinimumTime: 0.25, denoiseMaximumTime: 0.75, superresFactor: 4,
                                                blurSigmaPixels: 2.5, deblurNoiseLevel: 0.05, inpaintBoxes: 2,
                                                inpaintMinFraction: 0.125, inpaintMaxFraction: 0.375,
                                                inpaintNoiseLevel: 0.2)
        let yaml = try configuration.yaml()
        XCTAssertTrue(yaml.contains("taskOptions:\n  denoiseMinimumTime:"), yaml)
        XCTAssertEqual(try TrainingConfiguration.parse(yaml: yaml, source: "config.yaml"), configuration)
    }

    /// A `config.yaml` written before the task options existed (by the version before them)
    /// loads, with the task options at their defaults.
    func testAConfigurationWrittenWithoutTaskOptionsLoadsWithTheirDefaults() throws {
        let old = """
            task: deblur
            restriction: inject
            prediction: image
            network: unet
            widthMultipliers:
            - 1
            - 2
            - 4
            groups: 8
            dropout: 0e+0
            attention: false
            conv: standard
            mfcSigma: 3.125e-2
            mfcLearnSigma: true
            mode: multiscale
            levels: 2
            batch: 2
            iterations: 20
            stageSwitch: fixed
            stageSwitchThreshold: 1e+0
            adaptiveLevelBatches: false
            levelBatchesEvery: 50
            levelBatchesSamples: 8
            optimizer: adam
            learningRate: 2.0000000949949e-3
            minLearningRate: 9.9999999747524271e-07
            learningRateSchedule: cosine
            warmupSteps: 0
            momentum: 8.99999976158142e-1
            seed: 7
            runDirectory: runs/deblur
            validateEvery: 10
            validationCount: 8
            microBatch: 8
            memoryBudgetMB: 2048
            stopOnNonFinite: false
            checkpointEvery: 0
            keepCheckpoints: 3
            """
        let loaded = try TrainingConfiguration.parse(yaml: old, source: "config.yaml")
        XCTAssertEqual(loaded.taskOptions, TaskOptions())
        XCTAssertEqual(loaded.task, .deblur)
        XCTAssertEqual(loaded.mode, .multiscale)
        XCTAssertEqual(loaded.seed, 7)
        XCTAssertEqual(loaded.runDirectory, "runs/deblur")
    }

    func testErrorsNameTheOptionOrTheKey() throws {
        XCTAssertThrowsError(try TrainingConfiguration.parse(yaml: "taskOptions:\n  bogus: 1\n", source: "c.yaml")) {
            XCTAssertEqual($0 as? ConfigurationError, .unknownKey(file: "c.yaml", key: "taskOptions.bogus"))
        }
        XCTAssertThrowsError(try TrainingConfiguration().overridden(by: try mapping("bogus: 1"), source: "the command line")) {
            XCTAssertEqual($0 as? ConfigurationError, .unknownKey(file: "the command line", key: "bogus"))
        }
        var configuration = TrainingConfiguration()
        configuration.taskOptions.superresFactor = 3
        XCTAssertThrowsError(try configuration.validate()) {
            XCTAssertEqual("\($0)", "--superres-factor must be a power of two >= 2, got 3")
        }
        configuration = TrainingConfiguration()
        configuration.taskOptions.inpaintMinFraction = 0.5
        configuration.taskOptions.inpaintMaxFraction = 0.25
        XCTAssertThrowsError(try configuration.validate()) {
            XCTAssertEqual("\($0)", "--inpaint-max-fraction must be in [--inpaint-min-fraction, 1], got 0.25")
        }
    }
}
