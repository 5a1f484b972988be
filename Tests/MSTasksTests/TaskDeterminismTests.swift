import MSTasks
import MSTensor
import XCTest

final class TaskDeterminismTests: XCTestCase {
    /// A sample's degradation depends on (seed, stream) only: not on its batch position or
    /// on the other samples in its batch.
    func testSampleDependsOnlyOnSeedAndStream() {
        let clean = randomImage([3, 3, 16, 16], seed: 1)
        let streams: [UInt64] = [11, 22, 33]
        for kind in TaskKind.allCases {
            let task = RestorationTask(kind: kind)
            let whole = task.degrade(clean, seed: 7, streams: streams)
            let reordered = task.degrade(Tensor.stackBatch([clean.batchSlice(2..<3), clean.batchSlice(0..<1)]),
                                         seed: 7, streams: [streams[2], streams[0]])
            let alone = task.degrade(clean.batchSlice(1..<2), seed: 7, streams: [streams[1]])
            let pieces = [(2, reordered, 0), (0, reordered, 1), (1, alone, 0)]
            for (b, other, position) in pieces {
                XCTAssertEqual(bits(whole.input.batchSlice(b..<(b + 1))),
                               bits(other.input.batchSlice(position..<(position + 1))), "\(kind) sample \(b)")
                XCTAssertEqual(whole.time[b].bitPattern, other.time[position].bitPattern, "\(kind) sample \(b)")
            }
            XCTAssertEqual(task.degrade(clean, seed: 7, streams: streams), whole, "\(kind) repeat")
            XCTAssertEqual(whole.target, clean, "\(kind) target")
        }
    }

    func testDifferentStreamsOrSeedsGiveDifferentDraws() {
        let clean = randomImage([1, 3, 16, 16], seed: 2)
        for kind in [TaskKind.denoise, .deblur, .inpaint] {
            let task = RestorationTask(kind: kind)
            let base = task.degrade(clean, seed: 7, streams: [5])
            XCTAssertNotEqual(task.degrade(clean, seed: 7, streams: [6]).input, base.input, "\(kind)")
            XCTAssertNotEqual(task.degrade(clean, seed: 8, streams: [5]).input, base.input, "\(kind)")
        }
    }

    func testParsingListsTheChoices() throws {
        XCTAssertEqual(try TaskKind(parsing: "superres"), .superres)
        XCTAssertEqual(try TaskKind(parsing: "Denoise"), .denoise)
        XCTAssertThrowsError(try TaskKind(parsing: "sharpen")) { error in
            XCTAssertEqual("\(error)", "unknown task 'sharpen'; choose one of: denoise, deblur, inpaint, superres.")
        }
    }

    func testOptionValidation() {
        XCTAssertNoThrow(try TaskOptions().validate())
        XCTAssertThrowsError(try TaskOptions(inpaintMinFraction: 0.6, inpaintMaxFraction: 0.5).validate()) { error in
            guard case TaskError.invalidOption(let name, _, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(name, "inpaintMaxFraction")
        }
        XCTAssertThrowsError(try TaskOptions(blurSigmaPixels: 0).validate())
        XCTAssertThrowsError(try TaskOptions(inpaintBoxes: -1).validate())
    }
}
