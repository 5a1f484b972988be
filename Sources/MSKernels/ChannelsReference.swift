/// Slow Float64 oracle for `Channels`, indexing every element by `(n, c, p)` with `p` the pixel
/// (`p < H·W`). Operands are flat row-major arrays with explicit shapes.
public enum ChannelsReference {
    /// `[N, Ca, H, W] ++ [N, Cb, H, W] → [N, Ca + Cb, H, W]`.
    public static func concatenate(_ a: [Double], shapeA: [Int], _ b: [Double], shapeB: [Int]) -> [Double] {
        let (n, ca, h, w) = referenceExtents(shapeA, count: a.count, "ChannelsReference.concatenate")
        let (nb, cb, hb, wb) = referenceExtents(shapeB, count: b.count, "ChannelsReference.concatenate")
        precondition(n == nb && h == hb && w == wb, "ChannelsReference.concatenate: \(shapeA) vs \(shapeB)")
        let hw = h * w, c = ca + cb
        var y = [Double](repeating: 0, count: a.count + b.count)
        for s in 0..<n {
            for channel in 0..<c {
                for p in 0..<hw {
                    y[(s * c + channel) * hw + p] = channel < ca
                        ? a[(s * ca + channel) * hw + p] : b[(s * cb + channel - ca) * hw + p]
                }
            }
        }
        return y
    }

    /// Channels `0 ..< firstChannels` and `firstChannels ..< C` of `x` `[N, C, H, W]`.
    public static func split(_ x: [Double], shape: [Int], firstChannels: Int) -> ([Double], [Double]) {
        let (n, c, h, w) = referenceExtents(shape, count: x.count, "ChannelsReference.split")
        let hw = h * w
        var first: [Double] = [], second: [Double] = []
        for s in 0..<n {
            for channel in 0..<c {
                for p in 0..<hw {
                    if channel < firstChannels { first.append(x[(s * c + channel) * hw + p]) }
                    else { second.append(x[(s * c + channel) * hw + p]) }
                }
            }
        }
        return (first, second)
    }

    /// `y[n, c, p] = x[n, c, p] + v[n, c]` for `x` of `shape` `[N, C, H, W]` and `v` `[N, C]`.
    public static func addPerChannel(_ x: [Double], shape: [Int], _ v: [Double]) -> [Double] {
        let (n, c, h, w) = referenceExtents(shape, count: x.count, "ChannelsReference.addPerChannel")
        precondition(v.count == n * c, "ChannelsReference.addPerChannel: \(v.count) values for [N, C] of \(shape)")
        return x.indices.map { x[$0] + v[$0 / (h * w)] }
    }

    /// `out[n, c] = Σ_p g[n, c, p]` for `g` of `shape` `[N, C, H, W]`.
    public static func sumOverPixels(_ g: [Double], shape: [Int]) -> [Double] {
        let (n, c, h, w) = referenceExtents(shape, count: g.count, "ChannelsReference.sumOverPixels")
        var y = [Double](repeating: 0, count: n * c)
        for index in g.indices { y[index / (h * w)] += g[index] }
        return y
    }
}
