import Foundation
import MSData
import MSDistributed

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
}
