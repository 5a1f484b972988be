import MSDistributed
import MSMultiscale
import MSNN

/// The one allreduce of a training step, over one contiguous Float buffer laid out
/// identically on every rank:
///
///     [ parameter gradients (P) | per term: fine loss sum, coarse loss sum, sample count (3·T)
///       | non-finite flag (1) | stop flag (1) ]
///
/// After the sum every rank holds the full multilevel gradient, the step's loss sums, the
/// number of ranks that saw a non-finite value and the number that were asked to stop.
final class StepReduction {
    private var buffer: [Float]
    let parameterCount: Int

    init(parameterCount: Int, maximumTerms: Int) {
        self.parameterCount = parameterCount
        buffer = [Float](repeating: 0, count: parameterCount + 3 * maximumTerms + 2)
    }

    /// Reduces this rank's `gradients` (replaced in place by the sum over ranks), term losses
    /// and stop request; returns the summed term losses, whether any rank saw a non-finite
    /// value and whether any rank was asked to stop.
    func reduce(gradients: UnsafeMutableBufferPointer<Float>, terms: [TermLoss], stopRequested: Bool,
                communicator: any Communicator) -> (terms: [TermLoss], nonFinite: Bool, stop: Bool) {
        precondition(gradients.count == parameterCount && 3 * terms.count + 2 <= buffer.count - parameterCount,
                     "StepReduction: \(gradients.count) gradients and \(terms.count) terms do not fit the buffer")
        let localNonFinite = !terms.allSatisfy { $0.fineLossSum.isFinite && $0.coarseLossSum.isFinite }
            || !gradients.allSatisfy { $0.isFinite }
        let tail = parameterCount
        let flagIndex = tail + 3 * terms.count
        let length = flagIndex + 2
        return buffer.withUnsafeMutableBufferPointer { b in
            _ = UnsafeMutableBufferPointer(rebasing: b[0..<parameterCount]).update(fromContentsOf: gradients)
            for (t, term) in terms.enumerated() {
                b[tail + 3 * t] = Float(term.fineLossSum)
                b[tail + 3 * t + 1] = Float(term.coarseLossSum)
                b[tail + 3 * t + 2] = Float(term.count)
            }
            b[flagIndex] = localNonFinite ? 1 : 0
            b[flagIndex + 1] = stopRequested ? 1 : 0
            communicator.allreduce(UnsafeMutableBufferPointer(rebasing: b[0..<length]), op: .sum)
            _ = gradients.update(fromContentsOf: UnsafeMutableBufferPointer(rebasing: b[0..<parameterCount]))
            let reduced = terms.enumerated().map { t, term in
                TermLoss(level: term.level, fineLossSum: Double(b[tail + 3 * t]), coarseLossSum: Double(b[tail + 3 * t + 1]),
                         count: Int(b[tail + 3 * t + 2].rounded()))
            }
            return (reduced, b[flagIndex] > 0, b[flagIndex + 1] > 0)
        }
    }
}
