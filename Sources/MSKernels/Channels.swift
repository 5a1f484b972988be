import MSTensor

/// Channel-axis plumbing of `[N, C, H, W]` activations: skip concatenation and per-channel
/// injection of a vector (the UNet's time embedding).
///
/// Legend: `n` sample, `c` channel, `hw = H·W`; a "plane" is the `hw` contiguous pixels of one
/// `(n, c)`.
public enum Channels {
    /// [N, Ca, H, W] ++ [N, Cb, H, W] → [N, Ca+Cb, H, W]
    ///
    /// A new tensor; its backward is `split(_:firstChannels: Ca)`.
    public static func concatenate(_ a: Tensor, _ b: Tensor) -> Tensor {
        precondition(a.rank == 4 && b.rank == 4 && a.batch == b.batch && a.height == b.height && a.width == b.width,
                     "Channels.concatenate: shapes \(a.shape) and \(b.shape) differ outside the channel axis")
        precondition(a.count > 0 && b.count > 0, "Channels.concatenate: empty operand in \(a.shape) ++ \(b.shape)")
        let (perA, perB) = (a.count / a.batch, b.count / b.batch)
        return a.withUnsafeBufferPointer { ab in
            b.withUnsafeBufferPointer { bb in
                Vectorised.makeTensor(shape: [a.batch, a.channels + b.channels, a.height, a.width]) { y in
                    for n in 0..<a.batch {
                        let yn = y + n * (perA + perB)
                        yn.initialize(from: ab.baseAddress! + n * perA, count: perA)
                        (yn + perA).initialize(from: bb.baseAddress! + n * perB, count: perB)
                    }
                }
            }
        }
    }

    /// inverse of concatenate for a gradient: splits at channel `firstChannels`
    ///
    /// `[N, C, H, W]` → (`[N, firstChannels, H, W]`, `[N, C − firstChannels, H, W]`), new tensors.
    public static func split(_ x: Tensor, firstChannels: Int) -> (Tensor, Tensor) {
        precondition(x.rank == 4 && x.count > 0 && firstChannels >= 0 && firstChannels <= x.channels,
                     "Channels.split: cannot split shape \(x.shape) at channel \(firstChannels)")
        let hw = x.height * x.width, per = x.channels * hw
        let perA = firstChannels * hw, perB = per - perA
        return x.withUnsafeBufferPointer { xb in
            let part = { (offset: Int, length: Int, channels: Int) in
                Vectorised.makeTensor(shape: [x.batch, channels, x.height, x.width]) { y in
                    for n in 0..<x.batch { (y + n * length).initialize(from: xb.baseAddress! + n * per + offset, count: length) }
                }
            }
            return (part(0, perA, firstChannels), part(perA, perB, x.channels - firstChannels))
        }
    }

    /// y[n,c,h,w] = x[n,c,h,w] + v[n,c] for v [N, C] (time-embedding injection)
    ///
    /// A new tensor. Its backward is the identity for `x` and `sumOverPixels` for `v`.
    public static func addPerChannel(_ x: Tensor, _ v: Tensor) -> Tensor {
        precondition(x.rank == 4 && x.count > 0 && v.shape == [x.batch, x.channels],
                     "Channels.addPerChannel: vector \(v.shape) does not match [N, C] of \(x.shape)")
        let hw = x.height * x.width
        return x.withUnsafeBufferPointer { xb in
            Vectorised.makeTensor(shape: x.shape) { y in
                for plane in 0..<v.count {
                    let shift = v.scalars[plane]
                    Vectorised.map(xb.baseAddress! + plane * hw, into: y + plane * hw, count: hw) { $0 + shift }
                }
            }
        }
    }

    /// gradient of addPerChannel with respect to v: sum over H, W → [N, C]
    ///
    /// `out[n, c] = Σ_{h, w} g[n, c, h, w]`, summed in Double; a new tensor.
    public static func sumOverPixels(_ g: Tensor) -> Tensor {
        precondition(g.rank == 4 && g.count > 0, "Channels.sumOverPixels: expected a non-empty [N, C, H, W], got \(g.shape)")
        let hw = g.height * g.width
        return g.withUnsafeBufferPointer { gb in
            Vectorised.makeTensor(shape: [g.batch, g.channels]) { y in
                for plane in 0..<(g.batch * g.channels) {
                    let gp = gb.baseAddress! + plane * hw
                    y[plane] = Float(Vectorised.sum(count: hw) { i, lanes in Vectorised.load(gp + i, lanes: lanes) })
                }
            }
        }
    }
}
