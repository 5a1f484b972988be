import ArgumentParser
import Foundation
import MSKernels
import MSNN
import MSOptim
import MSTensor

/// `mstrain-dist bench step`: the time and memory of one full training step of a network.
struct BenchStep: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "step",
        abstract: "Time one training step (forward, MSE loss, backward, Adam update) and report peak memory.",
        discussion: """
            Comparable with tools/torch_unet_bench.py, which times the same UNet in PyTorch. \
            The whole batch goes through one forward and backward (no micro-batching).
            """)

    @Option(help: "Network: unet, resnet or espcn.") var network: NetworkKind = .unet
    @Option(help: "Batch size.") var batch: Int = 16
    @Option(help: "Image side in pixels.") var size: Int = 128
    @Option(help: "Timed repetitions (after one warm-up step); the median is reported.") var repeats: Int = 3
    @Flag(help: "Self-attention in the UNet's middle block.") var attention = false
    @Option(help: "Spatial convolutions: standard or mfc (mesh-free, default σ).") var conv: ConvolutionKind = .standard
    @Option(help: "BLAS threads (default 1).") var threads: Int = 1

    func validate() throws {
        guard batch >= 1, size >= 4, repeats >= 1, threads >= 1 else {
            throw ValidationError("--batch, --repeats and --threads must be at least 1 and --size at least 4")
        }
    }

    func run() throws {
        try runReportingErrors {
            BLAS.threadCount = threads
            let model = try makeModel(ModelConfiguration(network: network, attention: attention, convolution: conv), seed: 0)
            let optimizer = Adam(parameterCount: model.parameters.count)
            var random = CounterRandom(seed: 1, stream: 0)
            var input = Tensor(shape: [batch, 3, size, size])
            input.withUnsafeMutableBufferPointer { random.fillNormal($0) }
            let target = input * 0.5
            let time = (0..<batch).map { _ in random.uniform() }
            func step() throws -> Double {
                let start = DispatchTime.now().uptimeNanoseconds
                model.parameters.zeroGradients()
                let (output, pullback) = try model.forward(input, time: time, context: .evaluation(count: batch))
                pullback(MSELoss.backward(prediction: output, target: target))
                optimizer.step(parameters: model.parameters.values, gradients: UnsafeBufferPointer(model.parameters.gradients),
                               learningRate: 1e-4)
                return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            }
            _ = try step()
            let times = try (0..<repeats).map { _ in try step() }.sorted()
            let median = times[times.count / 2]
            print("network \(network.rawValue), \(model.parameters.count) parameters, batch \(batch), \(size)×\(size), "
                  + "BLAS \(BLASInfo.description)")
            print(String(format: "step time: median %.3f s (min %.3f, max %.3f) over %d repeats", median, times.first!, times.last!, repeats))
            print(String(format: "peak resident memory: %.2f GiB", Double(peakResidentBytes()) / Double(1 << 30)))
        }
    }
}

/// Peak resident set size of this process (`VmHWM` of /proc/self/status, Linux), or 0 if unknown.
func peakResidentBytes() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
          let kibibytes = Int(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
    return kibibytes * 1024
}
