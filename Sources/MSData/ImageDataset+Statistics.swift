extension ImageDataset {
    /// Mean and standard deviation of all pixel values on [0, 1] (`(v + 1)/2` of the samples),
    /// accumulated in Double over batches of 256 samples.
    public func pixelStatistics() throws -> (mean: Double, standardDeviation: Double) {
        var sum = 0.0, sumOfSquares = 0.0
        for start in stride(from: 0, to: count, by: 256) {
            let batch = try samples(Array(start ..< min(count, start + 256)))
            for v in batch.scalars {
                let unit = Double(v + 1) / 2
                sum += unit
                sumOfSquares += unit * unit
            }
        }
        let n = Double(count * channels * height * width)
        let mean = sum / n
        return (mean, max(0, sumOfSquares / n - mean * mean).squareRoot())
    }
}
