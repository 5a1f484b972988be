import Foundation
import MSKernels
import MSNN
import MSTensor

/// The experiment of docs/method.md section 5: does a fixed network's loss gradient converge as the
/// mesh is refined, with clean and with noisy inputs?
///
/// One smooth field `u` on the unit square (a band-limited random field, the same continuum
/// function at every mesh, sampled at the vertices `(i/n, j/n)`) is the target; the input is
/// `u + noise`. For each mesh `n` the gradient `g_n = ∇_θ mean((f(u_n + ε_n) − u_n)²)` of the
/// area-normalised loss is taken with the same weights θ, and the table holds
///
///     d(n) = ‖g_n − g_{2n}‖ / ‖g_n‖
///
/// for consecutive meshes. The noise is drawn once on the finest mesh and carried to coarser
/// ones by restriction, so meshes see the same draw (as the two halves of a multilevel
/// correction do):
/// - `fixedVariance`: i.i.d. pixels of standard deviation `noise` on every mesh (injection keeps
///   the finest draw's values at the coarse vertices);
/// - `whiteNoise`: continuum white noise, variance ∝ 1/h²: standard deviation `noise · n / n_ref`
///   with `n_ref` the coarsest mesh (2×2 averaging of the finest draw divides the variance by 4
///   per level, which is exactly this scaling).
public struct MeshConvergence {
    public enum NoiseModel: String, CaseIterable, Sendable {
        case clean
        case fixedVariance = "fixed-variance"
        case whiteNoise = "white-noise"
    }

    /// One network and noise model: `differences[i]` is d(meshes[i]) (the last mesh has none).
    public struct Series: Sendable {
        public let convolution: ConvolutionKind
        public let noise: NoiseModel
        public let differences: [Double]
        /// Seconds spent on this series' gradients.
        public let seconds: Double
    }

    public let model: ModelConfiguration
    /// Increasing mesh sides, each twice the previous.
    public let meshes: [Int]
    /// Noise draws per mesh (the batch of each gradient).
    public let samples: Int
    /// Noise standard deviation at the coarsest mesh.
    public let noise: Float
    public let seed: UInt64
    /// Network time input of every sample (denoising's signal fraction).
    public static let time: Float = 0.5

    public init(model: ModelConfiguration, meshes: [Int], samples: Int, noise: Float, seed: UInt64) throws {
        guard meshes.count >= 2, zip(meshes, meshes.dropFirst()).allSatisfy({ $1 == 2 * $0 }) else {
            throw ConfigurationError.invalid("--meshes must be at least two sides, each twice the previous (like 32,64,128), got \(meshes)")
        }
        guard samples >= 1 else { throw ConfigurationError.invalid("--samples must be at least 1, got \(samples)") }
        guard noise >= 0, noise.isFinite else { throw ConfigurationError.invalid("--noise must be a non-negative number, got \(noise)") }
        self.model = model
        self.meshes = meshes
        self.samples = samples
        self.noise = noise
        self.seed = seed
    }

    /// The series for one convolution kind and noise model. The network's zero-initialised
    /// weights (the UNet's output convolution) are drawn like the others first
    /// (`fillZeroWeights`), so that every parameter has a gradient.
    public func measure(convolution: ConvolutionKind, noise model: NoiseModel) throws -> Series {
        var configuration = self.model
        configuration.convolution = convolution
        let network = try makeModel(configuration, seed: seed)
        Self.fillZeroWeights(network.parameters)
        let start = Date()
        let gradients = try meshes.map { try gradient(network, side: $0, noise: model) }
        let differences = zip(gradients, gradients.dropFirst()).map { coarse, fine in
            Self.norm(zip(coarse, fine).map { $0 - $1 }) / Self.norm(coarse)
        }
        return Series(convolution: convolution, noise: model, differences: differences, seconds: Date().timeIntervalSince(start))
    }

    /// `∇_θ` of the mean squared error at mesh `side`, in Float64.
    public func gradient(_ network: Model, side: Int, noise model: NoiseModel) throws -> [Double] {
        let clean = field(side: side)
        let input = model == .clean ? clean : clean + restrictedNoise(side: side, model: model)
        network.parameters.zeroGradients()
        let context = ForwardContext(training: false, seed: seed, sampleIDs: (0..<samples).map(UInt64.init))
        let (output, pullback) = try network.forward(input, time: [Float](repeating: Self.time, count: samples), context: context)
        pullback(MSELoss.backward(prediction: output, target: clean))
        return network.parameters.snapshotGradients().map(Double.init)
    }

    /// The smooth target at mesh `side`, `[samples, C, side, side]` (the same field in every sample):
    /// per channel `Σ_{|kx|, |ky| ≤ 3} a_k cos(2π(kx·x + ky·y) + φ_k) / (1 + |k|²)`, scaled to a
    /// peak of about 0.5, with `a_k`, `φ_k` drawn from the seed.
    public func field(side n: Int) -> Tensor {
        let channels = model.imageChannels, band = 3
        var random = CounterRandom(seed: seed, indices: StreamSalt.meshConvergenceField)
        var modes: [(c: Int, kx: Double, ky: Double, amplitude: Double, phase: Double)] = []
        for c in 0..<channels {
            for kx in -band...band {
                for ky in -band...band {
                    let amplitude = Double(random.uniform(-1, 1)) / Double(1 + kx * kx + ky * ky)
                    modes.append((c, Double(kx), Double(ky), amplitude, Double(random.uniform(0, 2 * .pi))))
                }
            }
        }
        var plane = [Float](repeating: 0, count: channels * n * n)
        for mode in modes {
            for i in 0..<n {
                for j in 0..<n {
                    let (y, x) = (Double(i) / Double(n), Double(j) / Double(n))
                    plane[(mode.c * n + i) * n + j] += Float(0.25 * mode.amplitude * cos(2 * .pi * (mode.kx * x + mode.ky * y) + mode.phase))
                }
            }
        }
        return Tensor(shape: [samples, channels, n, n], scalars: Array((0..<samples).map { _ in plane }.joined()))
    }

    /// The finest mesh's draw carried down to `side` (see the type's comment).
    public func restrictedNoise(side: Int, model: NoiseModel) -> Tensor {
        let finest = meshes.last!
        let scale = model == .whiteNoise ? noise * Float(finest) / Float(meshes[0]) : noise
        var draw = Tensor(shape: [samples, self.model.imageChannels, finest, finest])
        var random = CounterRandom(seed: seed, indices: StreamSalt.meshConvergenceNoise)
        draw.withUnsafeMutableBufferPointer { random.fillNormal($0, scale: scale) }
        var n = finest
        while n > side {
            draw = model == .whiteNoise ? Resample.restrictAverage(draw) : Resample.restrictInject(draw)
            n /= 2
        }
        return draw
    }

    /// Draws every all-zero weight tensor (rank ≥ 2) uniformly on ±1/sqrt(fan-in), from the
    /// store's seed and the parameter's path.
    public static func fillZeroWeights(_ store: ParameterStore) {
        var values = store.snapshotValues()
        for slot in store.slots where slot.shape.count >= 2 && values[slot.range].allSatisfy({ $0 == 0 }) {
            let bound = 1 / Float(slot.count / slot.shape[0]).squareRoot()
            var random = CounterRandom(seed: store.seed, indices: StreamSalt.meshConvergenceWeights, UInt64(slot.offset))
            for i in slot.range { values[i] = random.uniform(-bound, bound) }
        }
        store.load(values: values)
    }

    static func norm(_ v: [Double]) -> Double { v.reduce(0) { $0 + $1 * $1 }.squareRoot() }
}
