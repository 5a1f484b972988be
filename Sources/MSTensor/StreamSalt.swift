/// The constants that keep the random streams of different purposes apart. A stream derived
/// from `CounterRandom.stream([salt, …])` (or with the salt after a sample's stream id) shares
/// no draws with a stream of another purpose, so the same seed can drive all of them. Every
/// such constant lives here; changing one changes the runs that use it.
public enum StreamSalt {
    /// Which training image a sample shows: `stream(sampleStream, imageChoice)`.
    public static let imageChoice: UInt64 = 0x1A6E
    /// Where a training patch lies in its image and how it is turned:
    /// `stream(sampleStream, patchPlacement)` (ASCII "patch").
    public static let patchPlacement: UInt64 = 0x7061_7463_68
    /// Validation image `i`'s degradation: `stream(validation, i)`.
    public static let validation: UInt64 = 0x7A11D
    /// Dead-leaves image `i` of a split: `stream(deadLeaves, split, i)`.
    public static let deadLeaves: UInt64 = 0xDEAD_1EAF
    /// The mesh-convergence experiment's smooth field (ASCII "field").
    public static let meshConvergenceField: UInt64 = 0x6669_656C_64
    /// The mesh-convergence experiment's noise draw (ASCII "noise").
    public static let meshConvergenceNoise: UInt64 = 0x6E6F_6973_65
    /// Weights drawn for the mesh-convergence experiment's zero-initialised layers (ASCII "zero").
    public static let meshConvergenceWeights: UInt64 = 0x7A65_726F
}
