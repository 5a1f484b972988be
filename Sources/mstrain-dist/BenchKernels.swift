import ArgumentParser
import Foundation
import MSDistributed
import MSKernels
import MSTensor

/// `mstrain-dist bench kernels`: GFLOP/s of the convolution kernels on the shapes of the
/// default UNet, next to the GEMM rate of the same BLAS in the same process.
///
/// The input gradient is timed through `Conv2d.inputGradient`, the weight gradient through
/// `Conv2d.backward(computeInputGradient: false)` (which includes im2col or the direct path's
/// input copies, and the bias sum), on the path `--algorithm` names, and the backward through
/// `Conv2d.backward` computing both gradients (for a widening 1×1 layer in one pass,
/// `PointwiseBackward`, where the path column shows `· 1`). Forward and input-gradient
/// times include allocating the returned tensor, under the training process's allocator
/// settings (`AllocatorTuning.retainFreedMemory`). A second table compares a mesh-free
/// convolution with a 3×3 one (`meshFreeTable`, in BenchKernels+MeshFree.swift).
struct BenchKernels: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kernels",
        abstract: "GFLOP/s of conv forward, input gradient, weight gradient and backward on the UNet's shapes; mesh-free against 3×3 convolution times.",
        discussion: """
            Uses one BLAS thread unless OPENBLAS_NUM_THREADS is set. OPENBLAS_CORETYPE is left \
            as the environment sets it; the table header names the kernel OpenBLAS chose.
            """)

    @Option(help: "Samples per call.")
    var batch = 16

    @Option(help: "Image side at the finest UNet level (divisible by 4).")
    var size = 128

    @Option(help: "Timed repetitions per measurement; the best is reported.")
    var repeats = 3

    @Option(help: "Convolution path: automatic (what training uses), im2col-gemm, or direct.")
    var algorithm: Conv2d.Algorithm = .automatic

    @Option(help: "Rows of the conv table: comma-separated parts of layer names (\"down,skip\" keeps the strided and 1×1 layers); all when empty.")
    var layers = ""

    @Option(help: "Tables: conv (the UNet's convolutions), mfc (mesh-free against 3×3), or all.")
    var tables: BenchTables = .all

    @Option(help: "Image sides of the mesh-free table, comma-separated.")
    var mfcSizes = "32,64,128,256"

    @Option(help: "Channels (in and out) of the mesh-free table's layers.")
    var mfcChannels = 32

    @Option(help: "Samples per call in the mesh-free table.")
    var mfcBatch = 2

    @Option(help: "σ of the mesh-free layers, in units of the image side.")
    var mfcSigma: Float = 1.0 / 32

    func validate() throws {
        guard batch > 0 else { throw ValidationError("--batch must be positive, got \(batch)") }
        guard size >= 4 && size % 4 == 0 else { throw ValidationError("--size must be a positive multiple of 4, got \(size)") }
        guard repeats > 0 else { throw ValidationError("--repeats must be positive, got \(repeats)") }
        guard !selectedLayers.isEmpty else {
            throw ValidationError("--layers '\(layers)' matches none of the UNet's layers: "
                                  + UNetLayer.defaultUNet(size: size).map(\.name).joined(separator: ", "))
        }
        guard meshFreeSides != nil else { throw ValidationError("--mfc-sizes expects comma-separated positive integers, got '\(mfcSizes)'") }
        guard mfcChannels > 0, mfcBatch > 0, mfcSigma > 0 else {
            throw ValidationError("--mfc-channels, --mfc-batch and --mfc-sigma must be positive")
        }
    }

    var meshFreeSides: [Int]? {
        let sides = mfcSizes.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        return sides.isEmpty || sides.contains { ($0 ?? 0) <= 0 } ? nil : sides.map { $0! }
    }

    func run() throws {
        if EnvironmentSettings.blasThreads() == nil { BLAS.threadCount = 1 }
        // As in training: freed tensors are reused instead of page-faulted in again.
        AllocatorTuning.retainFreedMemory()
        if tables != .mfc { convolutionTable() }
        if tables != .conv { meshFreeTable() }
    }

    /// GFLOP/s of the default UNet's convolutions against sgemm.
    private func convolutionTable() {
        // The sgemm reference is re-measured before every layer and its best kept, so a busy
        // moment on a shared machine does not lower the rate every row is compared to.
        var gemmRate = 0.0, readRate = 0.0
        var rows: [(layer: UNetLayer, geometry: Conv2dGeometry, seconds: [Double])] = []
        for layer in selectedLayers {
            gemmRate = max(gemmRate, sgemmRate(side: 1024))
            readRate = max(readRate, memoryReadRate())
            let g = Conv2dGeometry(batch: batch, inputChannels: layer.inputChannels, outputChannels: layer.outputChannels,
                                   inputHeight: layer.size, inputWidth: layer.size,
                                   kernelSize: layer.kernelSize, stride: layer.stride, padding: layer.kernelSize / 2)
            rows.append((layer, g, measure(g)))
        }
        print("BLAS core: \(BLAS.coreName)   threads: \(BLAS.threadCount)   "
              + "sgemm 1024³: \(format(gemmRate, digits: 1)) GFLOP/s   memory read: \(format(readRate / 1e9, digits: 1)) GB/s")
        print("batch \(batch), best of \(repeats) by \(Self.clockName); GFLOP/s (% of sgemm); "
              + "each pass counted as 2·N·C_out·H_out·W_out·C_in·K² flops; backward: both gradients in one "
              + "Conv2d.backward call, as training runs them, counted twice that")
        print("serial bound: % of sgemm when the flops run at the sgemm rate and, not overlapped with them, "
              + "the pass reads or writes its input- and output-sized tensors once at the memory read rate")
        let header = pad("layer", 28) + pad("C_in→C_out", 12) + pad("K/s", 5) + pad("H→H_out", 10)
            + pad("forward", 16) + pad("input grad", 16) + pad("weight grad", 16) + pad("backward", 16) + pad("serial bound", 14)
            + "path (D direct, G im2col-gemm; backward: 1 one pass, 2 two)"
        print(header)
        print(String(repeating: "-", count: header.count))
        for (layer, g, seconds) in rows {
            let cells = zip(seconds, [1.0, 1, 1, 2]).map { time, passes -> String in
                let rate = passes * g.forwardFlops / time / 1e9
                return pad("\(format(rate, digits: 1)) (\(format(100 * rate / gemmRate, digits: 0))%)", 16)
            }
            print(pad(layer.name, 28) + pad("\(g.inputChannels)→\(g.outputChannels)", 12)
                  + pad("\(g.kernelSize)/\(g.stride)", 5) + pad("\(g.inputHeight)→\(g.outputHeight)", 10)
                  + cells.joined()
                  + pad("\(format(100 * Self.serialBound(g, gemmRate: gemmRate * 1e9, readRate: readRate), digits: 0))%", 14)
                  + [Conv2d.Pass.forward, .inputGradient, .weightGradient].map {
                      algorithm.resolved(for: g, pass: $0) == .direct ? "D" : "G"
                  }.joined(separator: " ")
                  + (g.isPointwise && algorithm.resolved(for: g, pass: .backward) == .direct ? " · 1" : " · 2"))
        }
    }

    /// The default UNet's layers whose names contain one of `--layers`' parts.
    private var selectedLayers: [UNetLayer] {
        let parts = layers.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        return UNetLayer.defaultUNet(size: size).filter { layer in
            parts.isEmpty || parts.contains { layer.name.lowercased().contains($0) }
        }
    }

    /// Best seconds of forward, input gradient, weight gradient and backward (both gradients) for one geometry.
    private func measure(_ g: Conv2dGeometry) -> [Double] {
        let input = Tensor(shape: g.inputShape, scalars: (0..<g.inputShape.reduce(1, *)).map { Float($0 % 17) / 17 - 0.5 })
        let outputGradient = Tensor(shape: g.outputShape,
                                    scalars: (0..<g.outputShape.reduce(1, *)).map { Float($0 % 13) / 13 - 0.5 })
        let weight = (0..<g.weightCount).map { Float($0 % 7) / 70 - 0.05 }
        let bias = [Float](repeating: 0.1, count: g.outputChannels)
        let weightGradient = UnsafeMutableBufferPointer<Float>.allocate(capacity: g.weightCount)
        let biasGradient = UnsafeMutableBufferPointer<Float>.allocate(capacity: g.outputChannels)
        weightGradient.initialize(repeating: 0)
        biasGradient.initialize(repeating: 0)
        defer { weightGradient.deallocate(); biasGradient.deallocate() }
        return weight.withUnsafeBufferPointer { w in
            bias.withUnsafeBufferPointer { b in
                let forward = best { _ = Conv2d.forward(input, weight: w, bias: b, geometry: g, algorithm: algorithm) }
                let inputGradient = best {
                    _ = Conv2d.inputGradient(outputGradient: outputGradient, weight: w, geometry: g, algorithm: algorithm)
                }
                let backward = { (computeInputGradient: Bool) in
                    best {
                        _ = Conv2d.backward(outputGradient: outputGradient, input: input, weight: w, geometry: g,
                                            weightGradient: weightGradient, biasGradient: biasGradient,
                                            computeInputGradient: computeInputGradient, algorithm: algorithm)
                    }
                }
                return [forward, inputGradient, backward(false), backward(true)]
            }
        }
    }

    /// GFLOP/s of a square `side³` sgemm, best of at least 10 runs.
    private func sgemmRate(side: Int) -> Double {
        let a = [Float](repeating: 0.5, count: side * side), b = [Float](repeating: 0.25, count: side * side)
        var c = [Float](repeating: 0, count: side * side)
        let seconds = best(reps: max(repeats, 10)) {
            BLAS.sgemm(transposeA: false, transposeB: false, m: side, n: side, k: side, alpha: 1, a: a, lda: side,
                       b: b, ldb: side, beta: 0, c: &c, ldc: side)
        }
        return 2 * pow(Double(side), 3) / seconds / 1e9
    }

    /// Smallest time of `body` over one untimed warm-up and `reps` timed runs. With one BLAS
    /// thread every flop runs on this thread, so its CPU time is used: it is immune to other
    /// processes sharing the cores. With several threads, wall time.
    func best(reps: Int? = nil, _ body: () -> Void) -> Double {
        body()
        var fastest = Double.infinity
        for _ in 0..<(reps ?? repeats) {
            let start = Self.now()
            body()
            fastest = min(fastest, Self.now() - start)
        }
        return fastest
    }

    static var clockName: String {
        BLAS.threadCount == 1 ? "thread CPU time" : "wall time"
    }

    private static func now() -> Double {
        var time = timespec()
        clock_gettime(BLAS.threadCount == 1 ? CLOCK_THREAD_CPUTIME_ID : CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }

    func format(_ value: Double, digits: Int) -> String { String(format: "%.\(digits)f", value) }
    func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }
}

