/// Text made safe for HTML and XML (reports, the widget, TwiML): one escaper for all of them.
public enum MarkupText {
    /// `text` escaped for an element's content or a quoted attribute's value. Characters XML 1.0
    /// can't carry at all (control characters other than tab and newlines, U+FFFE, U+FFFF) are
    /// left out rather than making the document invalid.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default:
                let v = scalar.value
                if v == 0x9 || v == 0xA || v == 0xD || (v >= 0x20 && v != 0xFFFE && v != 0xFFFF) {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }
}
