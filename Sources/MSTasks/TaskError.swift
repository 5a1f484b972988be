/// Bad task configuration (from the command line or a config file).
public enum TaskError: Error, Equatable, CustomStringConvertible {
    /// A task name that is not one of `TaskKind.allCases`.
    case unknownKind(String)
    /// An option outside its valid range: option name, the value given, what it must satisfy.
    case invalidOption(name: String, value: String, requirement: String)

    public var description: String {
        switch self {
        case .unknownKind(let text):
            let choices = TaskKind.allCases.map(\.rawValue).joined(separator: ", ")
            return "unknown task '\(text)'; choose one of: \(choices)."
        case .invalidOption(let name, let value, let requirement):
            return "task option \(name) = \(value) is invalid: it must be \(requirement)."
        }
    }
}
