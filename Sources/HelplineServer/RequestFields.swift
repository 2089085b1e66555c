import Foundation

/// A request body's fields: a form (`application/x-www-form-urlencoded`) or a JSON object, with
/// the same names either way.
struct RequestFields: Sendable {
    /// Every pair in the order given, repeats included (Twilio signs them all).
    var pairs: [(String, String)]

    /// The first value of `name`, if any.
    subscript(name: String) -> String? { pairs.first { $0.0 == name }?.1 }

    /// Why a body could not be read.
    struct Unreadable: Error { var reason: String }

    /// Parses a body by its content type. An empty body is no fields.
    static func parse(_ body: [UInt8], contentType: String?) throws -> RequestFields {
        if body.isEmpty { return RequestFields(pairs: []) }
        let type = (contentType ?? "").split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        switch type {
        case "application/json": return try json(body)
        case "application/x-www-form-urlencoded", "": return try form(body)
        default: throw Unreadable(reason: "the body is \(type); send application/json or application/x-www-form-urlencoded")
        }
    }

    static func form(_ body: [UInt8]) throws -> RequestFields {
        var pairs: [(String, String)] = []
        for part in body.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let kv = part.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            let name = try decode(kv[0])
            let value = kv.count > 1 ? try decode(kv[1]) : ""
            pairs.append((name, value))
        }
        return RequestFields(pairs: pairs)
    }

    /// Percent-decoding with `+` for space, as forms encode; the result must be UTF-8.
    static func decode(_ bytes: ArraySlice<UInt8>) throws -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let b = bytes[i]
            if b == UInt8(ascii: "+") {
                out.append(0x20)
            } else if b == UInt8(ascii: "%") {
                guard i + 2 < bytes.endIndex, let hi = hex(bytes[i + 1]), let lo = hex(bytes[i + 2]) else {
                    throw Unreadable(reason: "the form has a malformed percent escape")
                }
                out.append(hi << 4 | lo)
                i += 2
            } else {
                out.append(b)
            }
            i += 1
        }
        guard let text = String(validating: out, as: UTF8.self) else { throw Unreadable(reason: "the form is not UTF-8") }
        return text
    }

    private static func hex(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    static func json(_ body: [UInt8]) throws -> RequestFields {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
            throw Unreadable(reason: "the body is not a JSON object")
        }
        var pairs: [(String, String)] = []
        for (name, value) in object.sorted(by: { $0.key < $1.key }) {
            switch value {
            case let s as String: pairs.append((name, s))
            case let n as NSNumber:
                // `"attempt": 2` and `"attempt": "2"` are the same field.
                pairs.append((name, n.stringValue))
            case is NSNull: continue
            default: throw Unreadable(reason: "field \(name) must be a string or a number")
            }
        }
        return RequestFields(pairs: pairs)
    }
}
