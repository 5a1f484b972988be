import MSDistributed
import MSMultiscale
import MSNN
import MSSpatial
import MSTasks
import MSTensor

/// Runs a trained network on whole images of any size (docs/inference.md).
///
/// An `H × W` image is padded at the bottom and right, by reflection about its last row and
/// column, to multiples of the network's total stride; the network runs on the padded image
/// and its output is cropped back to `H × W`. That is *whole-image inference*. It can run:
/// - `.whole`: in one forward pass on this process;
/// - `.strips(group)`: every rank of `group` runs its strip of rows (halo exchanges, group
///   statistics), and the group gathers the output: equal to whole-image inference to
///   rounding, with about 1/G of the activation memory per rank;
/// - `.tiles(side:overlap:)`: on one process, tile by tile, each tile's core (`side × side`)
///   taken from a forward pass over the core grown by `overlap` on every side. Equal to
///   whole-image inference for a network whose output at a pixel depends only on the pixels
///   within `overlap` of it (ESPCN: its receptive field); networks that normalise over the
///   whole map (the UNet's GroupNorm, the ResNet's LayerNorm) see each tile's statistics
///   instead, so their tiled output differs (docs/inference.md gives the measured gap).
public struct ImageRestorer {
    public enum Layout {
        case whole
        case strips(group: any Communicator)
        case tiles(side: Int, overlap: Int)
    }

    public let estimator: MultilevelEstimator

    public init(estimator: MultilevelEstimator) { self.estimator = estimator }

    /// The restoration of `input` `[1, C, H, W]` (the degraded image in [−1, 1]), the network
    /// told the noise level `time`: `[1, C, H, W]`.
    public func restore(_ input: Tensor, time: Float, layout: Layout) throws -> Tensor {
        precondition(input.batch == 1, "ImageRestorer.restore: one image at a time, got a batch of \(input.batch)")
        let stride = estimator.model.totalStride
        let padded = Self.reflectPadded(input, toMultipleOf: stride)
        let output: Tensor
        switch layout {
        case .whole:
            output = try estimator.predict(padded, time: [time], context: .inference(count: 1))
        case .strips(let group):
            let strips = StripLayout(group: group, rows: RowPartition(height: padded.height, parts: group.size, alignment: stride))
            var context = ForwardContext.inference(count: 1)
            context.strips = strips
            output = strips.gather(try estimator.predict(padded.rows(strips.ownRows), time: [time], context: context))
        case .tiles(let side, let overlap):
            precondition(side > 0 && side % stride == 0 && overlap >= 0 && overlap % stride == 0,
                         "ImageRestorer: tile side \(side) and overlap \(overlap) must be multiples of the stride \(stride)")
            output = try tiled(padded, time: time, side: side, overlap: overlap)
        }
        return ImageRegion(rows: 0..<input.height, columns: 0..<input.width).extract(from: output)
    }

    /// Tile by tile: the core `rows × columns` of each tile comes from a pass over the core
    /// grown by `overlap`, clipped to the image.
    private func tiled(_ image: Tensor, time: Float, side: Int, overlap: Int) throws -> Tensor {
        var output = Tensor(shape: image.shape)
        for top in Swift.stride(from: 0, to: image.height, by: side) {
            for left in Swift.stride(from: 0, to: image.width, by: side) {
                let core = ImageRegion(rows: top..<min(top + side, image.height), columns: left..<min(left + side, image.width))
                let window = ImageRegion(rows: max(0, top - overlap)..<min(image.height, core.rows.upperBound + overlap),
                                         columns: max(0, left - overlap)..<min(image.width, core.columns.upperBound + overlap))
                let restored = try estimator.predict(window.extract(from: image), time: [time], context: .inference(count: 1))
                let inWindow = core.shifted(rows: -window.rows.lowerBound, columns: -window.columns.lowerBound)
                Self.copy(inWindow.extract(from: restored), into: &output, at: core)
            }
        }
        return output
    }

    /// `part` `[1, C, h, w]` written over `region` (`h × w`) of `image`.
    private static func copy(_ part: Tensor, into image: inout Tensor, at region: ImageRegion) {
        let (channels, height, width) = (image.channels, image.height, image.width)
        part.withUnsafeBufferPointer { source in
            image.withUnsafeMutableBufferPointer { target in
                var k = 0
                for c in 0..<channels {
                    for y in region.rows {
                        let row = (c * height + y) * width
                        for x in region.columns { target[row + x] = source[k]; k += 1 }
                    }
                }
            }
        }
    }

    /// `image` `[1, C, H, W]` grown at the bottom and right to multiples of `multiple`, by
    /// reflection about the last row and column (row `H − 1 + k` is row `H − 1 − k`; periodic
    /// for the rare image smaller than the padding).
    public static func reflectPadded(_ image: Tensor, toMultipleOf multiple: Int) -> Tensor {
        let (height, width) = (image.height, image.width)
        let (paddedHeight, paddedWidth) = ((height + multiple - 1) / multiple * multiple, (width + multiple - 1) / multiple * multiple)
        if (paddedHeight, paddedWidth) == (height, width) { return image }
        func reflected(_ i: Int, _ n: Int) -> Int { i < n ? i : ((2 * (n - 1) - i) % n + n) % n }
        var out = Tensor(shape: [1, image.channels, paddedHeight, paddedWidth])
        image.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBufferPointer { target in
                var k = 0
                for c in 0..<image.channels {
                    for y in 0..<paddedHeight {
                        let row = (c * height + reflected(y, height)) * width
                        for x in 0..<paddedWidth { target[k] = source[row + reflected(x, width)]; k += 1 }
                    }
                }
            }
        }
        return out
    }
}
