import Foundation

/// The image files of a folder (see docs/datasets.md; `FolderImport` imports them).
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
}
