import MSKernels
import MSTensor

/// Time conditioning shared by the residual blocks: `t ∈ [0, 1]` per sample →
/// sinusoidal embedding of `1000·t` (width `D`) → Linear(D → E) → SiLU → Linear(E → E),
/// giving `[N, E]`. The factor 1000 spreads `t` over the embedding's frequencies the way
/// integer diffusion timesteps do.
public final class TimeEmbeddingMLP {
    public let sinusoidDimension: Int
    public let embeddingDimension: Int
    let first: LinearLayer
    let second: LinearLayer

    public init(store: ParameterStore, path: String, sinusoidDimension: Int, embeddingDimension: Int) {
        self.sinusoidDimension = sinusoidDimension
        self.embeddingDimension = embeddingDimension
        first = LinearLayer(store: store, path: path + ".0", inputFeatures: sinusoidDimension, outputFeatures: embeddingDimension)
        second = LinearLayer(store: store, path: path + ".2", inputFeatures: embeddingDimension, outputFeatures: embeddingDimension)
    }

    /// `[N]` times → `[N, E]`; the pullback accumulates the MLP's gradients.
    public func forward(_ time: [Float]) -> (output: Tensor, pullback: (Tensor) -> Void) {
        let sinusoids = TimeEmbedding.sinusoidal(time.map { 1000 * $0 }, dimension: sinusoidDimension)
        let (h1, back1) = first.forward(sinusoids)
        let (a1, backAct) = Activation.silu(h1)
        let (out, back2) = second.forward(a1)
        return (out, { g in _ = back1(backAct(back2(g))) })
    }
}
