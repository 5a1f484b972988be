import MSDistributed
import MSTensor

/// Extends each strip of a `RowPartition` by rows of its neighbours, and the adjoint of that.
///
/// Strip `g` (rows `s_g ..< e_g`) gets the window of global rows `s_g − above[g] ..< e_g +
/// below[g]` of every `[H, W]` plane: its own rows, rows of the strips above and below
/// (received from those ranks), and zeros for rows outside the image. `extend` is a linear map
/// E from the strips to the windows; `foldBack` is its adjoint Eᵀ: the gradient of every
/// borrowed row goes back to the rank that owns the row and is added to its gradient there,
/// and the gradients of rows outside the image are dropped. Each is two neighbour exchanges
/// (down, then up); a rank borrows only from its adjacent strips.
public struct RowHalo: Hashable, Sendable {
    public let partition: RowPartition
    /// Rows each strip's window reaches above its first row, `[parts]`.
    public let above: [Int]
    /// Rows each strip's window reaches below its last row, `[parts]`.
    public let below: [Int]

    public init(partition: RowPartition, above: [Int], below: [Int]) {
        precondition(above.count == partition.parts && below.count == partition.parts && (above + below).allSatisfy { $0 >= 0 },
                     "RowHalo: \(above.count) and \(below.count) halo sizes for \(partition.parts) strips")
        self.partition = partition
        self.above = above
        self.below = below
        for part in 0..<partition.parts {
            precondition(part == 0 || borrowedFromAbove(part) <= partition.rows(of: part - 1).count,
                         "RowHalo: strip \(part) reaches \(above[part]) rows up, past the strip above it")
            precondition(part == partition.parts - 1 || borrowedFromBelow(part) <= partition.rows(of: part + 1).count,
                         "RowHalo: strip \(part) reaches \(below[part]) rows down, past the strip below it")
        }
    }

    /// Rows strip `part` receives from the strip above (those of its upper halo inside the image).
    public func borrowedFromAbove(_ part: Int) -> Int { part == 0 ? 0 : min(above[part], partition.bounds[part]) }

    /// Rows strip `part` receives from the strip below.
    public func borrowedFromBelow(_ part: Int) -> Int {
        part == partition.parts - 1 ? 0 : min(below[part], partition.height - partition.bounds[part + 1])
    }

    /// Rows of strip `part`'s window.
    public func windowHeight(_ part: Int) -> Int { above[part] + partition.rows(of: part).count + below[part] }

    /// `[N, C, h, W]` (this rank's strip; `group.rank` is its index) → `[N, C, above + h + below, W]`.
    public func extend(_ strip: Tensor, group: any Communicator) -> Tensor {
        let part = checkedPart(strip, group: group)
        let h = strip.height
        var window = Tensor(shape: [strip.batch, strip.channels, windowHeight(part), strip.width])
        RowBlock.copy(strip, rows: 0..<h, into: &window, at: above[part])
        let up = part > 0 ? part - 1 : nil, down = part + 1 < partition.parts ? part + 1 : nil
        // Down: my last rows become the next strip's upper halo.
        let sendDown = down.map { borrowedFromAbove($0) } ?? 0
        let fromUp = borrowedFromAbove(part)
        let received = exchange(RowBlock.pack(strip, rows: (h - sendDown)..<h), to: sendDown > 0 ? down : nil,
                                count: RowBlock.count(strip, rows: fromUp), from: fromUp > 0 ? up : nil, tag: 11, group: group)
        RowBlock.unpack(received, into: &window, rows: (above[part] - fromUp)..<above[part], adding: false)
        // Up: my first rows become the previous strip's lower halo.
        let sendUp = up.map { borrowedFromBelow($0) } ?? 0
        let fromDown = borrowedFromBelow(part)
        let receivedBelow = exchange(RowBlock.pack(strip, rows: 0..<sendUp), to: sendUp > 0 ? up : nil,
                                     count: RowBlock.count(strip, rows: fromDown), from: fromDown > 0 ? down : nil, tag: 12, group: group)
        RowBlock.unpack(receivedBelow, into: &window, rows: (above[part] + h)..<(above[part] + h + fromDown), adding: false)
        return window
    }

    /// The adjoint of `extend`: `[N, C, above + h + below, W]` → `[N, C, h, W]`, the window's own
    /// rows plus the gradients that the neighbours' windows hold for this strip's rows.
    public func foldBack(_ windowGradient: Tensor, group: any Communicator) -> Tensor {
        let part = group.rank
        let h = partition.rows(of: part).count
        precondition(windowGradient.height == windowHeight(part), "RowHalo.foldBack: window of \(windowGradient.height) rows, expected \(windowHeight(part))")
        var strip = Tensor(shape: [windowGradient.batch, windowGradient.channels, h, windowGradient.width])
        RowBlock.copy(windowGradient, rows: above[part]..<(above[part] + h), into: &strip, at: 0)
        let up = part > 0 ? part - 1 : nil, down = part + 1 < partition.parts ? part + 1 : nil
        // Up: my upper halo's gradient goes back to the strip above, whose last rows they are.
        let fromUp = borrowedFromAbove(part)
        let sendDownCount = down.map { borrowedFromAbove($0) } ?? 0
        let returned = exchange(RowBlock.pack(windowGradient, rows: (above[part] - fromUp)..<above[part]), to: fromUp > 0 ? up : nil,
                                count: RowBlock.count(strip, rows: sendDownCount), from: sendDownCount > 0 ? down : nil, tag: 13, group: group)
        RowBlock.unpack(returned, into: &strip, rows: (h - sendDownCount)..<h, adding: true)
        // Down: my lower halo's gradient goes back to the strip below, whose first rows they are.
        let fromDown = borrowedFromBelow(part)
        let sendUpCount = up.map { borrowedFromBelow($0) } ?? 0
        let returnedBelow = exchange(RowBlock.pack(windowGradient, rows: (above[part] + h)..<(above[part] + h + fromDown)),
                                     to: fromDown > 0 ? down : nil, count: RowBlock.count(strip, rows: sendUpCount),
                                     from: sendUpCount > 0 ? up : nil, tag: 14, group: group)
        RowBlock.unpack(returnedBelow, into: &strip, rows: 0..<sendUpCount, adding: true)
        return strip
    }

