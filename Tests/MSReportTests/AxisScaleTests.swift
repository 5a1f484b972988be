import MSReport
import XCTest

final class AxisScaleTests: XCTestCase {
    func testLinearDomainIsWidenedToRoundTicks() {
        let scale = AxisScale(kind: .linear, covering: [0.3, 9.7, 4])
        XCTAssertEqual(scale.lower, 0)
        XCTAssertEqual(scale.upper, 10)
        XCTAssertEqual(scale.ticks, [0, 2, 4, 6, 8, 10])
        XCTAssertEqual(scale.position(5), 0.5, accuracy: 1e-12)
        XCTAssertEqual(scale.ticks.map(scale.label), ["0", "2", "4", "6", "8", "10"])
    }

    func testLinearTicksOfSmallAndNegativeValues() {
        let scale = AxisScale(kind: .linear, covering: [-0.012, 0.037])
        XCTAssertEqual(scale.ticks.count, 7)
        XCTAssertEqual(scale.ticks.first!, -0.02, accuracy: 1e-12)
        XCTAssertEqual(scale.ticks.last!, 0.04, accuracy: 1e-12)
        XCTAssertEqual(scale.ticks.map(scale.label), ["-0.02", "-0.01", "0", "0.01", "0.02", "0.03", "0.04"])
    }

    func testLogarithmicTicksArePowersOfTen() {
        let scale = AxisScale(kind: .logarithmic, covering: [0.003, 2, -1, .nan])
        XCTAssertEqual(scale.lower, 0.001, accuracy: 1e-15)
        XCTAssertEqual(scale.upper, 10, accuracy: 1e-12)
        XCTAssertEqual(scale.ticks.count, 5)
        for (tick, expected) in zip(scale.ticks, [0.001, 0.01, 0.1, 1, 10]) { XCTAssertEqual(tick, expected, accuracy: expected * 1e-12) }
        XCTAssertEqual(scale.position(0.1), 0.5, accuracy: 1e-12)
        XCTAssertEqual(scale.ticks.map(scale.label), ["0.001", "0.01", "0.1", "1", "10"])
        XCTAssertFalse(scale.canShow(0))
        XCTAssertFalse(scale.canShow(-1))
    }

    func testNarrowLogarithmicDomainsUse1_2_5Bounds() {
        let scale = AxisScale(kind: .logarithmic, covering: [0.08, 0.15])
        XCTAssertEqual(scale.lower, 0.05, accuracy: 1e-12)
        XCTAssertEqual(scale.upper, 0.2, accuracy: 1e-12)
        XCTAssertEqual(scale.ticks.count, 3)
        for (tick, expected) in zip(scale.ticks, [0.05, 0.1, 0.2]) { XCTAssertEqual(tick, expected, accuracy: 1e-12) }
        let twoDecades = AxisScale(kind: .logarithmic, covering: [0.02, 0.9])
        XCTAssertEqual(twoDecades.ticks.map(twoDecades.label), ["0.02", "0.05", "0.1", "0.2", "0.5", "1"])
        let threeDecades = AxisScale(kind: .logarithmic, covering: [0.02, 1.5])
        XCTAssertEqual(threeDecades.ticks.map(threeDecades.label), ["0.01", "0.1", "1", "10"])
    }

    func testTinyMagnitudesUseExponents() {
        let scale = AxisScale(kind: .logarithmic, covering: [2e-6, 3e-4])
        XCTAssertEqual(scale.ticks.map(scale.label), ["1e-6", "1e-5", "1e-4", "0.001"])
        XCTAssertEqual(scale.label(1e-3), "0.001")
    }

    func testDegenerateDomains() {
        let single = AxisScale(kind: .linear, covering: [3, 3])
        XCTAssertLessThan(single.lower, 3)
        XCTAssertGreaterThan(single.upper, 3)
        let empty = AxisScale(kind: .linear, covering: [])
        XCTAssertEqual(empty.lower, 0)
        XCTAssertEqual(empty.upper, 1)
        let logSingle = AxisScale(kind: .logarithmic, covering: [1])
        XCTAssertEqual(logSingle.lower, 1)
        XCTAssertEqual(logSingle.upper, 2)
        let logEmpty = AxisScale(kind: .logarithmic, covering: [0, -1])
        XCTAssertEqual(logEmpty.lower, 1)
        XCTAssertEqual(logEmpty.upper, 10)
    }
}
