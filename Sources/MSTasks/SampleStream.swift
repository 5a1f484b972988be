import MSTensor

/// The random stream of each sample's draws (image choice and degradation), derived from the
/// sample's indices alone so that any process can reproduce any sample (docs/method.md
/// section 8). The one place where these derivations live.
public enum SampleStream {
    /// Sample `sample` of the term at `level` in training step `step`: `stream(step, level, sample)`.
    public static func training(step: Int, level: Int, sample: Int) -> UInt64 {
        CounterRandom.stream([UInt64(step), UInt64(level), UInt64(sample)])
    }

    /// Validation image `index`, the same at every evaluation of a run: `stream(StreamSalt.validation, index)`.
    public static func validation(index: Int) -> UInt64 {
        CounterRandom.stream([StreamSalt.validation, UInt64(index)])
    }
}
