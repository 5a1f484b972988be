import MSTensor

/// Moves `[N, C, H, W]` activations between meshes: prolongation ×2 (nearest, bilinear) and
/// restriction ×½ (injection, 2×2 average), each with its exact adjoint as backward.
///
/// Every backward returns a new tensor (it overwrites nothing). Restrictions and the
/// backward of the ×2 upsamplings need even `H` and `W`.
///
/// Legend: `h`, `w` extents of the operand; `row` a row of any plane, counting across planes
/// (input row `row` of a ×2 map feeds output rows `2·row` and `2·row + 1`, because plane `p`'s
/// row `i` is global row `p·h + i`); `j` a column.
public enum Resample {
    /// nearest ×2: [N,C,H,W] → [N,C,2H,2W]; backward sums each 2×2 block
    public static func upsampleNearest(_ x: Tensor) -> Tensor {
        replicate2x2(x, scale: 1, operation: "Resample.upsampleNearest")
    }

    /// `[N, C, 2H, 2W]` → `[N, C, H, W]`: the sum of each 2×2 block.
    public static func upsampleNearestBackward(_ g: Tensor) -> Tensor {
        sum2x2(g, scale: 1, operation: "Resample.upsampleNearestBackward")
    }

    /// bilinear ×2 with PyTorch's align_corners=false convention (edge clamped); backward is its exact adjoint
    ///
    /// Along each axis of extent `n`, output `o` samples the input at `s = max((o + ½)/2 − ½, 0)`,
    /// which for `o = 2i` and `o = 2i + 1` gives
    ///
    ///     y[2i] = ¾ x[i] + ¼ x[max(i − 1, 0)],   y[2i + 1] = ¾ x[i] + ¼ x[min(i + 1, n − 1)];
    ///
    /// the 2-D map applies this along W, then along H.
    public static func upsampleBilinear(_ x: Tensor) -> Tensor {
        let (planes, h, w) = planeGeometry(x, even: false, operation: "Resample.upsampleBilinear")
        var scratch = [Float](repeating: 0, count: h * 2 * w)
        return x.withUnsafeBufferPointer { xb in
            scratch.withUnsafeMutableBufferPointer { sb in
                let s = sb.baseAddress!
                return Vectorised.makeTensor(shape: [x.batch, x.channels, 2 * h, 2 * w]) { y in
                    for plane in 0..<planes {
                        let xp = xb.baseAddress! + plane * h * w
                        for i in 0..<h { prolongLines(xp + i * w, into: s + i * 2 * w, lines: w, length: 1) }
                        prolongLines(s, into: y + plane * 4 * h * w, lines: h, length: 2 * w)
                    }
                }
            }
        }
    }

    /// The adjoint of `upsampleBilinear`: `[N, C, 2H, 2W]` → `[N, C, H, W]`.
    public static func upsampleBilinearBackward(_ g: Tensor) -> Tensor {
        let (planes, h2, w2) = planeGeometry(g, even: true, operation: "Resample.upsampleBilinearBackward")
        let (h, w) = (h2 / 2, w2 / 2)
        var scratch = [Float](repeating: 0, count: h * w2)
        return g.withUnsafeBufferPointer { gb in
            scratch.withUnsafeMutableBufferPointer { sb in
                let s = sb.baseAddress!
                return Vectorised.makeTensor(shape: [g.batch, g.channels, h, w]) { y in
                    for plane in 0..<planes {
                        prolongLinesAdjoint(gb.baseAddress! + plane * h2 * w2, into: s, lines: h, length: w2)
                        for i in 0..<h { prolongLinesAdjoint(s + i * w2, into: y + (plane * h + i) * w, lines: w, length: 1) }
                    }
                }
            }
        }
    }

    /// injection: keeps pixels (2i, 2j) → [N,C,H/2,W/2] (what F.interpolate(scale_factor=0.5) does); H, W even
    public static func restrictInject(_ x: Tensor) -> Tensor {
        let (planes, h, w) = planeGeometry(x, even: true, operation: "Resample.restrictInject")
        return x.withUnsafeBufferPointer { xb in
            Vectorised.makeTensor(shape: [x.batch, x.channels, h / 2, w / 2]) { y in
                for row in 0..<(planes * h / 2) {
                    let x0 = xb.baseAddress! + 2 * row * w, yr = y + row * (w / 2)
                    for j in 0..<(w / 2) { yr[j] = x0[2 * j] }
                }
            }
        }
    }

    /// The adjoint of `restrictInject`: `[N, C, H, W]` → `[N, C, 2H, 2W]` with `g` at the even
    /// pixels `(2i, 2j)` and zeros elsewhere.
    public static func restrictInjectBackward(_ g: Tensor) -> Tensor {
        let (planes, h, w) = planeGeometry(g, even: false, operation: "Resample.restrictInjectBackward")
        return g.withUnsafeBufferPointer { gb in
            Vectorised.makeTensor(shape: [g.batch, g.channels, 2 * h, 2 * w]) { y in
                for row in 0..<(planes * h) {
                    let gr = gb.baseAddress! + row * w, y0 = y + 2 * row * 2 * w
                    for j in 0..<w {
                        y0[2 * j] = gr[j]
                        y0[2 * j + 1] = 0
                    }
                    (y0 + 2 * w).initialize(repeating: 0, count: 2 * w)
                }
            }
        }
    }

