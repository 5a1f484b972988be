import MSMultiscale
import MSNN
import MSTrain

/// A training configuration small enough for tests: the UNet at base width 8 with multipliers
/// 1, 2 and 4 GroupNorm groups, two validation images, and `iterations` steps of `mode` over
/// `levels` levels with finest batch `batch`, writing to `runDirectory`. Tests set whatever
/// else they vary on the result.
public func tinyTrainingConfiguration(_ mode: TrainingMode, levels: Int, batch: Int, iterations: Int,
                                      runDirectory: String) -> TrainingConfiguration {
    var c = TrainingConfiguration()
    c.mode = mode
    c.network = .unet
    c.width = 8
    c.widthMultipliers = [1, 2]
    c.groups = 4
    c.levels = levels
    c.batch = batch
    c.iterations = iterations
    c.validationCount = 2
    c.runDirectory = runDirectory
    return c
}
