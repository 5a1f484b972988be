/// The height and width of an image, in pixels.
public struct ImageSize: Hashable, Sendable, CustomStringConvertible {
    public var height: Int
    public var width: Int

    public init(height: Int, width: Int) {
        (self.height, self.width) = (height, width)
    }

    /// `pixels = height·width`.
    public var pixels: Int { height * width }

    /// `W×H`, as image sizes are usually written (`640×480` is 640 wide).
    public var description: String { "\(width)×\(height)" }
}
