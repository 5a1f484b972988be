/// Tunable parameters of the degradations. Defaults follow the reference code (method.md
/// section 6).
public struct TaskOptions: Hashable, Sendable, Codable {
    /// Image side at which `blurSigmaPixels` is stated; the PSF scales with the image so that
    /// it blurs the same fraction of the unit square at every data resolution.
    public static let blurReferenceSize = 128

    /// Std of the Gaussian PSF in pixels at a `blurReferenceSize`-pixel image.
    public var blurSigmaPixels: Float = 3
    /// Upper end of the deblurring noise level: `t ~ deblurNoiseLevel·U(0, 1)`.
    public var deblurNoiseLevel: Float = 0.1
    /// Number of zeroed boxes per inpainting sample (they may overlap).
    public var inpaintBoxes: Int = 1
    /// Smallest box side as a fraction of the image side.
    public var inpaintMinFraction: Float = 0.25
    /// Largest box side as a fraction of the image side.
    public var inpaintMaxFraction: Float = 0.5
    /// Upper end of the inpainting noise level: `t ~ inpaintNoiseLevel·U(0, 1)`.
    public var inpaintNoiseLevel: Float = 0.1

    public init(blurSigmaPixels: Float = 3, deblurNoiseLevel: Float = 0.1, inpaintBoxes: Int = 1,
                inpaintMinFraction: Float = 0.25, inpaintMaxFraction: Float = 0.5,
                inpaintNoiseLevel: Float = 0.1) {
        self.blurSigmaPixels = blurSigmaPixels
        self.deblurNoiseLevel = deblurNoiseLevel
        self.inpaintBoxes = inpaintBoxes
        self.inpaintMinFraction = inpaintMinFraction
        self.inpaintMaxFraction = inpaintMaxFraction
        self.inpaintNoiseLevel = inpaintNoiseLevel
    }

    /// PSF std in pixels for an image of `height` rows: `σ = blurSigmaPixels · height / 128`.
    public func blurSigma(height: Int) -> Float {
        blurSigmaPixels * Float(height) / Float(TaskOptions.blurReferenceSize)
    }

    /// Throws `TaskError.invalidOption` for the first option outside its range.
    public func validate() throws {
        func require(_ ok: Bool, _ name: String, _ value: some CustomStringConvertible, _ requirement: String) throws {
            if !ok { throw TaskError.invalidOption(name: name, value: value.description, requirement: requirement) }
        }
        try require(blurSigmaPixels > 0 && blurSigmaPixels.isFinite, "blurSigmaPixels", blurSigmaPixels, "> 0")
        try require(deblurNoiseLevel >= 0 && deblurNoiseLevel < 1, "deblurNoiseLevel", deblurNoiseLevel, "in [0, 1)")
        try require(inpaintBoxes >= 0, "inpaintBoxes", inpaintBoxes, ">= 0")
        try require(inpaintMinFraction > 0 && inpaintMinFraction <= 1, "inpaintMinFraction", inpaintMinFraction,
                    "in (0, 1]")
        try require(inpaintMaxFraction >= inpaintMinFraction && inpaintMaxFraction <= 1, "inpaintMaxFraction",
                    inpaintMaxFraction, "in [inpaintMinFraction, 1]")
        try require(inpaintNoiseLevel >= 0, "inpaintNoiseLevel", inpaintNoiseLevel, ">= 0")
    }
}