/// One convolution of the default UNet (base width 32, multipliers 1, 2, 4, one residual
/// block per level, 3×3 convolutions with padding 1, stride-2 downsampling, 1×1 skips where
/// the channel count changes, decoder convolutions on concatenated channels).
struct UNetLayer {
    var name: String
    var inputChannels, outputChannels, kernelSize, stride, size: Int

    /// Level sizes `size`, `size/2`, `size/4`; widths 32, 64, 128.
    static func defaultUNet(size s0: Int) -> [UNetLayer] {
        let s1 = s0 / 2, s2 = s0 / 4
        return [
            UNetLayer(name: "input conv", inputChannels: 3, outputChannels: 32, kernelSize: 3, stride: 1, size: s0),
            UNetLayer(name: "enc0 res conv", inputChannels: 32, outputChannels: 32, kernelSize: 3, stride: 1, size: s0),
            UNetLayer(name: "down0", inputChannels: 32, outputChannels: 32, kernelSize: 3, stride: 2, size: s0),
            UNetLayer(name: "enc1 res conv a", inputChannels: 32, outputChannels: 64, kernelSize: 3, stride: 1, size: s1),
            UNetLayer(name: "enc1 skip 1×1", inputChannels: 32, outputChannels: 64, kernelSize: 1, stride: 1, size: s1),
            UNetLayer(name: "enc1 res conv b", inputChannels: 64, outputChannels: 64, kernelSize: 3, stride: 1, size: s1),
            UNetLayer(name: "down1", inputChannels: 64, outputChannels: 64, kernelSize: 3, stride: 2, size: s1),
            UNetLayer(name: "enc2 res conv a", inputChannels: 64, outputChannels: 128, kernelSize: 3, stride: 1, size: s2),
            UNetLayer(name: "enc2 skip 1×1", inputChannels: 64, outputChannels: 128, kernelSize: 1, stride: 1, size: s2),
            UNetLayer(name: "enc2 res conv b", inputChannels: 128, outputChannels: 128, kernelSize: 3, stride: 1, size: s2),
            UNetLayer(name: "dec2 res conv a (concat)", inputChannels: 256, outputChannels: 128, kernelSize: 3, stride: 1, size: s2),
            UNetLayer(name: "dec2 skip 1×1 (concat)", inputChannels: 256, outputChannels: 128, kernelSize: 1, stride: 1, size: s2),
            UNetLayer(name: "dec1 res conv a (concat)", inputChannels: 128 + 64, outputChannels: 64, kernelSize: 3, stride: 1, size: s1),
            UNetLayer(name: "dec1 skip 1×1 (concat)", inputChannels: 128 + 64, outputChannels: 64, kernelSize: 1, stride: 1, size: s1),
            UNetLayer(name: "dec0 res conv a (concat)", inputChannels: 64 + 32, outputChannels: 32, kernelSize: 3, stride: 1, size: s0),
            UNetLayer(name: "dec0 skip 1×1 (concat)", inputChannels: 64 + 32, outputChannels: 32, kernelSize: 1, stride: 1, size: s0),
            UNetLayer(name: "output conv", inputChannels: 32, outputChannels: 3, kernelSize: 3, stride: 1, size: s0),
        ]
    }
}

extension Conv2d.Algorithm: ExpressibleByArgument {}
