extension ImageDataset {
    /// Mean and standard deviation of all pixel values on [0, 1] (`(v + 1)/2` of the images),
    /// accumulated in Double over blocks of images (`blocks`), whatever their sizes.
    public func pixelStatistics() throws -> (mean: Double, standardDeviation: Double) {
        var sum = 0.0, sumOfSquares = 0.0, n = 0
        for block in blocks {
            let values = try wholeImages(block)
            for v in values {
                let unit = Double(v + 1) / 2
                sum += unit
                sumOfSquares += unit * unit
            }
            n += values.count
        }
        let mean = sum / Double(n)
        return (mean, max(0, sumOfSquares / Double(n) - mean * mean).squareRoot())
    }
}
