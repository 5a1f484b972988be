import MSDistributed

/// Groups and neighbour exchanges: the ranks split into groups of two (the last group smaller
/// when the count is odd), ordered by descending world rank; a sum over a group counts only its
/// members; a ring exchange along the world (each rank sends its rank to the next, nothing at
/// the ends) delivers the previous rank's values; and the same inside each group.
func checkGroups(_ communicator: any Communicator) {
    let rank = communicator.rank, size = communicator.size
    func require(_ condition: Bool, _ what: @autoclosure () -> String) {
        if !condition { communicator.abort(message: "FAIL: \(what())", code: 1) }
    }

    let group = communicator.split(color: rank / 2, key: -rank)
    let members = Array((rank / 2 * 2)..<min(size, rank / 2 * 2 + 2))
    require(group.size == members.count, "group size \(group.size), expected \(members.count)")
    require(group.rank == members.reversed().firstIndex(of: rank)!, "group rank \(group.rank) of world rank \(rank)")
    require(group.allreduce(Double(rank), op: .sum) == Double(members.reduce(0, +)), "sum over the group")

    func ringExchange(_ c: any Communicator, name: String) {
        let send = [Float](repeating: Float(c.rank), count: 5)
        var received = [Float](repeating: -1, count: 5)
        let next = c.rank + 1 < c.size ? c.rank + 1 : nil
        let previous = c.rank > 0 ? c.rank - 1 : nil
        send.withUnsafeBufferPointer { s in
            received.withUnsafeMutableBufferPointer { r in c.exchange(send: s, to: next, receive: r, from: previous, tag: 7) }
        }
        let expected = Float(previous ?? -1)
        require(received.allSatisfy { $0 == expected }, "\(name) exchange on rank \(c.rank): \(received), expected \(expected)")
    }
    ringExchange(communicator, name: "world")
    ringExchange(group, name: "group")
    group.barrier()
    group.finalize()
}
