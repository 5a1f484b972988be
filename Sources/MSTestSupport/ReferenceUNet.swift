import MSKernels
import MSNN

/// Slow Float64 forward of `UNet`, composed only of the Double oracles of MSKernels, with the
/// parameters read by path (the slot names of UNet.swift). With base width `w`, widths
/// `w_i = w·m_i` for the multipliers `(m_0, …, m_{L−1})`, `G` groups and `E = 4w`, for `x`
/// `[N, C, H, W]` and times `t` `[N]`:
///
///     temb = MLP(sinusoids_w(1000·t))                          [N, E]   (unet.time)
///     h = conv3×3(x)                                           [N, w_0, H, W]   (unet.input)
///     down i < L: h = res(h, temb); skip_i = h; if i < L−1: h = conv3×3 stride 2, padding 1 (h)
///     middle: h = res(h, temb); if attention: h = h + proj(attention(split(qkv(GN(h)))))
///     up i = L−1 … 0: h = res(concat(h, skip_i), temb) → w_i channels;
///                     if i > 0: h = conv3×3(nearest×2(h))
///     y = conv3×3(SiLU(GN(h)))                                 [N, C, H, W]   (unet.output)
///
/// with the residual block
///
///     res(x, temb) = skip(x) + conv2(dropout(SiLU(GN2(conv1(SiLU(GN1(x))) + Linear(SiLU(temb))))))
///
/// (`skip` the identity when the widths agree, else a 1×1 convolution). Dropout draws
/// `DropoutReference.mask` from `(context.seed, context.sampleIDs, tag of path.dropout)`, the
/// mask `Dropout` draws, when `context.training` and the probability is positive.
public enum ReferenceUNet {
    public static func forward(_ x: ReferenceActivation, time: [Double], configuration: ModelConfiguration,
                               parameters p: ReferenceParameters, context: ForwardContext) -> ReferenceActivation {
        let base = configuration.baseWidth
        let widths = configuration.widthMultipliers.map { base * $0 }, levels = widths.count
        let block = ResidualBlock(parameters: p, embedding: p.timeEmbedding(time, "unet.time", sinusoidDimension: base,
                                                                              embeddingDimension: 4 * base),
                                  groups: configuration.groups, dropout: configuration.dropout, context: context)
        var h = p.conv(x, "unet.input", outputChannels: widths[0], kernelSize: 3)
        var skips: [ReferenceActivation] = []
        for i in 0..<levels {
            h = block(h, "unet.down.\(i).res", outputChannels: widths[i])
            skips.append(h)
            if i < levels - 1 {
                h = p.conv(h, "unet.down.\(i).downsample", outputChannels: widths[i], kernelSize: 3, stride: 2, padding: 1)
            }
        }
        h = block(h, "unet.middle.res", outputChannels: widths[levels - 1])
        if configuration.attention {
            h = attention(h, "unet.middle.attention", groups: configuration.groups, parameters: p)
        }
        for i in (0..<levels).reversed() {
            h = block(h.concatenated(with: skips[i]), "unet.up.\(i).res", outputChannels: widths[i])
            if i > 0 {
                let upsampled = ReferenceActivation(ResampleReference.upsampleNearest(h.values, shape: h.shape),
                                                    shape: [h.shape[0], h.shape[1], 2 * h.shape[2], 2 * h.shape[3]])
                h = p.conv(upsampled, "unet.up.\(i).upsample", outputChannels: widths[i], kernelSize: 3)
            }
        }
        let normalised = p.groupNorm(h, "unet.output.norm", groups: configuration.groups).activated(.silu)
        return p.conv(normalised, "unet.output.conv", outputChannels: configuration.imageChannels, kernelSize: 3)
    }

    /// `AttentionBlock`: `q, k, v` = the three channel thirds of `conv1×1(GN(x))` (path.qkv,
    /// `C → 3C`), `o = softmax(qᵀk/√C) v` over the `P = H·W` pixels (`AttentionReference` on
    /// `[N, C, P]`, the same memory as `[N, C, H, W]`), `y = x + conv1×1(o)` (path.proj).
    static func attention(_ x: ReferenceActivation, _ path: String, groups: Int,
                          parameters p: ReferenceParameters) -> ReferenceActivation {
        let c = x.channels
        let qkv = p.conv(p.groupNorm(x, path + ".norm", groups: groups), path + ".qkv", outputChannels: 3 * c, kernelSize: 1)
        let (q, kv) = qkv.split(firstChannels: c)
        let (k, v) = kv.split(firstChannels: c)
        let attended = AttentionReference.forward(query: q.values, key: k.values, value: v.values,
                                                  shape: [x.shape[0], c, x.shape[2] * x.shape[3]]).output
        return x + p.conv(ReferenceActivation(attended, shape: x.shape), path + ".proj", outputChannels: c, kernelSize: 1)
    }

    /// `UNetResidualBlock` with what every block of one forward shares: the parameters, the time
    /// embedding `[N, E]`, the group count and the dropout draw.
    struct ResidualBlock {
        let parameters: ReferenceParameters
        let embedding: ReferenceActivation
        let groups: Int
        let dropout: Float
        let context: ForwardContext

        /// `res(x, temb)` of the type's documentation, `[N, C_in, H, W] → [N, outputChannels, H, W]`.
        func callAsFunction(_ x: ReferenceActivation, _ path: String, outputChannels: Int) -> ReferenceActivation {
            let p = parameters
            let c1 = p.conv(p.groupNorm(x, path + ".norm1", groups: groups).activated(.silu), path + ".conv1",
                            outputChannels: outputChannels, kernelSize: 3)
            let projected = p.linear(embedding.activated(.silu), path + ".time", outputFeatures: outputChannels)
            var a2 = p.groupNorm(c1.addingPerChannel(projected.values), path + ".norm2", groups: groups).activated(.silu)
            if context.training && dropout > 0 {
                let tag = DropoutLayer(path: path + ".dropout", probability: dropout).tag
                let mask = DropoutReference.mask(shape: a2.shape, probability: dropout, seed: context.seed,
                                                 sampleIDs: context.sampleIDs, tag: tag)
                a2 = ReferenceActivation(DropoutReference.apply(a2.values, mask: mask), shape: a2.shape)
            }
            let c2 = p.conv(a2, path + ".conv2", outputChannels: outputChannels, kernelSize: 3)
            let skipped = x.channels == outputChannels ? x
                : p.conv(x, path + ".skip", outputChannels: outputChannels, kernelSize: 1)
            return skipped + c2
        }
    }
}
