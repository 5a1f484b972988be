/// Central-difference gradient checks in Float64.
///
/// `numericalGradient` perturbs each coordinate of `x` by ±`step` and returns
/// `(f(x + step·e_i) − f(x − step·e_i)) / (2·step)` for every `i`; its truncation error is
/// O(step²), so with `step = 1e-6` on smooth functions the result agrees with an exact
/// gradient to about 1e-8 relative. `coordinates` restricts the probes to those indices (the
/// result then holds one entry per listed index, in order); nil probes every coordinate.
public func numericalGradient(of f: ([Double]) -> Double, at x: [Double], step: Double = 1e-6,
                              coordinates: [Int]? = nil) -> [Double] {
    var probe = x
    return (coordinates ?? Array(x.indices)).map { i in
        let saved = probe[i]
        probe[i] = saved + step
        let up = f(probe)
        probe[i] = saved - step
        let down = f(probe)
        probe[i] = saved
        return (up - down) / (2 * step)
    }
}

/// Largest `|a_i − b_i|` divided by `max(max_i |b_i|, floor)`.
public func relativeError(_ a: [Double], _ b: [Double], floor: Double = 1e-12) -> Double {
    precondition(a.count == b.count, "relativeError: \(a.count) vs \(b.count) elements")
    var diff = 0.0, scale = floor
    for i in 0..<a.count { diff = max(diff, abs(a[i] - b[i])); scale = max(scale, abs(b[i])) }
    return diff / scale
}

/// Deterministic pseudo-random doubles in [-1, 1) for test inputs.
public func testValues(_ count: Int, seed: UInt64) -> [Double] {
    var state = seed &* 0x9E37_79B9_7F4A_7C15 &+ 1
    return (0..<count).map { _ in
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Double(state >> 11) / Double(1 << 52) - 1
    }
}
