/// Resampling of planar images `[C, H, W]` (Float, row-major).
public enum ImageResize {
    /// Bilinear interpolation to `[C, toHeight, toWidth]` with half-pixel centres: output
    /// pixel `(y, x)` samples the input at `((y + ½)·H/toHeight − ½, (x + ½)·W/toWidth − ½)`,
    /// clamped to the edge pixels (PyTorch's `align_corners=False`). Downscaling by more than
    /// 2× aliases; use `squareResize` for that.
    public static func bilinear(_ image: [Float], channels: Int, height: Int, width: Int,
                                toHeight: Int, toWidth: Int) -> [Float] {
        precondition(image.count == channels * height * width, "bilinear: \(image.count) values for [\(channels), \(height), \(width)]")
        let rowTaps = taps(from: height, to: toHeight)
        let columnTaps = taps(from: width, to: toWidth)
        var out = [Float](repeating: 0, count: channels * toHeight * toWidth)
        image.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for c in 0..<channels {
                    let plane = c * height * width
                    for y in 0..<toHeight {
                        let (y0, y1, wy) = rowTaps[y]
                        let row0 = plane + y0 * width, row1 = plane + y1 * width
                        let outRow = (c * toHeight + y) * toWidth
                        for x in 0..<toWidth {
                            let (x0, x1, wx) = columnTaps[x]
                            let top = src[row0 + x0] + wx * (src[row0 + x1] - src[row0 + x0])
                            let bottom = src[row1 + x0] + wx * (src[row1 + x1] - src[row1 + x0])
                            dst[outRow + x] = top + wy * (bottom - top)
                        }
                    }
                }
            }
        }
        return out
    }

    /// 2×2 box average: `[C, H, W]` → `[C, H/2, W/2]` (H and W even).
    public static func halve(_ image: [Float], channels: Int, height: Int, width: Int) -> [Float] {
        precondition(height % 2 == 0 && width % 2 == 0, "halve: [\(height), \(width)] is not even")
        let h = height / 2, w = width / 2
        var out = [Float](repeating: 0, count: channels * h * w)
        for c in 0..<channels {
            for y in 0..<h {
                let r0 = (c * height + 2 * y) * width, r1 = r0 + width
                for x in 0..<w {
                    out[(c * h + y) * w + x] = 0.25 * (image[r0 + 2 * x] + image[r0 + 2 * x + 1] + image[r1 + 2 * x] + image[r1 + 2 * x + 1])
                }
            }
        }
        return out
    }

    /// Centre crop to the square of side `min(H, W)`, then resize to `[C, size, size]`: 2×2
    /// box averages while the image is at least twice `size` (so downscaling does not alias),
    /// then one bilinear step.
    public static func squareResize(_ image: [Float], channels: Int, height: Int, width: Int, size: Int) -> [Float] {
        var side = min(height, width)
        var current = crop(image, channels: channels, height: height, width: width,
                           top: (height - side) / 2, left: (width - side) / 2, side: side)
        while side >= 2 * size {
            if side % 2 == 1 {   // drop the last row and column so that 2×2 blocks tile the image
                current = crop(current, channels: channels, height: side, width: side, top: 0, left: 0, side: side - 1)
                side -= 1
            }
            current = halve(current, channels: channels, height: side, width: side)
            side /= 2
        }
        if side == size { return current }
        return bilinear(current, channels: channels, height: side, width: side, toHeight: size, toWidth: size)
    }

    /// The `side × side` window at `(top, left)` of every channel.
    private static func crop(_ image: [Float], channels: Int, height: Int, width: Int, top: Int, left: Int, side: Int) -> [Float] {
        var out = [Float](repeating: 0, count: channels * side * side)
        for c in 0..<channels {
            for y in 0..<side {
                let from = (c * height + top + y) * width + left
                out.replaceSubrange((c * side + y) * side ..< (c * side + y + 1) * side, with: image[from ..< from + side])
            }
        }
        return out
    }

    /// For each output index: the two input indices and the weight of the second.
    private static func taps(from inputSize: Int, to outputSize: Int) -> [(Int, Int, Float)] {
        let ratio = Float(inputSize) / Float(outputSize)
        return (0..<outputSize).map { i in
            let position = min(max((Float(i) + 0.5) * ratio - 0.5, 0), Float(inputSize - 1))
            let lower = Int(position)
            return (lower, min(lower + 1, inputSize - 1), position - Float(lower))
        }
    }
}
