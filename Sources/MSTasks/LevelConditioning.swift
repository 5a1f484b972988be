import MSTensor

/// What the network on a coarser mesh is told about a restricted observation (docs/method.md
/// section 10).
///
/// A level-ℓ example is the finest-mesh observation restricted ℓ times. Restriction keeps the
/// signal but not the noise: averaging 2×2 blocks halves the noise's standard deviation per
/// level (injection keeps it), so a restricted denoising input `t·x + (1−t)·z` is
/// `t·Rx + (1−t)·σ_ℓ·z'` with `σ_ℓ = 2^−ℓ` and `z'` unit noise.
public enum LevelConditioning: String, CaseIterable, Sendable, Codable {
    /// The network is told the level drawn at the finest mesh, whatever the restriction did
    /// to the noise (the method as published).
    case drawn
    /// The restricted observation is rescaled into the task's own form and the network told
    /// its actual level, so a coarse example is one the task could have drawn at that mesh:
    /// - denoise: `s = 1/(t + (1−t)·σ)`, input `s·y`, told `t' = s·t`;
    /// - deblur: `s = 1/((1−t) + t·σ)`, input `s·y`, told `t' = s·t·σ`;
    /// - inpaint: input `y`, told `t' = t·σ` (the masked signal keeps its weight 1);
    /// - superres: unchanged (`t = 0`).
    case restricted

    /// `input` `[N, C, h, w]` (the finest observation restricted `levels` times) and the drawn
    /// levels `time` `[N]`, as the network at that mesh receives them; `noiseFactor` is the
    /// restriction's factor on the noise's standard deviation per level (1 or ½).
    public func condition(_ input: Tensor, time: [Float], levels: Int, noiseFactor: Float, task: TaskKind)
        -> (input: Tensor, time: [Float]) {
        guard self == .restricted, levels > 0, noiseFactor != 1, task != .superres else { return (input, time) }
        let sigma = (0..<levels).reduce(Float(1)) { product, _ in product * noiseFactor }
        let perSample: [(scale: Float, told: Float)] = time.map { t in
            switch task {
            case .denoise:
                let s = 1 / (t + (1 - t) * sigma)
                return (s, s * t)
            case .deblur:
                let s = 1 / ((1 - t) + t * sigma)
                return (s, s * t * sigma)
            case .inpaint:
                return (1, t * sigma)
            case .superres:
                return (1, t)
            }
        }
        var scaled = input
        let perImage = input.channels * input.height * input.width
        scaled.withUnsafeMutableBufferPointer { values in
            for (b, sample) in perSample.enumerated() where sample.scale != 1 {
                for i in (b * perImage)..<((b + 1) * perImage) { values[i] *= sample.scale }
            }
        }
        return (scaled, perSample.map(\.told))
    }
}
