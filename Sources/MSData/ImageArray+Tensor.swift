import MSTensor

extension ImageArray {
    /// `[N, C, H, W]` training values in [−1, 1] stored as `storage` (default uint8): the unit
    /// values `(v + 1) / 2`, quantized (`Values.quantized`).
    public init(trainingRange images: Tensor, storage: SampleStorage = .uint8) {
        self.init(count: images.batch, channels: images.channels, height: images.height, width: images.width,
                  values: .quantized(images.scalars.map { ($0 + 1) / 2 }, as: storage))
    }

    /// The images as `[N, C, H, W]` training values in [−1, 1]: `2·u − 1` of the unit values.
    public var trainingRange: Tensor {
        Tensor(shape: [count, channels, height, width], scalars: unitValues.map { 2 * $0 - 1 })
    }
}
