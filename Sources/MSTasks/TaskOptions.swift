/// Tunable parameters of the degradations. Defaults follow the reference code (docs/method.md
/// section 6).
public struct TaskOptions: Hashable, Sendable, Codable {
    /// Image side at which `blurSigmaPixels` is stated; the PSF scales with the image so that
    /// it blurs the same fraction of the unit square at every data resolution.
    public static let blurReferenceSize = 128

    /// Lower end of the denoising noise level: `t ~ U(denoiseMinimumTime, denoiseMaximumTime)`.
    public var denoiseMinimumTime: Float = 0
    /// Upper end of the denoising noise level.
    public var denoiseMaximumTime: Float = 1
    /// Super-resolution factor (a power of two ≥ 2): the input is the image restricted by
    /// 2×2 averaging `log2(factor)` times and interpolated back to the full size by as many ×2
    /// bilinear steps (`RestorationTask.degrade`); H and W must be divisible by the factor.
    public var superresFactor: Int = 2
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

    public init(denoiseMinimumTime: Float = 0, denoiseMaximumTime: Float = 1, superresFactor: Int = 2,
                blurSigmaPixels: Float = 3, deblurNoiseLevel: Float = 0.1, inpaintBoxes: Int = 1,
                inpaintMinFraction: Float = 0.25, inpaintMaxFraction: Float = 0.5,
                inpaintNoiseLevel: Float = 0.1) {
        self.denoiseMinimumTime = denoiseMinimumTime
        self.denoiseMaximumTime = denoiseMaximumTime
        self.superresFactor = superresFactor
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
        try require(denoiseMinimumTime >= 0 && denoiseMinimumTime <= 1, "denoiseMinimumTime", denoiseMinimumTime,
                    "in [0, 1]")
        try require(denoiseMaximumTime >= denoiseMinimumTime && denoiseMaximumTime <= 1, "denoiseMaximumTime",
                    denoiseMaximumTime, "in [denoiseMinimumTime, 1]")
        try require(superresFactor >= 2 && superresFactor & (superresFactor - 1) == 0, "superresFactor", superresFactor,
                    "a power of two >= 2")
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
