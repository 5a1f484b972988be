import ArgumentParser
import Foundation
import MSDistributed
import MSKernels
import MSNN
import MSOptim
import MSSpatial
import MSTasks
import MSTensor

/// `mstrain-dist bench step`: the time and memory of one full training step of a network.
struct BenchStep: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "step",
        abstract: "Time one training step (forward, MSE loss, backward, Adam update) and report peak memory.",
        discussion: """
            Comparable with tools/torch_unet_bench.py, which times the same UNet in PyTorch. \
            The whole batch goes through one forward and backward (no micro-batching). \
            Under mpirun with --spatial-shards G, the ranks form groups of G and every rank steps \
            its strip of each image (as train does for its fine levels); each rank reports its \
            step time, the seconds of the step spent in halo exchanges and in its group's \
            normalisation reductions, and its peak memory.
            """)

    @Option(help: "Network: unet, resnet or espcn.") var network: NetworkKind = .unet
    @Option(help: "Batch size.") var batch: Int = 16
    @Option(help: "Image side in pixels.") var size: Int = 128
    @Option(help: "Timed repetitions (after one warm-up step); the median is reported.") var repeats: Int = 3
    @Flag(help: "Self-attention in the UNet's middle block.") var attention = false
    @Option(help: "Spatial convolutions: standard or mfc (mesh-free, default σ).") var conv: ConvolutionKind = .standard
    @Option(help: "BLAS threads (default 1).") var threads: Int = 1
    @Option(help: "Base width of the UNet or width of the ResNet (default: the network's, 32 or 128).") var width: Int?
    @Option(help: "Ranks per spatial group, each stepping a strip of rows of every image (default 1: whole images).")
    var spatialShards: Int = 1

    func validate() throws {
        guard batch >= 1, size >= 4, repeats >= 1, threads >= 1, spatialShards >= 1, (width ?? 1) >= 1 else {
            throw ValidationError("--batch, --repeats, --threads, --width and --spatial-shards must be at least 1 and --size at least 4")
        }
    }

    func run() throws {
        let communicator = try makeCommunicatorReportingErrors(rank: EnvironmentSettings.launchRank())
        defer { communicator.finalize() }
        try runCollectively(communicator) {
            BLAS.threadCount = threads
            guard communicator.size % spatialShards == 0 else {
                throw ValidationError("--spatial-shards \(spatialShards) needs a rank count that is a multiple of it, got \(communicator.size)")
            }
            let model = try makeModel(ModelConfiguration(network: network, baseWidth: width, attention: attention, convolution: conv),
                                      seed: 0)
            let optimizer = Adam(parameterCount: model.parameters.count)
            var random = CounterRandom(seed: 1, stream: 0)
            var input = Tensor(shape: [batch, 3, size, size])
            input.withUnsafeMutableBufferPointer { random.fillNormal($0) }
            let time = (0..<batch).map { _ in random.uniform() }
            let group = spatialShards > 1
                ? TimingCommunicator(communicator.split(color: communicator.rank / spatialShards, key: communicator.rank)) : nil
            let strips = group.map { StripLayout(group: $0, rows: RowPartition(height: size, parts: spatialShards, alignment: model.totalStride)) }
            if let strips { input = ImageRegion(rows: strips.ownRows, columns: 0..<size).extract(from: input) }
            let target = input * 0.5
            /// A strip's share of each sample's loss (its rows over the image's).
            let share = strips?.share ?? 1
            var context = ForwardContext.evaluation(count: batch)
            context.strips = strips
            func step() throws -> Double {
                let start = DispatchTime.now().uptimeNanoseconds
                model.parameters.zeroGradients()
                let (output, pullback) = try model.forward(input, time: time, context: context)
                pullback(MSELoss.backward(prediction: output, target: target, scale: share))
                communicator.allreduce(model.parameters.gradients, op: .sum)
                optimizer.step(parameters: model.parameters.values, gradients: UnsafeBufferPointer(model.parameters.gradients),
                               learningRate: 1e-4)
                return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            }
            _ = try step()
            group?.resetTimings()
            let times = try (0..<repeats).map { _ in try step() }.sorted()
            let median = times[times.count / 2]
            if communicator.isRoot {
                print("network \(network.rawValue), \(model.parameters.count) parameters, batch \(batch), \(size)×\(size), "
                      + "BLAS \(BLASInfo.description)" + (strips.map { ", spatial groups of \(spatialShards) (strips \($0.rows.bounds))" } ?? ""))
            }
            var line = String(format: "step time: median %.3f s (min %.3f, max %.3f) over %d repeats", median, times.first!, times.last!, repeats)
            if let group {
                line += String(format: "; per step %.3f s in halo exchanges, %.3f s in %d normalisation reductions",
                               group.exchangeSeconds / Double(repeats), group.allreduceSeconds / Double(repeats),
                               group.allreduceCalls / repeats)
            }
            line += String(format: "; peak resident memory %.2f GiB", Double(ProcessMemory.peakResidentBytes) / Double(1 << 30))
            for rank in 0..<communicator.size {
                if rank == communicator.rank { print(communicator.size > 1 ? "rank \(rank): \(line)" : line) }
                fflush(nil)
                communicator.barrier()
            }
            group?.finalize()
        }
    }
}

