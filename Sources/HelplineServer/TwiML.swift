import HelplineRouting

/// TwiML, Twilio's XML for call control: each answer is one `<Response>` document, and every
/// value placed in it is escaped.
public enum TwiML {
    /// The XML text of `text` for an element's content or an attribute's value.
    public static func escape(_ text: String) -> String { MarkupText.escape(text) }

    /// A complete TwiML document of these verbs.
    public static func response(_ verbs: [String]) -> String {
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response>" + verbs.joined() + "</Response>"
    }

    /// `<Say>` with `text`.
    public static func say(_ text: String) -> String { "<Say>\(escape(text))</Say>" }

    /// Ends the call.
    public static let hangup = "<Hangup/>"

    /// `<Pause>` for `seconds`.
    public static func pause(_ seconds: Int) -> String { "<Pause length=\"\(seconds)\"/>" }

    /// Asks Twilio to fetch its next instructions from `url` (a POST, signed like the first).
    public static func redirect(_ url: String) -> String { "<Redirect method=\"POST\">\(escape(url))</Redirect>" }

    /// `<Dial>` to one destination: a `<Sip>` noun for a SIP URI, a `<Number>` otherwise.
    ///
    /// - Parameters:
    ///   - destination: E.164 number or SIP URI.
    ///   - action: the URL Twilio posts the dial's outcome to.
    ///   - timeout: seconds to ring.
    ///   - statusCallback: the URL Twilio posts to when the provider answers.
    public static func dial(destination: String, action: String, timeout: Int, statusCallback: String) -> String {
        let noun = destination.lowercased().hasPrefix("sip") ? "Sip" : "Number"
        return "<Dial action=\"\(escape(action))\" method=\"POST\" timeout=\"\(timeout)\" answerOnBridge=\"true\">"
            + "<\(noun) statusCallback=\"\(escape(statusCallback))\" statusCallbackEvent=\"answered\" statusCallbackMethod=\"POST\">"
            + escape(destination) + "</\(noun)></Dial>"
    }
}
