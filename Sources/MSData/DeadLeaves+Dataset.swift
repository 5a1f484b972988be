extension DeadLeaves {
    /// Writes a uint8 dataset of dead-leaves images to `path` (directly; wrap the call in
    /// `AtomicOutput.write` for an all-or-nothing file). Splits with count 0 are left out.
    /// - Parameter batchSize: images generated and written per step (bounds the memory).
    public func writeDataset(to path: String, counts: [Split: Int], batchSize: Int = 256) throws {
        let writer = try DatasetWriter(path: path, storage: .uint8, provenance: provenance, generatorSeed: seed)
        for split in Split.allCases {
            guard let count = counts[split], count > 0 else { continue }
            try writer.addSplit(split, count: count, channels: channels, height: size, width: size)
            for start in stride(from: 0, to: count, by: batchSize) {
                try writer.write(split, unitImages: images(split: split, indices: start ..< min(count, start + batchSize)), at: start)
            }
        }
        try writer.close()
    }
}