    private func checkedPart(_ strip: Tensor, group: any Communicator) -> Int {
        precondition(group.size == partition.parts, "RowHalo: a group of \(group.size) ranks for \(partition.parts) strips")
        let part = group.rank
        precondition(strip.height == partition.rows(of: part).count,
                     "RowHalo: strip \(part) has \(strip.height) rows, the partition gives it \(partition.rows(of: part).count)")
        return part
    }

    private func exchange(_ send: [Float], to destination: Int?, count: Int, from source: Int?, tag: Int,
                          group: any Communicator) -> [Float] {
        var received = [Float](repeating: 0, count: source == nil ? 0 : count)
        send.withUnsafeBufferPointer { s in
            received.withUnsafeMutableBufferPointer { r in
                group.exchange(send: destination == nil ? UnsafeBufferPointer(rebasing: s[0..<0]) : s, to: destination,
                               receive: r, from: source, tag: tag)
            }
        }
        return received
    }
}

/// Whole rows of every `[H, W]` plane of an `[N, C, H, W]` tensor, packed plane by plane.
enum RowBlock {
    /// Elements of `rows` rows of every plane of `tensor`.
    static func count(_ tensor: Tensor, rows: Int) -> Int { tensor.batch * tensor.channels * rows * tensor.width }

    /// Rows `rows` of every plane, `[N·C·|rows|·W]`.
    static func pack(_ tensor: Tensor, rows: Range<Int>) -> [Float] {
        let (planes, h, w) = (tensor.batch * tensor.channels, tensor.height, tensor.width)
        precondition(rows.lowerBound >= 0 && rows.upperBound <= h, "RowBlock.pack: rows \(rows) of a tensor of \(h) rows")
        var packed = [Float](repeating: 0, count: planes * rows.count * w)
        guard !rows.isEmpty else { return packed }
        tensor.withUnsafeBufferPointer { t in
            packed.withUnsafeMutableBufferPointer { p in
                for plane in 0..<planes {
                    let source = t.baseAddress! + (plane * h + rows.lowerBound) * w
                    (p.baseAddress! + plane * rows.count * w).update(from: source, count: rows.count * w)
                }
            }
        }
        return packed
    }

    /// Writes (or adds) `packed` (from `pack`) into rows `rows` of every plane of `tensor`.
    static func unpack(_ packed: [Float], into tensor: inout Tensor, rows: Range<Int>, adding: Bool) {
        let (planes, h, w) = (tensor.batch * tensor.channels, tensor.height, tensor.width)
        precondition(rows.lowerBound >= 0 && rows.upperBound <= h, "RowBlock.unpack: rows \(rows) of a tensor of \(h) rows")
        precondition(packed.count == planes * rows.count * w, "RowBlock.unpack: \(packed.count) values for \(rows.count) rows")
        guard !rows.isEmpty else { return }
        packed.withUnsafeBufferPointer { p in
            tensor.withUnsafeMutableBufferPointer { t in
                for plane in 0..<planes {
                    let target = t.baseAddress! + (plane * h + rows.lowerBound) * w
                    let source = p.baseAddress! + plane * rows.count * w
                    if adding {
                        for i in 0..<(rows.count * w) { target[i] += source[i] }
                    } else {
                        target.update(from: source, count: rows.count * w)
                    }
                }
            }
        }
    }

    /// Copies rows `rows` of every plane of `source` to rows `row ..< row + |rows|` of `target`
    /// (same N, C and W).
    static func copy(_ source: Tensor, rows: Range<Int>, into target: inout Tensor, at row: Int) {
        unpack(pack(source, rows: rows), into: &target, rows: row..<(row + rows.count), adding: false)
    }
}

extension Tensor {
    /// Rows `rows` of every `[H, W]` plane of this `[N, C, H, W]` tensor, `[N, C, |rows|, W]`.
    public func rows(_ rows: Range<Int>) -> Tensor {
        var result = Tensor(shape: [batch, channels, rows.count, width])
        RowBlock.copy(self, rows: rows, into: &result, at: 0)
        return result
    }

    /// `parts` (the same N, C and W) one under the other, `[N, C, ΣH, W]`.
    public static func concatenatingRows(_ parts: [Tensor]) -> Tensor {
        precondition(!parts.isEmpty, "Tensor.concatenatingRows: no parts")
        if parts.count == 1 { return parts[0] }
        var result = Tensor(shape: [parts[0].batch, parts[0].channels, parts.map(\.height).reduce(0, +), parts[0].width])
        var row = 0
        for part in parts {
            RowBlock.copy(part, rows: 0..<part.height, into: &result, at: row)
            row += part.height
        }
        return result
    }

    /// `[N, C, height, W]`, zero but for rows `row ..< row + H`, which hold this tensor.
    public func embedded(inHeight height: Int, at row: Int) -> Tensor {
        var result = Tensor(shape: [batch, channels, height, width])
        RowBlock.copy(self, rows: 0..<self.height, into: &result, at: row)
        return result
    }
}
