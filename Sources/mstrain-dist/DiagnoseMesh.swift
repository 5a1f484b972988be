import ArgumentParser
import Foundation
import MSData
import MSNN
import MSReport
import MSTrain

/// `mstrain-dist diagnose mesh`: gradient convergence under mesh refinement for standard and
/// mesh-free convolutions, clean and with two noise models (docs/method.md section 5).
struct DiagnoseMesh: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mesh",
        abstract: "‖g_n − g_2n‖/‖g_n‖ of a fixed network's gradient across meshes, for standard and mesh-free convolutions.",
        discussion: """
            A fixed network (the model options; weights from --seed, zero-initialised layers drawn like the \
            others) denoises one smooth band-limited field on the unit square, sampled at each of --meshes. \
            Inputs are clean, or carry i.i.d. pixel noise of standard deviation --noise on every mesh \
            (fixed-variance), or white noise whose variance grows like 1/h² (standard deviation --noise at \
            the coarsest mesh). The noise is drawn once on the finest mesh and restricted (injection or 2×2 \
            means), so all meshes see the same draw. Prints the table and writes an SVG plot. --convs picks \
            the convolutions compared (--conv is not used); --mfc-sigma and --mfc-learn-sigma apply. The ESPCN \
            needs --task superres (its only task); the loss is the same denoising MSE for every network.
            """)

    @OptionGroup var options: TrainingOptions
    @Option(help: "Mesh sides, comma-separated, each twice the previous (512 adds about 90 s of CPU time and 2.5 GB).") var meshes = "32,64,128,256"
    @Option(help: "Noise draws per mesh (the batch of each gradient).") var samples = 1
    @Option(help: "Noise standard deviation (at the coarsest mesh for white noise).") var noise: Float = 0.1
    @Option(help: "Convolution types to compare, comma-separated.") var convs = "standard,mfc"
    @Option(help: "SVG plot of the table.") var plot = "mesh-diagnostic.svg"
    @Option(help: "BLAS threads (default 1).") var threads = 1

    func run() throws {
        try runReportingErrors {
            let configuration = try options.resolve()
            configureThreads(threads)
            var model = try configuration.model
            model.imageChannels = 3
            let sides = try parseList(meshes, "meshes", of: "integers") { Int($0) }
            let kinds = try parseList(convs, "convs", of: ConvolutionKind.allCases.map(\.rawValue).joined(separator: " or ")) {
                ConvolutionKind(rawValue: $0)
            }
            let experiment = try MeshConvergence(model: model, meshes: sides, samples: samples, noise: noise, seed: configuration.seed)
            let reporter = ProgressReporter()
            reporter.log("\(model.network.rawValue) (width \(model.baseWidth)), meshes \(sides), \(samples) sample(s), "
                         + "noise \(noise), σ_mfc = \(model.mfcSigma) (\(model.mfcLearnsSigma ? "learnable" : "fixed"))")
            var results: [MeshConvergence.Series] = []
            for kind in kinds {
                for noiseModel in MeshConvergence.NoiseModel.allCases {
                    let series = try experiment.measure(convolution: kind, noise: noiseModel)
                    reporter.log(String(format: "%@ / %@: %.1f s", kind.rawValue, noiseModel.rawValue, series.seconds))
                    results.append(series)
                }
            }
            print(Self.table(results, meshes: sides))
            try writePlot(results, meshes: sides)
            print("plot: \(plot)")
        }
    }

    /// Rows per mesh n, one column per (convolution, noise model).
    static func table(_ results: [MeshConvergence.Series], meshes: [Int]) -> String {
        let names = results.map { "\($0.convolution.rawValue)/\($0.noise.rawValue)" }
        let columnWidth = max(14, (names.map(\.count).max() ?? 0) + 2)
        func pad(_ s: String) -> String { String(repeating: " ", count: max(0, columnWidth - s.count)) + s }
        var lines = ["‖g_n − g_2n‖ / ‖g_n‖", "n → 2n      " + names.map(pad).joined()]
        for (i, n) in meshes.dropLast().enumerated() {
            lines.append("\(n) → \(2 * n)".padding(toLength: 12, withPad: " ", startingAt: 0)
                         + results.map { pad(String(format: "%.3e", $0.differences[i])) }.joined())
        }
        lines.append("decay per halving of h (first to last row, geometric mean):")
        lines.append(String(repeating: " ", count: 12) + results.map { series -> String in
            let d = series.differences
            let rate = d.count > 1 ? pow(d.first! / d.last!, 1 / Double(d.count - 1)) : .nan
            return pad(String(format: "%.2f×", rate))
        }.joined())
        return lines.joined(separator: "\n")
    }

    /// Writes the differences against the mesh, log–log, one colour per noise model, dashed for
    /// mesh-free convolutions.
    private func writePlot(_ results: [MeshConvergence.Series], meshes: [Int]) throws {
        var chart = LineChart(title: "Gradient difference between meshes n and 2n",
                              x: .init(label: "mesh n (pixels per side)", scale: .logarithmic),
                              y: .init(label: "‖g_n − g_2n‖ / ‖g_n‖", scale: .logarithmic))
        chart.width = 640
        chart.height = 420
        let noises = MeshConvergence.NoiseModel.allCases
        for series in results {
            chart.series.append(.init(name: "\(series.convolution.rawValue), \(series.noise.rawValue)",
                                      points: zip(meshes, series.differences).map { (Double($0), $1) },
                                      color: LineChart.palette[noises.firstIndex(of: series.noise)! % LineChart.palette.count],
                                      style: series.convolution == .mfc ? .dashed : .solid, markers: true))
        }
        try AtomicOutput.write(to: plot) { temporary in
            try ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + chart.svg()).write(toFile: temporary, atomically: false, encoding: .utf8)
        }
    }

    private func parseList<T>(_ text: String, _ name: String, of what: String, _ parse: (String) -> T?) throws -> [T] {
        let values = text.split(separator: ",").map { parse($0.trimmingCharacters(in: .whitespaces)) }
        guard !values.isEmpty, values.allSatisfy({ $0 != nil }) else {
            throw ValidationError("--\(name): cannot read '\(text)'; give a comma-separated list of \(what)")
        }
        return values.map { $0! }
    }
}
