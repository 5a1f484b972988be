extension ImageArray.Values {
    /// Number of elements.
    public var count: Int {
        switch self {
        case .uint8(let v): return v.count
        case .uint16(let v): return v.count
        case .float32(let v): return v.count
        }
    }

    /// `unit` (values on [0, 1]) stored as `storage`: integers become
    /// `round(maximum·clamp(v, 0, 1))`, floats are kept.
    public static func quantized(_ unit: [Float], as storage: SampleStorage) -> ImageArray.Values {
        switch storage {
        case .uint8: return .uint8(unit.map { UInt8(quantize($0, maximum: 255)) })
        case .uint16: return .uint16(unit.map { UInt16(quantize($0, maximum: 65535)) })
        case .float32: return .float32(unit)
        }
    }

    /// `round(maximum·clamp(value, 0, 1))`.
    static func quantize(_ value: Float, maximum: Float) -> Float {
        (min(max(value, 0), 1) * maximum).rounded()
    }
}

extension ImageArray {
    /// The values mapped onto [0, 1]: `v·storage.unitScale`.
    public var unitValues: [Float] {
        let unit = storage.unitScale
        switch values {
        case .uint8(let v): return v.map { Float($0) * unit }
        case .uint16(let v): return v.map { Float($0) * unit }
        case .float32(let v): return v
        }
    }

    /// The images stored as `target`: uint8 → uint16 multiplies by 257 (exactly `v/255` on
    /// [0, 1]); every other change goes through `unitValues` and `Values.quantized`. Returns
    /// `self` when the storage already matches.
    public func converted(toStorage target: SampleStorage) -> ImageArray {
        if target == storage { return self }
        let converted: Values
        if case .uint8(let v) = values, target == .uint16 {
            converted = .uint16(v.map { UInt16($0) * 257 })
        } else {
            converted = .quantized(unitValues, as: target)
        }
        return ImageArray(count: count, channels: channels, height: height, width: width, values: converted)
    }
}
