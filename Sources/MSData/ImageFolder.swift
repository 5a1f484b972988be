import Foundation

/// A folder of PNG and JPEG files read as one uint8 image array (see docs/datasets.md).
public enum ImageFolder {
    /// File name endings read as images, compared without regard to case.
    public static let extensions: Set<String> = ["png", "jpg", "jpeg"]

    /// Paths of the image files directly inside `folder` (not in subfolders; hidden files
    /// skipped), in lexicographic order of their names.
    public static func imageFiles(_ folder: String) throws -> [String] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: folder)
        } catch {
            throw DataError.unsupportedSource(path: folder, reason: "cannot list the folder; check that it is readable")
        }
        let folderURL = URL(fileURLWithPath: folder)
        return names.filter { !$0.hasPrefix(".") && extensions.contains(URL(fileURLWithPath: $0).pathExtension.lowercased()) }
            .sorted().map { folderURL.appendingPathComponent($0).path }
    }

    /// Decodes every image file of `folder` (`ImageCodecs.decode`) into uint8 `[N, C, H, W]`.
    /// Each image is centre-cropped and resized to `size × size` as it is read
    /// (`ImageResize.squareResize`); without a size all images must share one size. C is 1 when
    /// every image is grey, else 3 (grey images are repeated into R, G and B). Also returns a
    /// description such as "folder of 12 images: 10 PNG, 2 JPEG".
    public static func read(_ folder: String, size: Int?) throws -> (images: ImageArray, description: String) {
        let files = try imageFiles(folder)
        guard let firstFile = files.first else {
            throw DataError.unsupportedSource(path: folder, reason: "holds no PNG/JPEG files (.png, .jpg, .jpeg) and no CIFAR-10 batches; "
                + "put the images directly in this folder, or import a .npy/.npz array instead")
        }
        var images: [ImageArray] = []
        var formatCounts: [ImageCodecs.Format: Int] = [:]
        for file in files {
            let (decoded, format) = try ImageCodecs.decode(file)
            if size == nil, let first = images.first, (decoded.height, decoded.width) != (first.height, first.width) {
                throw DataError.invalidOption("\(file) is \(decoded.width)×\(decoded.height) but \(firstFile) is \(first.width)×\(first.height); "
                    + "give --size to centre-crop and resize every image to one size")
            }
            images.append(decoded.slice(0 ..< 1, resizedTo: size))
            formatCounts[format, default: 0] += 1
        }
        let channels = images.contains { $0.channels == 3 } ? 3 : 1
        let counts = [ImageCodecs.Format.png, .jpeg].compactMap { format in formatCounts[format].map { "\($0) \(format.rawValue)" } }
        return (ImageArray.concatenate(images.map { $0.converted(toChannels: channels) }),
                "folder of \(files.count) images: \(counts.joined(separator: ", "))")
    }
}
