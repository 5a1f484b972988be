import Foundation
import MSTensor

/// Named tensors from a JSON fixture written by `tools/make_fixtures.py`:
/// `{"meta": {...}, "tensors": {"name": {"shape": [...], "data": [...]}}}`.
public struct Fixture {
    public let meta: [String: Any]
    public let tensors: [String: Tensor]

    /// Loads `url`; fails the calling test with a clear message if the file is malformed.
    public init(contentsOf url: URL) throws {
        let data = try Data(contentsOf: url)
        guard let root = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              let entries = root["tensors"] as? [String: Any] else {
            throw FixtureError.malformed(url.path, "expected an object with a \"tensors\" member")
        }
        meta = root["meta"] as? [String: Any] ?? [:]
        var tensors: [String: Tensor] = [:]
        for (name, value) in entries {
            guard let entry = value as? [String: Any], let shape = entry["shape"] as? [Int],
                  let values = entry["data"] as? [Double] ?? (entry["data"] as? [Int]).map({ $0.map(Double.init) })
            else { throw FixtureError.malformed(url.path, "tensor \(name) needs shape and data") }
            guard shape.reduce(1, *) == values.count else {
                throw FixtureError.malformed(url.path, "tensor \(name): shape \(shape) but \(values.count) values")
            }
            tensors[name] = Tensor(shape: shape, scalars: values.map(Float.init))
        }
        self.tensors = tensors
    }

    /// The tensor called `name`, or a thrown error naming the fixture and the missing entry.
    public func tensor(_ name: String) throws -> Tensor {
        guard let t = tensors[name] else { throw FixtureError.missing(name) }
        return t
    }
}

public enum FixtureError: Error, CustomStringConvertible {
    case malformed(String, String)
    case missing(String)
    public var description: String {
        switch self {
        case .malformed(let path, let why): return "fixture \(path): \(why)"
        case .missing(let name): return "fixture has no tensor named \(name)"
        }
    }
}

/// Largest `|a − b| / max(|b|_∞, floor)` over two equally shaped tensors: the relative error
/// used by the fixture and reference comparisons (normalised by the reference's largest entry).
public func relativeError(_ a: Tensor, _ b: Tensor, floor: Float = 1e-6) -> Float {
    precondition(a.shape == b.shape, "relativeError: shapes \(a.shape) and \(b.shape) differ")
    let scale = max(b.scalars.reduce(0) { max($0, abs($1)) }, floor)
    return a.maxAbsDifference(b) / scale
}
