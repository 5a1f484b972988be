import ArgumentParser
import Foundation
import MSData
import MSDistributed
import MSTensor
import MSTrain

/// How `eval --whole-images` and `restore` run the network over a whole image.
struct WholeImageOptions: ParsableArguments {
    @Option(help: "On one process: run tiles of this side (a multiple of the network's stride) instead of whole images.")
    var tile: Int?
    @Option(help: "Pixels each tile extends past its core on every side (a multiple of the network's stride; default 32).")
    var overlap: Int = 32

    func validate() throws {
        if let tile, tile < 1 { throw ValidationError("--tile must be at least 1, got \(tile)") }
        if overlap < 0 { throw ValidationError("--overlap must not be negative, got \(overlap)") }
    }

    /// Strips of all ranks under mpirun; tiles or whole images on one process.
    func layout(communicator: any Communicator, stride: Int) throws -> ImageRestorer.Layout {
        if communicator.size > 1 {
            guard tile == nil else { throw ValidationError("--tile runs on one process; under mpirun the ranks share each image as strips") }
            return .strips(group: communicator)
        }
        guard let tile else { return .whole }
        guard tile % stride == 0, overlap % stride == 0 else {
            throw ValidationError("--tile \(tile) and --overlap \(overlap) must be multiples of the network's total stride \(stride)")
        }
        return .tiles(side: tile, overlap: overlap)
    }
}

extension ImageRestorer.Layout: CustomStringConvertible {
    public var description: String {
        switch self {
        case .whole: return "each in one pass"
        case .strips(let group): return "each on strips of \(group.size) ranks"
        case .tiles(let side, let overlap): return "in tiles of \(side)×\(side) with \(overlap) pixels of overlap"
        }
    }
}

/// Writes `image` `[1, C, H, W]` (training values in [−1, 1]) as an 8-bit PNG, atomically.
func writePNG(_ image: Tensor, to path: String) throws {
    try AtomicOutput.write(to: path) { try Data(ImageCodecs.encodePNG(ImageArray(trainingRange: image))).write(to: URL(fileURLWithPath: $0)) }
}
