import Foundation
import MSTensor

// Legend: h×w plane extents, r filter radius, t tap index (offset k = t − r), M FFT length,
// `buffer` a zero-padded copy of one row.

/// One pass of 1-D filters along one axis of `h × w` row-major planes, with zero padding:
///
///     output_o = Σ_{terms (s, f, o)} filter_f ⋆ source_s,
///     (filter ⋆ u)[i] = Σ_{k=−r}^{r} filter[k + r] · u[i − k]      (along the axis; 0 outside)
///
/// Every output is overwritten. Two methods compute the same sums up to Float32 rounding:
/// `direct` (cost ∝ r per pixel and term) and `fft`, which zero-pads each line to a length
/// `M ≥ n + 2r` that FFTW transforms fast (`FFTPlan.length(atLeast:)`), so the circular
/// convolution equals the zero-padded linear one, transforms each source once (two lines per
/// complex transform, one in the real and one in the imaginary part), sums the products of
/// spectra per output and transforms back once per output.
/// Lines along y are handled by transposing the planes.
public struct AxisFilterPass: Sendable {
    public enum Axis: Sendable { case x, y }
    public enum Method: Sendable { case direct, fft }
    /// `output += filters[filter] ⋆ sources[source]`.
    public struct Term: Sendable {
        public let source: Int, filter: Int, output: Int
        public init(source: Int, filter: Int, output: Int) {
            self.source = source
            self.filter = filter
            self.output = output
        }
    }

    public let axis: Axis
    /// Every filter has `2·radius + 1` taps.
    public let filters: [[Float]]
    public let radius: Int
    public let terms: [Term]
    public let sourceCount: Int
    public let outputCount: Int

    public init(axis: Axis, filters: [[Float]], terms: [Term]) {
        let radius = (filters[0].count - 1) / 2
        precondition(filters.allSatisfy { $0.count == 2 * radius + 1 },
                     "AxisFilterPass: filters of lengths \(filters.map(\.count)), expected one odd length")
        self.axis = axis
        self.filters = filters
        self.radius = radius
        self.terms = terms
        sourceCount = terms.map(\.source).max()! + 1
        outputCount = terms.map(\.output).max()! + 1
    }

    /// Estimated cost in units of one vectorised multiply-add of the direct loops. One complex
    /// transform of `M` points is counted as `5·M·log2(M)`: with FFTW and the lengths of
    /// `FFTPlan.length(atLeast:)`, this makes the automatic choice take direct passes up to
    /// 64×64 and FFT passes from 128×128 at σ = 1/32 of the side, the faster method at each
    /// size in `mstrain-dist bench kernels --tables mfc` (docs/performance.md, "FFT").
    public func cost(height: Int, width: Int, method: Method) -> Double {
        let (length, lines) = axis == .x ? (width, height) : (height, width)
        switch method {
        case .direct:
            return Double(terms.count * (2 * radius + 1) * length * lines)
        case .fft:
            let m = FFTPlan.length(atLeast: length + 2 * radius)
            let transform = 5 * Double(m) * log2(Double(m)) + Double(m)
            let pairs = Double((lines + 1) / 2)
            let perPair = Double(sourceCount + outputCount) * transform + Double(terms.count * m * 2)
            let transposes = axis == .y ? Double((sourceCount + outputCount) * length * lines) : 0
            return pairs * perPair + transposes
        }
    }

    /// The cheaper method by `cost`.
    public func cheaperMethod(height: Int, width: Int) -> Method {
        cost(height: height, width: width, method: .fft) < cost(height: height, width: width, method: .direct) ? .fft : .direct
    }

    /// Runs the pass on one plane per source and output, each `height × width`.
    public func apply(height: Int, width: Int, sources: [UnsafePointer<Float>], outputs: [UnsafeMutablePointer<Float>],
               method: Method) {
        precondition(sources.count >= sourceCount && outputs.count >= outputCount,
                     "AxisFilterPass: \(sources.count) sources and \(outputs.count) outputs for terms needing \(sourceCount) and \(outputCount)")
        switch (method, axis) {
        case (.direct, .x): directAlongRows(height: height, width: width, sources: sources, outputs: outputs)
        case (.direct, .y): directAlongColumns(height: height, width: width, sources: sources, outputs: outputs)
        case (.fft, .x): fftAlongRows(lines: height, length: width, sources: sources, outputs: outputs)
        case (.fft, .y): fftAlongColumns(height: height, width: width, sources: sources, outputs: outputs)
        }
    }

    private typealias V = Vectorised.Vector

