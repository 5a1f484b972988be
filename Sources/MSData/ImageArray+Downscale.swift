extension ImageArray {
    /// Every image reduced by the integer `factor` ≥ 1: output pixel `(y, x)` is the mean of
    /// the `factor × factor` block of input pixels at `(factor·y, factor·x)`; the last
    /// `H mod factor` rows and `W mod factor` columns are cropped. The result is
    /// `[N, C, H / factor, W / factor]`. Integers are rounded half up
    /// (`(Σ + factor²/2) / factor²`, exact), floats averaged in Float. Factor 1 returns `self`.
    public func downscaled(by factor: Int) -> ImageArray {
        precondition(factor >= 1, "downscaled(by:): factor \(factor) is below 1")
        precondition(height >= factor && width >= factor, "downscaled(by:): \(width)×\(height) images are smaller than the factor \(factor)")
        if factor == 1 { return self }
        let area = factor * factor
        let reduced: Values
        switch values {
        case .uint8(let v): reduced = .uint8(blockMeans(v, factor, widen: UInt64.init) { UInt8(($0 + UInt64(area / 2)) / UInt64(area)) })
        case .uint16(let v): reduced = .uint16(blockMeans(v, factor, widen: UInt64.init) { UInt16(($0 + UInt64(area / 2)) / UInt64(area)) })
        case .float32(let v): reduced = .float32(blockMeans(v, factor, widen: { $0 }) { $0 / Float(area) })
        }
        return ImageArray(count: count, channels: channels, height: height / factor, width: width / factor, values: reduced)
    }

    /// `mean(Σ widen(block))` of each `factor × factor` block of every plane of `v`.
    private func blockMeans<T, Sum: AdditiveArithmetic>(_ v: [T], _ factor: Int, widen: (T) -> Sum, mean: (Sum) -> T) -> [T] {
        let (h, w) = (height / factor, width / factor)
        var out: [T] = []
        out.reserveCapacity(count * channels * h * w)
        for plane in 0 ..< count * channels {
            let base = plane * height * width
            for y in 0..<h {
                for x in 0..<w {
                    var sum = Sum.zero
                    for dy in 0..<factor {
                        let row = base + (factor * y + dy) * width + factor * x
                        for dx in 0..<factor { sum += widen(v[row + dx]) }
                    }
                    out.append(mean(sum))
                }
            }
        }
        return out
    }
}
