/// A value decoded from a Python pickle. Objects are never constructed: a call (`REDUCE`,
/// `NEWOBJ`) is kept as the callable's name, its arguments and any `BUILD` state, so reading
/// an untrusted pickle runs no code.
indirect enum PickleValue {
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    /// Python 3 `str`.
    case string(String)
    /// Python 2 `str`, Python 3 `bytes`/`bytearray`.
    case bytes([UInt8])
    case tuple([PickleValue])
    case list(PickleList)
    case dict(PickleDict)
    /// A class or function named by module and name (`GLOBAL`).
    case global(module: String, name: String)
    /// `callable(*arguments)`, then `BUILD` with `state` if any.
    case object(PickleObject)

    /// The value of `key` in a dict, matching a `str` or `bytes` key of that text.
    subscript(key: String) -> PickleValue? {
        guard case .dict(let dict) = self else { return nil }
        return dict.entries.first { entry in
            switch entry.key {
            case .string(let s): return s == key
            case .bytes(let b): return b == Array(key.utf8)
            default: return false
            }
        }?.value
    }
}

/// A list, shared by reference as in Python (`APPEND` after `BINPUT` must reach the memo).
final class PickleList {
    var items: [PickleValue] = []
}

/// A dict in insertion order.
final class PickleDict {
    var entries: [(key: PickleValue, value: PickleValue)] = []
}

/// An object that was not constructed.
final class PickleObject {
    let callable: PickleValue
    let arguments: [PickleValue]
    var state: PickleValue?
    init(callable: PickleValue, arguments: [PickleValue]) {
        self.callable = callable
        self.arguments = arguments
    }
}

/// A minimal unpickler for protocols 2 to 5 with the opcodes that dicts, lists, tuples,
/// numbers, strings, bytes and NumPy arrays use (as in CIFAR-10's python batches).
enum Pickle {
    /// Decodes `bytes`; `path` is only used in error messages.
    static func load(_ bytes: [UInt8], path: String) throws -> PickleValue {
        var reader = Reader(bytes: bytes, path: path)
        return try reader.run()
    }

    private struct Reader {
        let bytes: [UInt8]
        let path: String
        var offset = 0
        var stack: [PickleValue] = []
        var marks: [Int] = []
        var memo: [Int: PickleValue] = [:]

        init(bytes: [UInt8], path: String) {
            self.bytes = bytes
            self.path = path
        }

        mutating func run() throws -> PickleValue {
            while true {
                let opcode = try take(1)[0]
                switch opcode {
                case 0x80: _ = try take(1)                                   // PROTO
                case 0x95: _ = try take(8)                                   // FRAME
                case UInt8(ascii: "."): return try pop()                     // STOP
                case UInt8(ascii: "("): marks.append(stack.count)            // MARK
                case UInt8(ascii: "0"): _ = try pop()                        // POP
                case UInt8(ascii: "1"): _ = try popMark()                    // POP_MARK
                case UInt8(ascii: "N"): stack.append(.none)
                case 0x88: stack.append(.bool(true))
                case 0x89: stack.append(.bool(false))
                case UInt8(ascii: "K"): stack.append(.int(Int(try unsigned(1))))
                case UInt8(ascii: "M"): stack.append(.int(Int(try unsigned(2))))
                case UInt8(ascii: "J"): stack.append(.int(Int(Int32(truncatingIfNeeded: try unsigned(4)))))
                case 0x8A:                                                   // LONG1
                    let digits = try take(Int(try unsigned(1)))
                    guard digits.count <= 8 else { throw malformed("integer of \(digits.count) bytes") }
                    var value: Int64 = 0
                    for (i, byte) in digits.enumerated() { value |= Int64(byte) << (8 * i) }
                    if let last = digits.last, last & 0x80 != 0, digits.count < 8 { value -= Int64(1) << (8 * digits.count) }
                    stack.append(.int(Int(value)))
                case UInt8(ascii: "G"):                                      // BINFLOAT, big-endian
                    stack.append(.float(Double(bitPattern: try take(8).reduce(0) { $0 << 8 | UInt64($1) })))
                case UInt8(ascii: "U"), UInt8(ascii: "C"): stack.append(.bytes(try take(Int(try unsigned(1)))))
                case UInt8(ascii: "T"), UInt8(ascii: "B"): stack.append(.bytes(try take(Int(try unsigned(4)))))
                case 0x8E, 0x96: stack.append(.bytes(try take(Int(try unsigned(8)))))
                case 0x8C: stack.append(.string(String(decoding: try take(Int(try unsigned(1))), as: UTF8.self)))
                case UInt8(ascii: "X"): stack.append(.string(String(decoding: try take(Int(try unsigned(4))), as: UTF8.self)))
                case 0x8D: stack.append(.string(String(decoding: try take(Int(try unsigned(8))), as: UTF8.self)))
                case UInt8(ascii: "}"): stack.append(.dict(PickleDict()))
                case UInt8(ascii: "]"): stack.append(.list(PickleList()))
                case UInt8(ascii: ")"): stack.append(.tuple([]))
                case UInt8(ascii: "t"):
                    let items = try popMark()
                    stack.append(.tuple(items))
                case 0x85, 0x86, 0x87:                                       // TUPLE1, TUPLE2, TUPLE3
                    let items = try (0..<Int(opcode - 0x84)).map { _ in try pop() }
                    stack.append(.tuple(items.reversed()))
                // Operands are popped into locals first: a call `f(try pop())` would read `self`
                // (the stack) before the pop.
                case UInt8(ascii: "a"):
                    let item = try pop()
                    try append([item])
                case UInt8(ascii: "e"):
                    let items = try popMark()
                    try append(items)
                case UInt8(ascii: "s"):
                    let value = try pop(), key = try pop()
                    try setItems([key, value])
                case UInt8(ascii: "u"):
                    let items = try popMark()
                    try setItems(items)
                case UInt8(ascii: "q"): memo[Int(try unsigned(1))] = try top()
                case UInt8(ascii: "r"): memo[Int(try unsigned(4))] = try top()
                case 0x94: memo[memo.count] = try top()                      // MEMOIZE
                case UInt8(ascii: "h"): stack.append(try recall(Int(try unsigned(1))))
                case UInt8(ascii: "j"): stack.append(try recall(Int(try unsigned(4))))
                case UInt8(ascii: "c"):                                      // GLOBAL "module\nname\n"
                    stack.append(.global(module: try line(), name: try line()))
                case 0x93:                                                   // STACK_GLOBAL
                    guard case .string(let name) = try pop(), case .string(let module) = try pop() else { throw malformed("STACK_GLOBAL without names") }
                    stack.append(.global(module: module, name: name))
                case UInt8(ascii: "R"), 0x81:                                // REDUCE, NEWOBJ
                    guard case .tuple(let arguments) = try pop() else { throw malformed("a call without an argument tuple") }
                    let callable = try pop()
                    stack.append(call(callable, arguments))
                case UInt8(ascii: "b"):                                      // BUILD
                    let state = try pop()
                    guard case .object(let object) = try top() else { throw malformed("BUILD on something that is not an object") }
                    object.state = state
                default:
                    throw DataError.unsupportedSource(path: path, reason: "pickle opcode 0x\(String(opcode, radix: 16)) at byte \(offset - 1) is not supported")
                }
            }
        }

