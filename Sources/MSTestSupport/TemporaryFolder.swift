import Foundation

/// A fresh folder under the system's temporary directory, removed by `remove()`.
public struct TemporaryFolder {
    public let url: URL

    public init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("mstrain-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// The folder's path.
    public var path: String { url.path }

    /// Path of `name` inside the folder.
    public func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    public func remove() { try? FileManager.default.removeItem(at: url) }

    /// Writes `bytes` to `name` in the folder, or in its subfolder `subfolder` (created as
    /// needed). Returns the file's path.
    @discardableResult
    public func write(_ bytes: [UInt8], _ name: String, in subfolder: String? = nil) throws -> String {
        let directory = subfolder.map { url.appendingPathComponent($0) } ?? url
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let file = directory.appendingPathComponent(name)
        try Data(bytes).write(to: file)
        return file.path
    }
}