    /// 2×2 mean → [N,C,H/2,W/2]
    public static func restrictAverage(_ x: Tensor) -> Tensor {
        sum2x2(x, scale: 0.25, operation: "Resample.restrictAverage")
    }

    /// The adjoint of `restrictAverage`: `[N, C, H, W]` → `[N, C, 2H, 2W]`, each value spread as
    /// `¼ g` over its 2×2 block.
    public static func restrictAverageBackward(_ g: Tensor) -> Tensor {
        replicate2x2(g, scale: 0.25, operation: "Resample.restrictAverageBackward")
    }

    // MARK: - Shared loops

    /// `(N·C, H, W)` of an `[N, C, H, W]` operand; with `even`, `H` and `W` must be even.
    private static func planeGeometry(_ x: Tensor, even: Bool, operation: String) -> (planes: Int, h: Int, w: Int) {
        precondition(x.rank == 4 && x.count > 0, "\(operation): expected a non-empty [N, C, H, W], got \(x.shape)")
        precondition(!even || (x.height.isMultiple(of: 2) && x.width.isMultiple(of: 2)),
                     "\(operation): H and W of \(x.shape) must be even")
        return (x.batch * x.channels, x.height, x.width)
    }

    /// `[N, C, H, W]` → `[N, C, 2H, 2W]` with `y[2i + a, 2j + b] = scale · x[i, j]`.
    private static func replicate2x2(_ x: Tensor, scale: Float, operation: String) -> Tensor {
        let (planes, h, w) = planeGeometry(x, even: false, operation: operation)
        return x.withUnsafeBufferPointer { xb in
            Vectorised.makeTensor(shape: [x.batch, x.channels, 2 * h, 2 * w]) { y in
                for row in 0..<(planes * h) {
                    let xr = xb.baseAddress! + row * w, y0 = y + 2 * row * 2 * w
                    for j in 0..<w {
                        let v = scale * xr[j]
                        y0[2 * j] = v
                        y0[2 * j + 1] = v
                    }
                    (y0 + 2 * w).initialize(from: y0, count: 2 * w)
                }
            }
        }
    }

    /// `[N, C, H, W]` → `[N, C, H/2, W/2]` with `y[i, j] = scale · Σ_{a,b ∈ {0,1}} x[2i + a, 2j + b]`.
    private static func sum2x2(_ x: Tensor, scale: Float, operation: String) -> Tensor {
        let (planes, h, w) = planeGeometry(x, even: true, operation: operation)
        return x.withUnsafeBufferPointer { xb in
            Vectorised.makeTensor(shape: [x.batch, x.channels, h / 2, w / 2]) { y in
                for row in 0..<(planes * h / 2) {
                    let x0 = xb.baseAddress! + 2 * row * w, x1 = x0 + w, yr = y + row * (w / 2)
                    for j in 0..<(w / 2) {
                        yr[j] = scale * ((x0[2 * j] + x0[2 * j + 1]) + (x1[2 * j] + x1[2 * j + 1]))
                    }
                }
            }
        }
    }

    /// Bilinear ×2 along one axis: `lines` input lines of `length` contiguous floats (line `i`
    /// at `x + i·length`) → `2·lines` output lines. `length` is 1 along W and `2W` along H.
    private static func prolongLines(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>,
                                     lines n: Int, length: Int) {
        for i in 0..<n {
            let here = x + i * length, before = x + max(i - 1, 0) * length, after = x + min(i + 1, n - 1) * length
            let even = y + 2 * i * length, odd = even + length
            for k in 0..<length {
                even[k] = 0.75 * here[k] + 0.25 * before[k]
                odd[k] = 0.75 * here[k] + 0.25 * after[k]
            }
        }
    }

    /// The adjoint of `prolongLines`: `2·lines` lines of `g` → `lines` lines. Line `i` collects
    /// ¾ of fine lines `2i` and `2i + 1`, and ¼ of the fine lines whose clamped neighbour it is:
    /// `2i − 1` (line 0 itself when `i = 0`) and `2i + 2` (line `2n − 1` itself when `i = n − 1`).
    private static func prolongLinesAdjoint(_ g: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>,
                                            lines n: Int, length: Int) {
        for i in 0..<n {
            let even = g + 2 * i * length, odd = even + length
            let before = g + (i > 0 ? 2 * i - 1 : 0) * length
            let after = g + (i < n - 1 ? 2 * i + 2 : 2 * n - 1) * length
            let yi = y + i * length
            for k in 0..<length {
                yi[k] = 0.75 * (even[k] + odd[k]) + 0.25 * (before[k] + after[k])
            }
        }
    }
}
