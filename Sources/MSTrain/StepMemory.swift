import MSDistributed
import MSMultiscale
import MSNN
import MSPlan
import MSSpatial
import MSTensor

/// The memory one training step takes on each rank, predicted before the first step
/// (docs/distribution.md, "Memory per rank").
///
/// A rank's peak is what it holds before training (`baseBytes`: the program, its libraries,
/// the model and the open data, measured before any split is cached) plus the parameters'
/// gradients, optimizer state and reduction buffer (`parameterBytes`, 4 floats per
/// parameter) plus the validation images (`validationBytes`) plus its largest micro-batch: the network's activations kept for the backward pass, `activationBytesPerPixel`
/// per pixel of the level's (strip of the) maps, and the micro-batch's examples, read and
/// degraded at the finest mesh (`exampleCopies` float copies of its input pixels).
public struct StepMemory: Sendable {
    /// Peak bytes of the network's forward and backward pass per input pixel (batch 1),
    /// measured on whole images and on strips.
    public let activationBytesPerPixel, stripActivationBytesPerPixel: Double
    /// Resident bytes of the process when it was measured.
    public let baseBytes: Int
    /// Gradients, optimizer moments and the reduction buffer: `4·P·4` bytes for `P` parameters.
    public let parameterBytes: Int

    /// The largest micro-batch of a step on any rank: its bytes and what it is.
    public struct MicroBatch: Sendable, CustomStringConvertible {
        public var bytes: Int
        public var description: String
    }

    /// Float copies of a micro-batch's finest-mesh pixels alive during its step: the degraded
    /// input and the clean target.
    public static let exampleCopies = 2

    /// Measures `model` on whole images and, when `strips`, on strips (a layout of one strip,
    /// which copies every layer's input into a window as a strip of a group does).
    ///
    /// The peak memory of a training forward and backward pass (batch 1) at two square sizes,
    /// `s` and `2s`, gives the bytes per pixel: the difference over the `3s²` extra pixels, so
    /// fixed allocations cancel. `s` is half the images' smaller side, at most 128 and a
    /// multiple of the network's stride; below 128 the kernels' fixed workspaces weigh more
    /// and the figure is less exact, but such images need little memory. A pass is measured as
    /// the growth of the peak resident size after the allocator has returned its free memory
    /// (`ProcessMemory`); where the system cannot reset the peak, as what the forward pass
    /// keeps for the backward (a lower bound). A first pass at `s` warms every plan and buffer
    /// the layers cache; the gradients the passes accumulate are zeroed again. Attention's
    /// memory grows with the square of its map's pixels; that part is extrapolated linearly,
    /// so the prediction is low for large maps with attention.
    public init(model: Model, imageSide: Int, strips: Bool) throws {
        let stride = model.totalStride
        let side = max(stride, min(128, imageSide / 2) / stride * stride)
        func passBytes(side: Int, strips: Bool) throws -> Int {
            let input = Tensor(shape: [1, model.configuration.imageChannels, side, side])
            let layout = strips ? StripLayout(group: SingleProcessCommunicator(), rows: RowPartition(height: side, parts: 1)) : nil
            ProcessMemory.releaseFreedMemory()
            let (resident, allocated) = (ProcessMemory.residentBytes, ProcessMemory.allocatedBytes)
            let canReset = ProcessMemory.resetPeakResident()
            let (output, pullback) = try model.forward(input, time: [0.5],
                                                       context: ForwardContext(training: true, sampleIDs: [0], strips: layout))
            let kept = ProcessMemory.allocatedBytes - allocated
            pullback(output)
            return canReset ? ProcessMemory.peakResidentBytes - resident : kept
        }
        func bytesPerPixel(strips: Bool) throws -> Double {
            _ = try passBytes(side: side, strips: strips)
            let (small, large) = (try passBytes(side: side, strips: strips), try passBytes(side: 2 * side, strips: strips))
            return max(0, Double(large - small) / Double(3 * side * side))
        }
        baseBytes = ProcessMemory.residentBytes
        activationBytesPerPixel = try bytesPerPixel(strips: false)
        stripActivationBytesPerPixel = strips ? try bytesPerPixel(strips: true) : activationBytesPerPixel
        model.parameters.zeroGradients()
        parameterBytes = 16 * model.parameters.count
    }

