import MSData
import MSMultiscale
import MSNN
import MSTasks

/// A trained network read back from a weights file, with the configuration stored beside it.
public struct TrainedModel {
    /// The configuration stored in the weights file.
    public let configuration: TrainingConfiguration
    /// The network with the stored parameters, as an estimator (which adds the input back for
    /// residual prediction).
    public let estimator: MultilevelEstimator

    /// Reads `weights` for images of `channels` channels.
    public init(weights: String, channels: Int) throws {
        configuration = try WeightsFile.configuration(in: weights)
        var modelConfiguration = try configuration.model
        modelConfiguration.imageChannels = channels
        let model = try makeModel(modelConfiguration, seed: configuration.seed)
        try WeightsFile.read(into: model, from: weights)
        estimator = MultilevelEstimator(model: model, restriction: configuration.restriction, residual: configuration.addsInputToOutput)
    }

    /// Reads `weights` for the image channels it was trained on: 3 (RGB) when its parameters
    /// fit a colour network, else 1 (grey).
    public init(weights: String) throws {
        do { try self.init(weights: weights, channels: 3) } catch WeightsFileError.shapeMismatch {
            try self.init(weights: weights, channels: 1)
        }
    }

    /// The image channels of the network.
    public var channels: Int { estimator.model.configuration.imageChannels }

    /// The noise level a user's image is restored at unless told: the middle of the levels the
    /// network was trained on (`t` of denoising, the noise level of deblurring and inpainting;
    /// 0 for super-resolution).
    public var typicalTime: Float {
        let options = configuration.taskOptions
        switch configuration.task {
        case .denoise: return (options.denoiseMinimumTime + options.denoiseMaximumTime) / 2
        case .deblur: return options.deblurNoiseLevel / 2
        case .inpaint: return options.inpaintNoiseLevel / 2
        case .superres: return 0
        }
    }

    /// The task the network was trained for, with its parameters.
    public var task: RestorationTask { RestorationTask(kind: configuration.task, options: configuration.taskOptions) }
}
