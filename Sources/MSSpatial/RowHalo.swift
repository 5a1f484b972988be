import MSDistributed
import MSTensor

/// Extends each strip of a `RowPartition` by rows of the other strips, and the adjoint of that.
///
/// Strip `g` (rows `s_g ..< e_g`) gets the window of global rows `s_g − above[g] ..< e_g +
/// below[g]` of every `[H, W]` plane: its own rows, the rows of the strips above and below that
/// fall inside the window (received from the ranks that own them), and zeros for rows outside
/// the image. A window may reach past the adjacent strip (a mesh-free filter wider than a
/// strip, or strips of a few rows): it then borrows from every strip it overlaps. `extend` is a
/// linear map E from the strips to the windows; `foldBack` is its adjoint Eᵀ: the gradient of
/// every borrowed row goes back to the rank that owns the row and is added to its gradient
/// there, and the gradients of rows outside the image are dropped.
///
/// Communication: in round `k = 1 … hops`, every rank sends to the rank `k` below it the rows
/// of its strip that rank's upper halo covers and receives from the rank `k` above it, then the
/// same upwards for the lower halos (two `exchange` calls per round; zero-length parts are not
/// sent). `hops` is the farthest any window reaches, 1 when halos stay within the adjacent
/// strips.
public struct RowHalo: Hashable, Sendable {
    public let partition: RowPartition
    /// Rows each strip's window reaches above its first row, `[parts]`.
    public let above: [Int]
    /// Rows each strip's window reaches below its last row, `[parts]`.
    public let below: [Int]
    /// The largest distance, in strips, between a window and a strip it borrows from (0: none).
    public let hops: Int

    public init(partition: RowPartition, above: [Int], below: [Int]) {
        precondition(above.count == partition.parts && below.count == partition.parts && (above + below).allSatisfy { $0 >= 0 },
                     "RowHalo: \(above.count) and \(below.count) halo sizes for \(partition.parts) strips")
        self.partition = partition
        self.above = above
        self.below = below
        var hops = 0
        for receiver in 0..<partition.parts {
            for owner in 0..<partition.parts where owner != receiver && !Self.borrowed(partition, above, below, owner, receiver).isEmpty {
                hops = max(hops, abs(owner - receiver))
            }
        }
        self.hops = hops
    }

    /// Global rows of strip `owner` that the window of strip `receiver` holds (empty for the
    /// strip itself): the part of its upper halo (owner above) or lower halo (owner below).
    public func borrowed(from owner: Int, by receiver: Int) -> Range<Int> {
        Self.borrowed(partition, above, below, owner, receiver)
    }

    private static func borrowed(_ partition: RowPartition, _ above: [Int], _ below: [Int], _ owner: Int, _ receiver: Int) -> Range<Int> {
        let own = partition.rows(of: owner), window = partition.rows(of: receiver)
        let halo = owner < receiver ? (window.lowerBound - above[receiver])..<window.lowerBound
            : owner > receiver ? window.upperBound..<(window.upperBound + below[receiver]) : window.lowerBound..<window.lowerBound
        let (low, high) = (max(own.lowerBound, halo.lowerBound), min(own.upperBound, halo.upperBound))
        return low < high ? low..<high : low..<low
    }

    /// Rows of strip `part`'s window.
    public func windowHeight(_ part: Int) -> Int { above[part] + partition.rows(of: part).count + below[part] }

    /// `[N, C, h, W]` (this rank's strip; `group.rank` is its index) → `[N, C, above + h + below, W]`.
    public func extend(_ strip: Tensor, group: any Communicator) -> Tensor {
        let part = checkedPart(strip, group: group)
        var window = Tensor(shape: [strip.batch, strip.channels, windowHeight(part), strip.width])
        RowBlock.copy(strip, rows: 0..<strip.height, into: &window, at: above[part])
        let (ownFirst, windowFirst) = (partition.bounds[part], partition.bounds[part] - above[part])
        for (sendTo, receiveFrom, tag) in rounds(part) {
            // To `sendTo`: the rows of my strip its window holds; from `receiveFrom`: the rows of its strip mine holds.
            let send = sendTo.map { borrowed(from: part, by: $0) } ?? 0..<0
            let receive = receiveFrom.map { borrowed(from: $0, by: part) } ?? 0..<0
            let received = exchange(RowBlock.pack(strip, rows: send.shifted(by: -ownFirst)), to: send.isEmpty ? nil : sendTo,
                                    count: RowBlock.count(strip, rows: receive.count), from: receive.isEmpty ? nil : receiveFrom,
                                    tag: tag, group: group)
            RowBlock.unpack(received, into: &window, rows: receive.shifted(by: -windowFirst), adding: false)
        }
        return window
    }

    /// The adjoint of `extend`: `[N, C, above + h + below, W]` → `[N, C, h, W]`, the window's own
    /// rows plus the gradients that the other strips' windows hold for this strip's rows.
    public func foldBack(_ windowGradient: Tensor, group: any Communicator) -> Tensor {
        let part = group.rank
        let h = partition.rows(of: part).count
        precondition(windowGradient.height == windowHeight(part), "RowHalo.foldBack: window of \(windowGradient.height) rows, expected \(windowHeight(part))")
        var strip = Tensor(shape: [windowGradient.batch, windowGradient.channels, h, windowGradient.width])
        RowBlock.copy(windowGradient, rows: above[part]..<(above[part] + h), into: &strip, at: 0)
        let (ownFirst, windowFirst) = (partition.bounds[part], partition.bounds[part] - above[part])
        for (sendTo, receiveFrom, tag) in rounds(part) {
            // The reverse of extend's message: the gradient of the rows `receiveFrom` lent me goes
            // back to it, and `sendTo` returns the gradient of the rows I lent it.
            let returning = receiveFrom.map { borrowed(from: $0, by: part) } ?? 0..<0
            let returned = sendTo.map { borrowed(from: part, by: $0) } ?? 0..<0
            let received = exchange(RowBlock.pack(windowGradient, rows: returning.shifted(by: -windowFirst)),
                                    to: returning.isEmpty ? nil : receiveFrom, count: RowBlock.count(strip, rows: returned.count),
                                    from: returned.isEmpty ? nil : sendTo, tag: tag + 2, group: group)
            RowBlock.unpack(received, into: &strip, rows: returned.shifted(by: -ownFirst), adding: true)
        }
        return strip
    }

    /// The exchanges of `part` in order: for each round k, first down (send to part + k, receive
    /// from part − k; the upper halos), then up (send to part − k, receive from part + k; the lower
    /// halos). Partners outside the group are nil; every rank walks the same rounds.
    private func rounds(_ part: Int) -> [(sendTo: Int?, receiveFrom: Int?, tag: Int)] {
        guard hops > 0 else { return [] }
        let parts = partition.parts
        func rank(_ index: Int) -> Int? { (0..<parts).contains(index) ? index : nil }
        return (1...hops).flatMap { k in
            [(rank(part + k), rank(part - k), 11), (rank(part - k), rank(part + k), 12)]
        }
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

private extension Range where Bound == Int {
    /// The range moved by `offset` (global rows to a strip's or window's local rows); empty
    /// ranges become `0..<0`.
    func shifted(by offset: Int) -> Range<Int> { isEmpty ? 0..<0 : (lowerBound + offset)..<(upperBound + offset) }
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