    private init(activationBytesPerPixel: Double, stripActivationBytesPerPixel: Double, baseBytes: Int, parameterBytes: Int) {
        (self.activationBytesPerPixel, self.stripActivationBytesPerPixel) = (activationBytesPerPixel, stripActivationBytesPerPixel)
        (self.baseBytes, self.parameterBytes) = (baseBytes, parameterBytes)
    }

    /// The largest of every rank's measurements (collective), so that every rank predicts the
    /// same and makes the same decision.
    public func agreed(over communicator: any Communicator) -> StepMemory {
        StepMemory(activationBytesPerPixel: communicator.allreduce(activationBytesPerPixel, op: .max),
                   stripActivationBytesPerPixel: communicator.allreduce(stripActivationBytesPerPixel, op: .max),
                   baseBytes: Int(communicator.allreduce(Double(baseBytes), op: .max)), parameterBytes: parameterBytes)
    }

    /// The largest micro-batch any rank evaluates in a step of any of `plans` (terms on strips
    /// where a plan tiles them), or in validation (`Validator.chunk` of `validationCount`
    /// finest-mesh images, on strips when the finest level is tiled), on `imageHeight ×
    /// imageWidth` images of `channels` channels, with at most `microBatch·4^ℓ` samples of a
    /// level-ℓ term at once.
    public func largestMicroBatch(of plans: [ShardPlan], validationCount: Int, sharding: SpatialSharding, imageWidth: Int,
                                  channels: Int, microBatch: Int) -> MicroBatch {
        var largest = MicroBatch(bytes: 0, description: "nothing")
        func consider(_ term: EstimatorTerm, samples: Int, isTiled: Bool, what: String) {
            let height = sharding.imageHeight >> term.level, width = imageWidth >> term.level
            let partition = sharding.partition(of: term)
            let rows = isTiled ? (0..<partition.parts).map { partition.rows(of: $0).count }.max()! : height
            let bytes = microBatchBytes(samples: samples, rows: rows, width: width, finestPixels: (rows << term.level) * imageWidth,
                                        channels: channels, onStrips: isTiled)
            if bytes > largest.bytes {
                largest = MicroBatch(bytes: bytes, description: "\(what), \(samples) sample(s) of \(width)×\(height)"
                                     + (isTiled ? " in strips of \(rows) rows" : ""))
            }
        }
        for plan in plans {
            for shard in plan.shards.joined() {
                let term = plan.terms[shard.term]
                consider(term, samples: min(shard.samples.count, microBatch << (2 * term.level)), isTiled: shard.isTiled,
                         what: "level \(term.level)")
            }
        }
        let image = EstimatorTerm(level: 0, isCorrection: false, batchSize: 1)
        consider(image, samples: min(validationCount, Validator.chunk), isTiled: sharding.isTiled(image), what: "validation")
        return largest
    }

    /// The validation images every rank holds: degraded inputs and targets of `count` images.
    public static func validationBytes(count: Int, channels: Int, height: Int, width: Int) -> Int {
        exampleCopies * MemoryLayout<Float>.size * count * channels * height * width
    }

    /// The bytes of one micro-batch of `samples` samples of `rows × width` pixels at its level
    /// (strips of images when `onStrips`), whose examples hold `finestPixels` pixels of
    /// `channels` channels each at the finest mesh.
    public func microBatchBytes(samples: Int, rows: Int, width: Int, finestPixels: Int, channels: Int, onStrips: Bool) -> Int {
        Int((onStrips ? stripActivationBytesPerPixel : activationBytesPerPixel) * Double(samples * rows * width))
            + Self.exampleCopies * MemoryLayout<Float>.size * samples * channels * finestPixels
    }

    /// The predicted peak bytes of a rank whose largest micro-batch takes `largestMicroBatch`
    /// and which holds `validationBytes` of validation images.
    public func peakBytes(largestMicroBatch: Int, validationBytes: Int) -> Int {
        baseBytes + parameterBytes + validationBytes + largestMicroBatch
    }
}
