import Foundation
import MSTasks
import MSTensor
import XCTest

final class NoiseFieldTests: XCTestCase {
    /// Slow reference: the normal sequence read word by word with `next32()` after skipping
    /// `firstWord` words, Box–Muller pair by pair (cos, then sin; a last odd element uses cos).
    private func referenceNormals(seed: UInt64, stream: UInt64, firstWord: Int, count: Int) -> [Float] {
        var random = CounterRandom(seed: seed, stream: stream)
        for _ in 0..<firstWord { _ = random.next32() }
        var values: [Float] = []
        while values.count < count {
            let u1 = (Float(random.next32() >> 8) + 0.5) * (1.0 / 16_777_216.0)
            let u2 = Float(random.next32() >> 8) * (1.0 / 16_777_216.0)
            let radius = (-2 * logf(u1)).squareRoot(), angle = 2 * Float.pi * u2
            values.append(radius * cosf(angle))
            if values.count < count { values.append(radius * sinf(angle)) }
        }
        return values
    }

    /// Regions of a `height × width` image: whole, corners, odd sizes, single pixels and rows.
    static func regions(height h: Int, width w: Int) -> [ImageRegion] {
        [.whole(height: h, width: w),
         ImageRegion(rows: 0..<5, columns: 0..<7),
         ImageRegion(rows: (h - 5)..<h, columns: (w - 7)..<w),
         ImageRegion(rows: 3..<(h - 4), columns: 5..<(w - 2)),
         ImageRegion(rows: 0..<h, columns: 1..<2),
         ImageRegion(rows: 6..<7, columns: 0..<w),
         ImageRegion(rows: (h - 1)..<h, columns: (w - 1)..<w),
         ImageRegion(rows: 1..<(h - 1), columns: 0..<w)]
    }

    /// Every region, computed alone, is bitwise the slice of the whole field, which is the
    /// word-by-word reference; so are single values. Both parities of the first word.
    func testRegionsEqualTheWholeFieldAndTheReference() {
        let (c, h, w) = (3, 13, 11)   // odd element count: the last value is a lone cosine
        for firstWord in [0, 1, 7, 10] {
            let field = NoiseField(seed: 9, stream: 77, firstWord: UInt64(firstWord), channels: c, height: h, width: w)
            let reference = Tensor(shape: [1, c, h, w],
                                   scalars: referenceNormals(seed: 9, stream: 77, firstWord: firstWord, count: c * h * w))
            XCTAssertEqual(bits(field.values(in: .whole(height: h, width: w))), bits(reference), "first word \(firstWord)")
            for region in Self.regions(height: h, width: w) {
                XCTAssertEqual(bits(field.values(in: region)), bits(region.extract(from: reference)),
                               "first word \(firstWord), \(region)")
            }
            for (ch, y, x) in [(0, 0, 0), (2, 12, 10), (1, 5, 3), (1, 5, 4)] {
                XCTAssertEqual(field.value(channel: ch, row: y, column: x).bitPattern, reference[0, ch, y, x].bitPattern)
            }
        }
    }

    /// `fillNormal` matches the reference and leaves the generator where the word-by-word
    /// reader would be, for odd and even lengths and any starting word.
    func testSequentialFillContinuesAtTheRightWord() {
        for (skipped, count) in [(0, 5), (3, 6), (5, 1), (2, 9)] {
            var random = CounterRandom(seed: 4, stream: 8)
            var reader = CounterRandom(seed: 4, stream: 8)
            for _ in 0..<skipped { _ = random.next32(); _ = reader.next32() }
            var values = [Float](repeating: 0, count: count)
            values.withUnsafeMutableBufferPointer { random.fillNormal($0) }
            XCTAssertEqual(values.map(\.bitPattern),
                           referenceNormals(seed: 4, stream: 8, firstWord: skipped, count: count).map(\.bitPattern))
            for _ in 0..<(2 * ((count + 1) / 2)) { _ = reader.next32() }
            XCTAssertEqual(random.wordOffset, reader.wordOffset)
            XCTAssertEqual((0..<6).map { _ in random.next32() }, (0..<6).map { _ in reader.next32() })
        }
    }

    func testDifferentStreamsGiveDifferentFields() {
        let a = NoiseField(seed: 1, stream: 2, firstWord: 1, channels: 1, height: 4, width: 4)
        let b = NoiseField(seed: 1, stream: 3, firstWord: 1, channels: 1, height: 4, width: 4)
        XCTAssertNotEqual(a.values(in: .whole(height: 4, width: 4)), b.values(in: .whole(height: 4, width: 4)))
    }
}