    private func directAlongRows(height h: Int, width w: Int, sources: [UnsafePointer<Float>],
                                 outputs: [UnsafeMutablePointer<Float>]) {
        let r = radius, taps = 2 * r + 1
        for o in 0..<outputCount { outputs[o].update(repeating: 0, count: h * w) }
        // Slack of one vector after the padded row, so every load is a full vector.
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: w + 2 * r + V.scalarCount)
        buffer.initialize(repeating: 0, count: w + 2 * r + V.scalarCount)
        defer { buffer.deallocate() }
        for term in terms {
            filters[term.filter].withUnsafeBufferPointer { filter in
                for row in 0..<h {
                    (buffer + r).update(from: sources[term.source] + row * w, count: w)
                    let out = outputs[term.output] + row * w
                    Vectorised.forEachChunk(count: w) { i, lanes in
                        var sum = V()
                        // out[i] = Σ_t filter[t] · u[i + r − t] = Σ_t filter[t] · buffer[i + 2r − t]
                        for t in 0..<taps {
                            sum.addProduct(V(repeating: filter[t]),
                                           UnsafeRawPointer(buffer + i + 2 * r - t).loadUnaligned(as: V.self))
                        }
                        Vectorised.store(Vectorised.load(out + i, lanes: lanes) + sum, to: out + i, lanes: lanes)
                    }
                }
            }
        }
    }

    private func directAlongColumns(height h: Int, width w: Int, sources: [UnsafePointer<Float>],
                                    outputs: [UnsafeMutablePointer<Float>]) {
        let r = radius
        for o in 0..<outputCount { outputs[o].update(repeating: 0, count: h * w) }
        for term in terms {
            let source = sources[term.source], output = outputs[term.output]
            filters[term.filter].withUnsafeBufferPointer { filter in
                for row in 0..<h {
                    // Rows row + r − t inside the plane.
                    let tFirst = max(0, row + r - (h - 1)), tLast = min(2 * r, row + r)
                    let out = output + row * w
                    Vectorised.forEachChunk(count: w) { i, lanes in
                        var sum = V()
                        if tFirst <= tLast {
                            for t in tFirst...tLast {
                                sum.addProduct(V(repeating: filter[t]),
                                               Vectorised.load(source + (row + r - t) * w + i, lanes: lanes))
                            }
                        }
                        Vectorised.store(Vectorised.load(out + i, lanes: lanes) + sum, to: out + i, lanes: lanes)
                    }
                }
            }
        }
    }

    /// `lines` rows of `length` points each.
    private func fftAlongRows(lines: Int, length n: Int, sources: [UnsafePointer<Float>],
                              outputs: [UnsafeMutablePointer<Float>]) {
        let r = radius
        let plan = FFTPlan(length: FFTPlan.length(atLeast: n + 2 * r))
        let m = plan.length
        // Interleaved complex buffers: per filter its spectrum, per source the spectrum of two
        // lines (one in the real, one in the imaginary part), then one output's accumulated product.
        let buffers = plan.allocate(buffers: filters.count + sourceCount + 1)
        defer { buffers.deallocate() }
        func buffer(_ index: Int) -> UnsafeMutablePointer<Float> { buffers + plan.bufferStride * index }
        let (filterBuffer, sourceBuffer) = (0, filters.count), accumulator = buffer(filters.count + sourceCount)
        // Filters placed so that full[j] = Σ_t filter[t]·u[j − t]; out[i] = full[i + r].
        for (f, taps) in filters.enumerated() {
            for t in 0..<taps.count { buffer(filterBuffer + f)[2 * t] = taps[t] }
            plan.forward(buffer(filterBuffer + f))
        }
        for first in stride(from: 0, to: lines, by: 2) {
            let paired = first + 1 < lines
            for s in 0..<sourceCount {
                let spectrum = buffer(sourceBuffer + s), line = sources[s] + first * n
                spectrum.update(repeating: 0, count: 2 * m)
                for i in 0..<n { spectrum[2 * i] = line[i] }
                if paired { for i in 0..<n { spectrum[2 * i + 1] = line[n + i] } }
                plan.forward(spectrum)
            }
            for o in 0..<outputCount {
                accumulator.update(repeating: 0, count: 2 * m)
                for term in terms where term.output == o {
                    let (x, f) = (buffer(sourceBuffer + term.source), buffer(filterBuffer + term.filter))
                    for j in 0..<m {
                        let (xr, xi, fr, fi) = (x[2 * j], x[2 * j + 1], f[2 * j], f[2 * j + 1])
                        accumulator[2 * j] += xr * fr - xi * fi
                        accumulator[2 * j + 1] += xr * fi + xi * fr
                    }
                }
                plan.inverse(accumulator)
                let line = outputs[o] + first * n
                for i in 0..<n { line[i] = accumulator[2 * (i + r)] }
                if paired { for i in 0..<n { line[n + i] = accumulator[2 * (i + r) + 1] } }
            }
        }
    }

    private func fftAlongColumns(height h: Int, width w: Int, sources: [UnsafePointer<Float>],
                                 outputs: [UnsafeMutablePointer<Float>]) {
        let transposedSources = (0..<sourceCount).map { _ in UnsafeMutablePointer<Float>.allocate(capacity: h * w) }
        let transposedOutputs = (0..<outputCount).map { _ in UnsafeMutablePointer<Float>.allocate(capacity: h * w) }
        defer { (transposedSources + transposedOutputs).forEach { $0.deallocate() } }
        for s in 0..<sourceCount { Self.transpose(sources[s], rows: h, columns: w, into: transposedSources[s]) }
        fftAlongRows(lines: w, length: h, sources: transposedSources.map { UnsafePointer($0) }, outputs: transposedOutputs)
        for o in 0..<outputCount { Self.transpose(transposedOutputs[o], rows: w, columns: h, into: outputs[o]) }
    }

    /// `destination[j·rows + i] = source[i·columns + j]`.
    private static func transpose(_ source: UnsafePointer<Float>, rows: Int, columns: Int,
                                  into destination: UnsafeMutablePointer<Float>) {
        let block = 16
        for i0 in stride(from: 0, to: rows, by: block) {
            for j0 in stride(from: 0, to: columns, by: block) {
                for i in i0..<min(i0 + block, rows) {
                    for j in j0..<min(j0 + block, columns) { destination[j * rows + i] = source[i * columns + j] }
                }
            }
        }
    }
}
