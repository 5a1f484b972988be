import Foundation

extension DatasetImport {
    public struct Options: Sendable {
        /// Centre-crop to a square and resize to `size × size`; nil keeps the images' size.
        public var size: Int?
        /// Reduce every image by this integer factor (`ImageArray.downscaled(by:)`); 1 keeps it.
        public var downscale: Int
        /// Images of a single array (or folder) that go to the valid split.
        public var validCount: Int?
        /// Axis order of a 4-D `.npy` array (or `.npz` member).
        public var layout: NumpyLayout
        /// Converts every image to 1 (grey) or 3 (RGB) channels (`ImageArray.converted`); nil
        /// keeps the source's channels (for a folder: 1 when every image is grey, else 3).
        public var channels: Int?
        /// The `.npz` array to import; nil picks `NpzArchive.defaultArrayName()`.
        public var array: String?
        /// An `.npz` array that becomes the whole valid split (instead of splitting `array`).
        public var validArray: String?
        /// Folders only: leave out image files that cannot be decoded or are not supported (listed
        /// in `Summary.skipped`) instead of failing on the first.
        public var skipBad: Bool
        /// Folders only: called with a line such as "imported 40 of 120 images (33%) in 12.0 s"
        /// at most every `progressInterval` while images are written.
        public var progress: (@Sendable (String) -> Void)?
        public var progressInterval: Duration

        public init(size: Int? = nil, downscale: Int = 1, validCount: Int? = nil, layout: NumpyLayout = .auto,
                    channels: Int? = nil, array: String? = nil, validArray: String? = nil, skipBad: Bool = false,
                    progress: (@Sendable (String) -> Void)? = nil, progressInterval: Duration = .seconds(5)) {
            (self.size, self.downscale, self.validCount, self.layout) = (size, downscale, validCount, layout)
            (self.channels, self.array, self.validArray, self.skipBad) = (channels, array, validArray, skipBad)
            (self.progress, self.progressInterval) = (progress, progressInterval)
        }

        /// Throws `.invalidOption` for options out of range or that do not apply to `source`.
        func check(_ source: String) throws {
            if let size, size < 1 { throw DataError.invalidOption("the image size must be at least 1, got \(size)") }
            if downscale < 1 { throw DataError.invalidOption("the downscale factor must be at least 1, got \(downscale)") }
            if size != nil && downscale != 1 {
                throw DataError.invalidOption("--size and --downscale exclude each other: --size gives every image one size, --downscale keeps their proportions")
            }
            if let channels, channels != 1 && channels != 3 {
                throw DataError.invalidOption("the channel count must be 1 (grey) or 3 (RGB), got \(channels)")
            }
            if URL(fileURLWithPath: source).pathExtension.lowercased() != "npz" && (array != nil || validArray != nil) {
                throw DataError.invalidOption("--array and --valid-array choose arrays of an .npz archive; \(source) is not one")
            }
        }

        /// The size an image of `size` is written at.
        func outputSize(_ size: ImageSize) -> ImageSize {
            if let side = self.size { return ImageSize(height: side, width: side) }
            return ImageSize(height: size.height / downscale, width: size.width / downscale)
        }

        /// For the provenance: ", centre-cropped and resized to S×S", ", downscaled by F" or "".
        var resizing: String {
            if let size { return ", centre-cropped and resized to \(size)×\(size)" }
            return downscale == 1 ? "" : ", downscaled by \(downscale) (\(downscale)×\(downscale) box averages)"
        }

        /// The train images of `count` split as `validCount` says (default `max(1, count/10)`).
        func trainCount(of count: Int, in source: String) throws -> Int {
            guard count >= 2 else {
                throw DataError.unsupportedSource(path: source, reason: "holds \(count) usable images; at least 2 are needed (train and valid)")
            }
            let validCount = self.validCount ?? max(1, count / 10)
            guard validCount >= 1, validCount < count else {
                throw DataError.invalidOption("\(source) holds \(count) usable images; the valid split needs 1 to \(count - 1) of them, got \(validCount)")
            }
            return count - validCount
        }
    }

    /// An image file left out by `Options.skipBad`.
    public struct SkippedFile: Equatable, Sendable {
        public var path: String
        /// Why, as the error would have said (without the path).
        public var reason: String
    }

    /// What was written.
    public struct Summary: Sendable, CustomStringConvertible {
        public var source: String
        public var counts: [Split: Int]
        public var channels: Int
        /// The smallest and largest height and width written (equal when every image has one size).
        public var smallest, largest: ImageSize
        public var storage: SampleStorage
        /// Files left out by `Options.skipBad`, in name order.
        public var skipped: [SkippedFile] = []

        /// The images' height and width when they share one size, else the smallest ones.
        public var height: Int { smallest.height }
        public var width: Int { smallest.width }

        public var description: String {
            let splits = Split.allCases.compactMap { split in counts[split].map { "\(split) \($0)" } }.joined(separator: ", ")
            let shape = smallest == largest ? "[\(channels), \(height), \(width)]"
                : "\(channels) channels from \(smallest) to \(largest) pixels (W×H)"
            var text = "\(splits) images of \(shape) \(storage) from \(source)"
            if !skipped.isEmpty {
                let files = skipped.map { "\(URL(fileURLWithPath: $0.path).lastPathComponent) (\($0.reason))" }
                text += "; skipped \(skipped.count) bad file\(skipped.count == 1 ? "" : "s"): " + files.joined(separator: ", ")
            }
            return text
        }
    }
}
