import XCTest
import MSTensor

final class TensorTests: XCTestCase {
    func testValueSemantics() {
        var a = Tensor(shape: [1, 1, 2, 2], scalars: [1, 2, 3, 4])
        let b = a
        a[0, 0, 1, 1] = 9
        XCTAssertEqual(b[0, 0, 1, 1], 4)
        XCTAssertEqual(a[0, 0, 1, 1], 9)
    }

    func testBatchSliceAndStack() {
        let t = Tensor(shape: [3, 1, 1, 2], scalars: [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(t.batchSlice(1..<3).scalars, [3, 4, 5, 6])
        XCTAssertEqual(Tensor.stackBatch([t.batchSlice(0..<1), t.batchSlice(1..<3)]), t)
    }

    func testSgemmRowMajor() {
        // [2x3] · [3x2]
        let a: [Float] = [1, 2, 3, 4, 5, 6], b: [Float] = [7, 8, 9, 10, 11, 12]
        var c = [Float](repeating: 0, count: 4)
        BLAS.sgemm(transposeA: false, transposeB: false, m: 2, n: 2, k: 3, alpha: 1, a: a, lda: 3,
                   b: b, ldb: 2, beta: 0, c: &c, ldc: 2)
        XCTAssertEqual(c, [58, 64, 139, 154])
        XCTAssertFalse(BLAS.coreName.isEmpty)
    }
}
