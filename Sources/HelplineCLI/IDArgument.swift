import Foundation
import HelplineRouting

/// Parses an id argument (`call`, `callback`, `provider`, `listing`, …): the one parser for
/// them all. Text that is not a positive whole number is reported the way an unknown id of that
/// kind is (exit 65), with the hint that lists them.
func parseID(_ text: String, kind: String) throws -> Int64 {
    guard let id = Int64(text.trimmingCharacters(in: .whitespaces)), id > 0 else {
        switch kind {
        case "call": throw StoreError.notFound(kind: "call", id: text)
        case "callback": throw StoreError.notFound(kind: "callback", id: text)
        default: throw StoreError.notFound(kind: kind, id: text)
        }
    }
    return id
}
