import MSData
import MSTasks
import MSTensor

/// How samples are cut from a dataset's images (docs/training.md, "Large images and patches").
///
/// Without a patch size, a sample is a whole image, and the images must share one size. With
/// patch size `P`, a training sample is a `P × P` crop of its image at a position drawn, like
/// the image itself, from the sample's stream alone (so any process can cut any sample),
/// turned by one of the eight flips and rotations when `augments`; validation samples are
/// fixed crops of the validation images. The finest level is the crop; coarser levels restrict it.
public struct SampleGeometry: Hashable, Sendable {
    /// Side of the square crops, or nil for whole images.
    public var patch: Int?
    /// Whether each training crop is flipped and rotated by a symmetry drawn per sample.
    public var augments: Bool

    public init(patch: Int? = nil, augments: Bool = false) {
        self.patch = patch
        self.augments = augments
    }

    /// The size of every sample of `dataset`.
    /// - Throws: `ConfigurationError.invalid` when the images differ in size and no patch is
    ///   set, or when the patch is larger than the smallest image.
    public func sampleSize(of dataset: ImageDataset) throws -> ImageSize {
        guard let patch else {
            guard let size = dataset.uniformSize else {
                throw ConfigurationError.invalid("the images of \(dataset.path) (\(dataset.split)) differ in size, from "
                    + "\(dataset.width)×\(dataset.height) up; train on square crops of them with --patch P")
            }
            return size
        }
        guard patch <= dataset.height && patch <= dataset.width else {
            throw ConfigurationError.invalid("--patch \(patch) is larger than the smallest image of \(dataset.path) (\(dataset.split)), "
                + "\(dataset.width)×\(dataset.height); choose a patch of at most \(min(dataset.height, dataset.width))")
        }
        return ImageSize(height: patch, width: patch)
    }

    /// The window of the training sample with stream id `stream`: its image, drawn with
    /// replacement from `stream(stream, imageChoice)` as without patches; then, with a patch,
    /// its top row, left column and symmetry from `stream(stream, patchPlacement)`.
    public func trainingWindow(seed: UInt64, stream: UInt64, dataset: ImageDataset) -> SampleWindow {
        var choice = CounterRandom(seed: seed, indices: stream, StreamSalt.imageChoice)
        let image = choice.index(below: dataset.count)
        let size = dataset.sizes[image]
        guard let patch else { return SampleWindow(image: image, top: 0, left: 0, size: size) }
        var placement = CounterRandom(seed: seed, indices: stream, StreamSalt.patchPlacement)
        let top = placement.index(below: size.height - patch + 1), left = placement.index(below: size.width - patch + 1)
        let transform = augments ? DihedralTransform(code: placement.index(below: 8)) : .identity
        return SampleWindow(image: image, top: top, left: left, size: ImageSize(height: patch, width: patch), transform: transform)
    }

    /// The window of validation sample `index`: image `index` whole; or, with a patch, a crop of
    /// image `index mod count` at a position drawn from `stream(validation(index),
    /// patchPlacement)`, the same at every evaluation (the first `count` crops are the images'
    /// centres), so a few large validation images give as many fixed crops as asked for.
    public func validationWindow(index: Int, dataset: ImageDataset) -> SampleWindow {
        let image = index % dataset.count
        let size = dataset.sizes[image]
        guard let patch else { return SampleWindow(image: index, top: 0, left: 0, size: size) }
        let crop = ImageSize(height: patch, width: patch)
        guard index >= dataset.count else {
            return SampleWindow(image: image, top: (size.height - patch) / 2, left: (size.width - patch) / 2, size: crop)
        }
        var placement = CounterRandom(seed: 0, indices: SampleStream.validation(index: index), StreamSalt.patchPlacement)
        return SampleWindow(image: image, top: placement.index(below: size.height - patch + 1),
                            left: placement.index(below: size.width - patch + 1), size: crop)
    }

    /// The number of validation samples of `count` asked for: at most one per image without a
    /// patch, any number of crops with one.
    public func validationCount(_ count: Int, of dataset: ImageDataset) -> Int {
        patch == nil ? min(count, dataset.count) : count
    }
}
