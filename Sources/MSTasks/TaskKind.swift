/// The image-restoration problems of the method (docs/method.md section 6).
public enum TaskKind: String, CaseIterable, Sendable, Codable {
    /// `x_t = t·x + (1−t)·z`, `t ~ U(0, 1)`; the network is conditioned on `t`.
    case denoise
    /// `(1−t)·(k_σ * x) + t·z`, periodic Gaussian PSF, `t ~ 0.1·U(0, 1)`.
    case deblur
    /// Random boxes set to 0, plus `t·z` with `t ~ 0.1·U(0, 1)`.
    case inpaint
    /// ×2 super-resolution: bilinear ×2 of the average-restricted image.
    case superres

    /// The kind named `text` (case-insensitive); the error lists the choices.
    public init(parsing text: String) throws {
        guard let kind = TaskKind(rawValue: text.lowercased()) else {
            throw TaskError.unknownKind(text)
        }
        self = kind
    }
}
