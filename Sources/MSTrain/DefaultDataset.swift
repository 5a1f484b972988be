import Foundation
import MSData
import MSDistributed
import MSTensor

/// The built-in default data: dead-leaves images generated at 16×16 and upsampled to 64×64 (the
/// paper's setting of low-resolution images upsampled; docs/method.md section 9), generated once
/// and cached, so that `mstrain-dist train` runs with no data option.
public enum DefaultDataset {
    public static let size = 64
    public static let trainCount = 2048
    public static let validCount = 256
    public static let seed: UInt64 = 2025
    public static let upsamplingFactor = 4

    /// The cache folder: `$MSTRAIN_CACHE_DIR`, else `$XDG_CACHE_HOME/mstrain`, else `~/.cache/mstrain`.
    public static var cacheDirectory: String {
        if let explicit = EnvironmentVariable.cacheDirectory.value() { return explicit }
        let base = EnvironmentVariable.userCacheHome.value() ?? (NSHomeDirectory() as NSString).appendingPathComponent(".cache")
        return (base as NSString).appendingPathComponent("mstrain")
    }

    /// The cached file's path, generating it first if it does not exist.
    public static func ensure(log: (String) -> Void) throws -> String {
        try ensureDeadLeaves(size: size, regime: .upsampled(factor: upsamplingFactor), trainCount: trainCount,
                             validCount: validCount, seed: seed, log: log)
    }

    /// A cached dead-leaves dataset of RGB `size`×`size` images in `regime`, generated into the
    /// cache folder on first use; the file name records every option, so each set is made once.
    public static func ensureDeadLeaves(size: Int, regime: DeadLeaves.Regime, trainCount: Int, validCount: Int, seed: UInt64,
                                        log: (String) -> Void) throws -> String {
        let directory = cacheDirectory
        let regimeTag: String
        switch regime {
        case .native: regimeTag = "native"
        case .upsampled(let factor): regimeTag = "upsampled\(factor)"
        }
        let counts = (trainCount, validCount) == (self.trainCount, self.validCount) ? "" : "-\(trainCount)+\(validCount)"
        let path = (directory as NSString).appendingPathComponent("deadleaves-\(regimeTag)-\(size)-seed\(seed)\(counts).h5")
        if FileManager.default.fileExists(atPath: path) { return path }
        do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        catch { throw DataError.cannotWrite(path: directory, reason: "cannot create the cache folder; set MSTRAIN_CACHE_DIR") }
        log("generating dead leaves (\(regime), \(trainCount)+\(validCount) images of \(size)×\(size)) into \(path)")
        let generator = try DeadLeaves(size: size, channels: 3, seed: seed, regime: regime)
        try AtomicOutput.write(to: path) { temporary in
            try generator.writeDataset(to: temporary, counts: [.train: trainCount, .valid: validCount])
        }
        return path
    }

    /// The photographs of the `photos` benchmark regime: the nature backgrounds of the Debian
    /// package `mate-backgrounds` (12 JPEG photographs, 1280×1024 to 2560×1920).
    public static let photosFolder = "/usr/share/backgrounds/mate/nature"
    /// The Debian package that installs `photosFolder` (launch/setup.sh installs it).
    public static let photosPackage = "mate-backgrounds"
    /// Photographs of the folder, the last ones in name order, that form the valid split.
    public static let photosValidCount = 2

    /// A cached dataset of the photographs in `folder` at their native resolution, built on
    /// first use as `mstrain-dist data import FOLDER --output photos.h5 --valid-count 2` does:
    /// the image files in name order, the last `validCount` of them the valid split, the others
    /// train, so train and validation come from different photographs. The file name records
    /// the folder's name, `validCount` and a hash of the folder's file names and byte sizes, so
    /// a changed folder is imported again.
    /// - Throws: `DataError.unsupportedSource` naming the package to install (`photosPackage`)
    ///   when `folder` does not exist; the import's errors otherwise.
    public static func ensurePhotos(folder: String = photosFolder, validCount: Int = photosValidCount,
                                    directory: String = cacheDirectory, log: (String) -> Void) throws -> String {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
            throw DataError.unsupportedSource(path: folder, reason: "no such folder; the benchmark's photographs come with the Debian "
                + "package \(photosPackage): install it with `apt-get install \(photosPackage)` (or run launch/setup.sh)")
        }
        let files = try ImageFolder.imageFiles(folder)
        var fingerprint = FNV1a()
        for file in files {
            let bytes = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? -1
            fingerprint.combine(bytes: Array("\((file as NSString).lastPathComponent):\(bytes);".utf8))
        }
        let name = (folder as NSString).lastPathComponent
        let path = (directory as NSString).appendingPathComponent(
            "photos-\(name)-valid\(validCount)-\(String(fingerprint.value, radix: 16)).h5")
        if FileManager.default.fileExists(atPath: path) { return path }
        do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        catch { throw DataError.cannotWrite(path: directory, reason: "cannot create the cache folder; set MSTRAIN_CACHE_DIR") }
        log("importing the \(files.count) photographs of \(folder) at native resolution (the last \(validCount) in name order "
            + "for validation) into \(path), as `mstrain-dist data import \(folder) --output \(path) --valid-count \(validCount)`")
        let options = DatasetImport.Options(validCount: validCount)
        let summary = try AtomicOutput.write(to: path) { try DatasetImport.run(source: folder, to: $0, options: options) }
        log("wrote \(path): \(summary)")
        return path
    }
}