        /// `_codecs.encode(text, 'latin1')` is how Python 3 pickles `bytes` at protocol 2; it
        /// is decoded to bytes. Every other call stays an unconstructed object.
        private func call(_ callable: PickleValue, _ arguments: [PickleValue]) -> PickleValue {
            if case .global("_codecs", "encode") = callable, case .string(let text)? = arguments.first {
                return .bytes(text.unicodeScalars.map { UInt8(truncatingIfNeeded: $0.value) })
            }
            return .object(PickleObject(callable: callable, arguments: arguments))
        }

        private mutating func take(_ count: Int) throws -> [UInt8] {
            guard count >= 0, offset + count <= bytes.count else { throw malformed("the pickle ends early") }
            defer { offset += count }
            return Array(bytes[offset ..< offset + count])
        }

        private mutating func unsigned(_ width: Int) throws -> UInt64 {
            try take(width).reversed().reduce(0) { $0 << 8 | UInt64($1) }
        }

        private mutating func line() throws -> String {
            guard let end = bytes[offset...].firstIndex(of: 0x0A) else { throw malformed("a GLOBAL name without newline") }
            defer { offset = end + 1 }
            return String(decoding: bytes[offset ..< end], as: UTF8.self)
        }

        private mutating func pop() throws -> PickleValue {
            guard let value = stack.popLast() else { throw malformed("the pickle stack underflows") }
            return value
        }

        private func top() throws -> PickleValue {
            guard let value = stack.last else { throw malformed("the pickle stack is empty") }
            return value
        }

        private mutating func popMark() throws -> [PickleValue] {
            guard let mark = marks.popLast(), mark <= stack.count else { throw malformed("no MARK to pop to") }
            defer { stack.removeLast(stack.count - mark) }
            return Array(stack[mark...])
        }

        private func recall(_ index: Int) throws -> PickleValue {
            guard let value = memo[index] else { throw malformed("memo entry \(index) is missing") }
            return value
        }

        private func append(_ items: [PickleValue]) throws {
            guard case .list(let list) = try top() else { throw malformed("APPEND to something that is not a list") }
            list.items += items
        }

        private func setItems(_ flat: [PickleValue]) throws {
            guard case .dict(let dict) = try top(), flat.count % 2 == 0 else { throw malformed("SETITEM on something that is not a dict") }
            for i in stride(from: 0, to: flat.count, by: 2) { dict.entries.append((flat[i], flat[i + 1])) }
        }

        private func malformed(_ reason: String) -> DataError {
            DataError.malformedSource(path: path, reason: "\(reason) (pickle byte \(offset))")
        }
    }
}
