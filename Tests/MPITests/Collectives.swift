import MSDistributed
import MSPlan
import MSTensor

/// Every rank checks the result of each collective against the value it computes alone;
/// a mismatch aborts the job with the failing check's name.
func checkCollectives(_ communicator: any Communicator) {
    let rank = communicator.rank, size = communicator.size
    func require(_ condition: Bool, _ what: @autoclosure () -> String) {
        if !condition { communicator.abort(message: "FAIL: \(what())", code: 1) }
    }

    // A float buffer of an odd length above 4 MiB (MPI segments large reductions): element i
    // of rank r is (r+1)·(i mod 97)/4, so the sum is (i mod 97)/4 · R(R+1)/2.
    let count = 1_048_583
    var values = (0..<count).map { Float((rank + 1) * ($0 % 97)) / 4 }
    values.withUnsafeMutableBufferPointer { communicator.allreduce($0, op: .sum) }
    let triangle = Float(size * (size + 1) / 2)
    for (i, value) in values.enumerated() {
        let expected = Float(i % 97) / 4 * triangle
        require(abs(value - expected) <= 1e-6 * max(1, abs(expected)), "float sum element \(i): \(value), expected \(expected)")
    }
    require(communicator.allreduce(Float(rank), op: .max) == Float(size - 1), "float max")
    require(communicator.allreduce(Float(rank), op: .min) == 0, "float min")

    let harmonic = (1...size).reduce(0.0) { $0 + 1 / Double($1) }
    require(abs(communicator.allreduce(1 / Double(rank + 1), op: .sum) - harmonic) <= 1e-12, "double sum")

    // Per-rank hashes: sums wrap modulo 2^64 like MPI's unsigned sum; equal hashes give equal max and min.
    func hash(_ r: Int) -> UInt64 { UInt64(r + 1) &* 0x9E37_79B9_7F4A_7C15 }
    let hashes = (0..<size).map(hash)
    require(communicator.allreduce(hash(rank), op: .sum) == hashes.reduce(0, &+), "uint64 sum")
    require(communicator.allreduce(hash(rank), op: .bitwiseXor) == hashes.reduce(0, ^), "uint64 bitwise xor")
    let common = hash(size)
    require(communicator.allreduce(common, op: .max) == communicator.allreduce(common, op: .min), "uint64 max == min")

    // Broadcast from the last rank, which alone holds the pattern.
    let root = size - 1
    var received = (0..<1000).map { rank == root ? Double($0) * 0.5 : 0 }
    received.withUnsafeMutableBufferPointer { communicator.broadcast($0, root: root) }
    require(received == (0..<1000).map { Double($0) * 0.5 }, "double broadcast from rank \(root)")
    var seed: UInt64 = rank == 0 ? 0xC0FFEE : 0
    withUnsafeMutablePointer(to: &seed) { communicator.broadcast(UnsafeMutableBufferPointer(start: $0, count: 1), root: 0) }
    require(seed == 0xC0FFEE, "uint64 broadcast from rank 0")
    communicator.barrier()

    checkLevelPlan(communicator)
}

/// Every rank computes the same plan for the MGE default batches, and the ranks' shards
/// together cover each sample exactly once: each rank adds 1 at the samples it owns and the
/// sum is 1 everywhere.
private func checkLevelPlan(_ communicator: any Communicator) {
    let batches = [16, 64, 256, 1024]
    let plan = LevelPlan(.multilevel(batches: batches), rankCount: communicator.size)
    var hash = FNV1a()
    hash.combine(bytes: plan.description.utf8)
    let fingerprint = hash.value
    if communicator.allreduce(fingerprint, op: .max) != communicator.allreduce(fingerprint, op: .min) {
        communicator.abort(message: "FAIL: ranks computed different level plans", code: 1)
    }
    let offsets = batches.indices.map { batches[..<$0].reduce(0, +) }
    var owners = [Float](repeating: 0, count: batches.reduce(0, +))
    for shard in plan.shards(forRank: communicator.rank) {
        for sample in shard.samples { owners[offsets[shard.term] + sample] += 1 }
    }
    owners.withUnsafeMutableBufferPointer { communicator.allreduce($0, op: .sum) }
    if let missed = owners.firstIndex(where: { $0 != 1 }) {
        communicator.abort(message: "FAIL: level plan covers sample \(missed) \(owners[missed]) times", code: 1)
    }
    if communicator.isRoot { print(plan) }
}
