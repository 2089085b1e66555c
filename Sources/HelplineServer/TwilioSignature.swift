import Crypto
import Foundation

/// Twilio's request signature (`X-Twilio-Signature`), checked as HTTP.md specifies.
///
/// The signature is the base64 of HMAC-SHA1, keyed by the account's auth token, over the full
/// public URL (scheme, host, path and query) followed by each POST parameter's name and value,
/// with no separators. Parameters are taken in byte order of names, then of values, each distinct
/// pair once.
public enum TwilioSignature {
    /// The signature Twilio would send for this request.
    ///
    /// - Parameters:
    ///   - token: the auth token.
    ///   - url: the URL as Twilio requested it (the public one, not the one behind a proxy).
    ///   - parameters: the form's parameters, in any order, repeats included.
    public static func compute(token: String, url: String, parameters: [(String, String)]) -> String {
        var message = Data(url.utf8)
        for (name, value) in canonical(parameters) {
            message.append(contentsOf: name.utf8)
            message.append(contentsOf: value.utf8)
        }
        let mac = HMAC<Insecure.SHA1>.authenticationCode(for: message, using: SymmetricKey(data: Data(token.utf8)))
        return Data(mac).base64EncodedString()
    }

    /// Whether `signature` is valid for the request: for the URL as given, or written with or
    /// without its scheme's default port (Twilio has signed both forms). Compared in constant time.
    public static func isValid(_ signature: String, token: String, url: String, parameters: [(String, String)]) -> Bool {
        var valid = false
        for candidate in urlForms(url) {
            // Every form is computed and compared, so the time taken says nothing about which matched.
            valid = constantTimeEqual(compute(token: token, url: candidate, parameters: parameters), signature) || valid
        }
        return valid
    }

    /// The parameters in signing order: by name, then value, compared as UTF-8 bytes, each
    /// distinct pair once.
    static func canonical(_ parameters: [(String, String)]) -> [(String, String)] {
        let sorted = parameters.sorted { a, b in
            a.0 != b.0 ? a.0.utf8.lexicographicallyPrecedes(b.0.utf8) : a.1.utf8.lexicographicallyPrecedes(b.1.utf8)
        }
        var result: [(String, String)] = []
        for pair in sorted where result.last.map({ $0.0 != pair.0 || $0.1 != pair.1 }) ?? true {
            result.append(pair)
        }
        return result
    }

    /// The URL as given, plus the same URL with its default port written out (`:443`, `:80`) when
    /// it has none, or left out when it has it.
    static func urlForms(_ url: String) -> [String] {
        guard let schemeEnd = url.range(of: "://") else { return [url] }
        let scheme = url[..<schemeEnd.lowerBound].lowercased()
        let defaultPort = scheme == "https" ? "443" : scheme == "http" ? "80" : nil
        guard let defaultPort else { return [url] }
        let afterScheme = url[schemeEnd.upperBound...]
        let authorityEnd = afterScheme.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? afterScheme.endIndex
        let authority = afterScheme[..<authorityEnd]
        let rest = afterScheme[authorityEnd...]
        let prefix = url[..<schemeEnd.upperBound]
        // The host part ends at the last colon that follows any IPv6 bracket.
        let hostEnd = authority.lastIndex(of: "]") ?? authority.startIndex
        if let colon = authority[hostEnd...].lastIndex(of: ":") {
            let port = authority[authority.index(after: colon)...]
            guard port == defaultPort else { return [url] }
            return [url, String(prefix + authority[..<colon] + rest)]
        }
        return [url, String(prefix + authority) + ":" + defaultPort + String(rest)]
    }

    /// Compares two strings in time that depends on their lengths only.
    public static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        var difference = UInt8(x.count == y.count ? 0 : 1)
        for i in 0..<max(x.count, y.count) {
            difference |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0)
        }
        return difference == 0
    }
}
