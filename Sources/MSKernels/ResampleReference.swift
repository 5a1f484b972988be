/// Slow Float64 oracle for `Resample`.
///
/// Each map is separable: along each axis, output index `o` reads a few input indices with
/// weights (its "taps"), and `y[Y, X] = Σ w_Y(iy) · w_X(ix) · x[iy, ix]`. A backward applies
/// the same weights transposed (scatter instead of gather), so it is the adjoint by construction.
/// The bilinear taps follow PyTorch's `area_pixel_compute_source_index` for
/// `align_corners=False`: `s = max((o + ½)·(in/out) − ½, 0)`, `i₀ = ⌊s⌋`,
/// `i₁ = min(i₀ + 1, in − 1)`, weights `(1 − (s − i₀), s − i₀)`.
///
/// `shape` is always the shape of the array passed in (`x` for a forward, `g` for a backward).
public enum ResampleReference {
    public static func upsampleNearest(_ x: [Double], shape: [Int]) -> [Double] {
        Map.nearest.apply(x, shape: shape)
    }

    public static func upsampleNearestBackward(_ g: [Double], shape: [Int]) -> [Double] {
        Map.nearest.transpose(g, shape: shape)
    }

    public static func upsampleBilinear(_ x: [Double], shape: [Int]) -> [Double] {
        Map.bilinear.apply(x, shape: shape)
    }

    public static func upsampleBilinearBackward(_ g: [Double], shape: [Int]) -> [Double] {
        Map.bilinear.transpose(g, shape: shape)
    }

    public static func restrictInject(_ x: [Double], shape: [Int]) -> [Double] {
        Map.inject.apply(x, shape: shape)
    }

    public static func restrictInjectBackward(_ g: [Double], shape: [Int]) -> [Double] {
        Map.inject.transpose(g, shape: shape)
    }

    public static func restrictAverage(_ x: [Double], shape: [Int]) -> [Double] {
        Map.average.apply(x, shape: shape)
    }

    public static func restrictAverageBackward(_ g: [Double], shape: [Int]) -> [Double] {
        Map.average.transpose(g, shape: shape)
    }

    private enum Map {
        case nearest, bilinear, inject, average

        var isUpsampling: Bool { self == .nearest || self == .bilinear }

        /// Extent of the output axis for an input axis of extent `n`.
        func outputExtent(_ n: Int) -> Int { isUpsampling ? 2 * n : n / 2 }

        /// The input indices and weights that output index `o` reads, along an input axis of extent `n`.
        func taps(_ o: Int, inputExtent n: Int) -> [(index: Int, weight: Double)] {
            switch self {
            case .nearest: return [(o / 2, 1)]
            case .inject: return [(2 * o, 1)]
            case .average: return [(2 * o, 0.5), (2 * o + 1, 0.5)]
            case .bilinear:
                let s = max((Double(o) + 0.5) * 0.5 - 0.5, 0)
                let i0 = Int(s.rounded(.down)), lambda = s - Double(i0)
                return [(i0, 1 - lambda), (min(i0 + 1, n - 1), lambda)]
            }
        }

        /// Visits every (output index, input index, weight) of the 2-D map from `inputShape`.
        func visit(inputShape: [Int], _ body: (_ output: Int, _ input: Int, _ weight: Double) -> Void) {
            let (n, c, h, w) = (inputShape[0], inputShape[1], inputShape[2], inputShape[3])
            let (ho, wo) = (outputExtent(h), outputExtent(w))
            for plane in 0..<(n * c) {
                for oy in 0..<ho {
                    for ox in 0..<wo {
                        for (iy, wy) in taps(oy, inputExtent: h) {
                            for (ix, wx) in taps(ox, inputExtent: w) {
                                body((plane * ho + oy) * wo + ox, (plane * h + iy) * w + ix, wy * wx)
                            }
                        }
                    }
                }
            }
        }

        func apply(_ x: [Double], shape: [Int]) -> [Double] {
            let (n, c, h, w) = referenceExtents(shape, count: x.count, "ResampleReference.\(self)")
            precondition(isUpsampling || (h % 2 == 0 && w % 2 == 0), "ResampleReference.\(self): odd extent in \(shape)")
            var y = [Double](repeating: 0, count: n * c * outputExtent(h) * outputExtent(w))
            visit(inputShape: shape) { o, i, weight in y[o] += weight * x[i] }
            return y
        }

        /// The adjoint of `apply`, for `g` of the output's `shape`.
        func transpose(_ g: [Double], shape: [Int]) -> [Double] {
            let (n, c, h, w) = referenceExtents(shape, count: g.count, "ResampleReference.\(self)Backward")
            precondition(!isUpsampling || (h % 2 == 0 && w % 2 == 0), "ResampleReference.\(self)Backward: odd extent in \(shape)")
            let inputShape = isUpsampling ? [n, c, h / 2, w / 2] : [n, c, 2 * h, 2 * w]
            var dx = [Double](repeating: 0, count: inputShape.reduce(1, *))
            visit(inputShape: inputShape) { o, i, weight in dx[i] += weight * g[o] }
            return dx
        }
    }
}
