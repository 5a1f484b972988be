import MSTensor

/// One axis-aligned box of pixels that inpainting sets to 0, shared by all channels.
struct InpaintBox: Equatable {
    var top, left, height, width: Int

    /// A box with each side `round(f · side)`, `f ~ U(minFraction, maxFraction)` drawn
    /// independently per axis (clamped to `1 … side`), placed uniformly so that it lies fully
    /// inside an `imageHeight × imageWidth` image. Draw order: height, width, top, left.
    static func draw(imageHeight: Int, imageWidth: Int, options: TaskOptions,
                     using random: inout CounterRandom) -> InpaintBox {
        func side(_ extent: Int) -> Int {
            let fraction = random.uniform(options.inpaintMinFraction, options.inpaintMaxFraction)
            return min(max(Int((fraction * Float(extent)).rounded()), 1), extent)
        }
        let height = side(imageHeight), width = side(imageWidth)
        let top = random.index(below: imageHeight - height + 1)
        let left = random.index(below: imageWidth - width + 1)
        return InpaintBox(top: top, left: left, height: height, width: width)
    }

    /// Sets the box to 0 in each of `channels` planes of `imageHeight × imageWidth` at `sample`.
    func zero(in sample: UnsafeMutablePointer<Float>, channels: Int, imageHeight: Int, imageWidth: Int) {
        for c in 0..<channels {
            for y in top..<(top + height) {
                (sample + (c * imageHeight + y) * imageWidth + left).update(repeating: 0, count: width)
            }
        }
    }
}
