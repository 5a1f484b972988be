import Foundation

/// Imports a folder of PNG and JPEG files (`ImageFolder.imageFiles`) image by image, so that
/// at most one image (and its converted copies) is in memory at a time (docs/datasets.md).
///
/// 1. Every file's header is read (`ImageCodecs.readHeader`): sizes, channels and bit depth.
///    The dataset is RGB unless every image is grey (or as `--channels` says), uint16 if any
///    image is a 16-bit PNG (8-bit images are scaled by 257, exactly), else uint8.
/// 2. The last `validCount` files go to valid, the others to train. Images that come out in
///    one size (`--size`, or all of one native size) are written in the one-array layout
///    (format version 1 unless uint16); images of different sizes in the per-image layout
///    (format version 2).
/// 3. Each file is decoded, downscaled or resized, converted to the dataset's channels and
///    storage, and written, before the next is read.
///
/// A file that cannot be read, decoded or used (too small for `--downscale`) ends the import
/// with an error naming it, unless `skipBad` leaves it out and lists it in the summary.
enum FolderImport {
    static func run(_ folder: String, to path: String, options: DatasetImport.Options) throws -> DatasetImport.Summary {
        let files = try ImageFolder.imageFiles(folder)
        guard !files.isEmpty else {
            throw DataError.unsupportedSource(path: folder, reason: "holds no PNG/JPEG files (.png, .jpg, .jpeg) and no CIFAR-10 batches; "
                + "put the images directly in this folder, or import a .npy/.npz array instead")
        }
        var skipped: [DatasetImport.SkippedFile] = []
        /// `body()`, or nil when it fails for the file and `skipBad` leaves the file out.
        func attempt<R>(_ file: String, _ body: () throws -> R) throws -> R? {
            do {
                return try body()
            } catch let error as DataError where options.skipBad {
                skipped.append(DatasetImport.SkippedFile(path: file, reason: reason(error, file)))
                return nil
            }
        }

        let images = try files.compactMap { file in try attempt(file) { (file: file, header: try usableHeader(file, options)) } }
        let trainCount = try options.trainCount(of: images.count, in: folder)
        let channels = options.channels ?? (images.contains { $0.header.channels == 3 } ? 3 : 1)
        let storage: SampleStorage = images.contains { $0.header.bitDepth == 16 } ? .uint16 : .uint8
        let sizes = images.map { options.outputSize($0.header.size) }
        let layout: SplitLayout = Set(sizes).count == 1 ? .array : .perImage
        let writer = try DatasetWriter(path: path, storage: storage, layout: layout, provenance: "")
        var progress = Progress(total: images.count, options: options)
        var counts: [Split: Int] = [:], formatCounts: [ImageCodecs.Format: Int] = [:], written: [ImageSize] = []

        for (split, range) in [(Split.train, 0 ..< trainCount), (.valid, trainCount ..< images.count)] {
            if layout == .array { try writer.addSplit(split, count: range.count, channels: channels, height: sizes[0].height, width: sizes[0].width) }
            var count = 0
            for (file, header) in images[range] {
                defer { progress.step() }
                guard let image = try attempt(file, { try decode(file, header) }) else { continue }
                let resized = options.size.map { image.slice(0 ..< 1, resizedTo: $0) } ?? image
                let converted = resized.downscaled(by: options.downscale).converted(toChannels: channels)
                if layout == .array {
                    try writer.write(split, images: converted, at: count)
                } else {
                    try writer.append(converted, to: split)
                }
                count += 1
                formatCounts[header.format, default: 0] += 1
                written.append(ImageSize(height: converted.height, width: converted.width))
            }
            guard count > 0 else {
                throw DataError.unsupportedSource(path: folder, reason: "every image file meant for the \(split) split was bad; "
                    + "fix or remove them, or choose another --valid-count")
            }
            if layout == .array && count < range.count { try writer.truncate(split, to: count) }
            counts[split] = count
        }
        let formats = [ImageCodecs.Format.png, .jpeg].compactMap { format in formatCounts[format].map { "\($0) \(format.rawValue)" } }
        let converted = options.channels.map { $0 == 1 ? ", converted to grey" : ", converted to RGB" } ?? ""
        writer.provenance = "import of \(folder) (folder of \(written.count) images: \(formats.joined(separator: ", "))"
            + (skipped.isEmpty ? "" : "; \(skipped.count) bad files skipped") + ")\(options.resizing)\(converted)"
        try writer.close()
        return DatasetImport.Summary(source: folder, counts: counts, channels: channels,
                                     smallest: ImageSize(height: written.map(\.height).min()!, width: written.map(\.width).min()!),
                                     largest: ImageSize(height: written.map(\.height).max()!, width: written.map(\.width).max()!),
                                     storage: storage, skipped: skipped)
    }

    /// The header of `file`, checked against the options.
    private static func usableHeader(_ file: String, _ options: DatasetImport.Options) throws -> ImageCodecs.Header {
        let header = try ImageCodecs.readHeader(file)
        guard options.size != nil || (header.size.height >= options.downscale && header.size.width >= options.downscale) else {
            throw DataError.unsupportedSource(path: file, reason: "is \(header.size) pixels, smaller than --downscale \(options.downscale)")
        }
        return header
    }

    /// `file` decoded, checked against the `header` it had when the import began.
    private static func decode(_ file: String, _ header: ImageCodecs.Header) throws -> ImageArray {
        let image = try ImageCodecs.decode(file).image
        let found = ImageCodecs.Header(format: header.format, size: ImageSize(height: image.height, width: image.width),
                                       channels: image.channels, bitDepth: image.storage == .uint16 ? 16 : 8)
        guard found == header else {
            throw DataError.malformedSource(path: file, reason: "decodes to \(found.size) pixels, \(found.channels) channels, \(found.bitDepth) bits, "
                + "but its header said \(header.size), \(header.channels), \(header.bitDepth) (did it change during the import?)")
        }
        return image
    }

    /// What `error` says about `file`, without the path.
    private static func reason(_ error: DataError, _ file: String) -> String {
        switch error {
        case .malformedSource(_, let reason), .unsupportedSource(_, let reason): return reason
        case .missingFile: return "vanished during the import"
        default: return error.description.hasPrefix(file + ": ") ? String(error.description.dropFirst(file.count + 2)) : error.description
        }
    }

    /// Lines "imported k of n images (p%) in t s" through `options.progress`, at most every
    /// `options.progressInterval`, and one at the end of an import that printed any.
    private struct Progress {
        let total: Int
        let report: (@Sendable (String) -> Void)?
        let interval: Duration
        let start = ContinuousClock.now
        var done = 0
        var lastReport = ContinuousClock.now
        var reported = false

        init(total: Int, options: DatasetImport.Options) {
            (self.total, report, interval) = (total, options.progress, options.progressInterval)
        }

        mutating func step() {
            done += 1
            let now = ContinuousClock.now
            guard let report, now - lastReport >= interval || (done == total && reported) else { return }
            let seconds = Double((now - start).components.seconds) + Double((now - start).components.attoseconds) * 1e-18
            report(String(format: "imported %d of %d images (%.0f%%) in %.1f s", done, total, 100 * Double(done) / Double(total), seconds))
            (lastReport, reported) = (now, true)
        }
    }
}
