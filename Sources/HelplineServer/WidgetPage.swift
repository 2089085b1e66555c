import HelplineRouting

/// The website's pieces as HTML: the embeddable widget and the callback form's answers.
///
/// Every page is self-contained (no external script, style, font or image) and works under
/// `WidgetPage.contentSecurityPolicy`; the form works without JavaScript.
public enum WidgetPage {
    /// The policy every HTML answer carries.
    public static let contentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'"

    static let style = """
        body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1a1a1a;background:#fff}
        .helpline{max-width:40rem;margin:0 auto;padding:1rem}
        h2{font-size:1.25rem;margin:1.25rem 0 .5rem}
        .call a{display:inline-block;font-size:1.75rem;font-weight:700;color:#0b4f9c;text-decoration:none;padding:.25rem 0}
        .call a:focus,.call a:hover{text-decoration:underline}
        .banner{margin:.25rem 0;color:#333}
        label{display:block;font-weight:600}
        .hint{margin:.125rem 0 .375rem;color:#444;font-size:.9rem}
        input[type=tel]{font:inherit;width:100%;max-width:16rem;padding:.5rem;border:2px solid #555;border-radius:4px;box-sizing:border-box}
        input:focus,button:focus,a:focus{outline:3px solid #f2a900;outline-offset:2px}
        button{font:inherit;margin-top:.75rem;padding:.5rem 1.25rem;border:0;border-radius:4px;background:#0b4f9c;color:#fff;cursor:pointer}
        .error{color:#a40000;font-weight:600;margin:.25rem 0}
        .hp{position:absolute;left:-10000px;top:auto;width:1px;height:1px;overflow:hidden}
        .where{font-size:.9rem;color:#333}
        """

    /// The widget: the call line, the banner, the callback form and "Where do calls go?".
    ///
    /// - Parameters:
    ///   - number: the general number to show.
    ///   - bannerLine: the banner's text, or nil when withheld.
    ///   - disclosure: the `helpline disclosure` paragraph.
    ///   - publicBase: the public base URL; the form posts to its `/v1/callbacks`.
    ///   - hasTerms: whether terms are published (the terms sentence links to them).
    public static func widget(number: PhoneNumber, bannerLine: String?, disclosure: String, publicBase: String, hasTerms: Bool) -> String {
        let banner = bannerLine.map { "<p class=\"banner\">\(TwiML.escape($0))</p>" } ?? ""
        return page(
            title: "Call for immediate help",
            body: """
                <section aria-labelledby="call-h"><h2 id="call-h">Call for immediate help</h2>\
                <p class="call"><a href="tel:\(number.e164)">\(TwiML.escape(number.formatted))</a></p>\(banner)</section>\
                \(form(publicBase: publicBase, value: "", error: nil))\
                \(whereCallsGo(disclosure: disclosure, publicBase: publicBase, hasTerms: hasTerms))
                """)
    }

    /// The callback form; with `error`, the message is tied to the phone field.
    static func form(publicBase: String, value: String, error: String?) -> String {
        let describedBy = error == nil ? "phone-hint" : "phone-error phone-hint"
        let errorLine = error.map { "<p id=\"phone-error\" class=\"error\">\(TwiML.escape($0))</p>" } ?? ""
        return """
            <section aria-labelledby="cb-h"><h2 id="cb-h">Request a callback</h2>\
            <form method="post" action="\(TwiML.escape(publicBase))/v1/callbacks">\
            <label for="phone">Your phone number</label>\(errorLine)\
            <p id="phone-hint" class="hint">Use This Format Only: (###) ###-####</p>\
            <input id="phone" name="phone" type="tel" inputmode="tel" autocomplete="tel-national" \
            pattern="\\(\\d{3}\\) \\d{3}-\\d{4}" required aria-describedby="\(describedBy)"\(error == nil ? "" : " aria-invalid=\"true\"") \
            value="\(TwiML.escape(value))">\
            <div class="hp" aria-hidden="true"><label for="website">This field is for validation purposes and should be left unchanged</label>\
            <input id="website" name="website" type="text" tabindex="-1" autocomplete="off" value=""></div>\
            <button type="submit">Call me back</button></form></section>
            """
    }

    static func whereCallsGo(disclosure: String, publicBase: String, hasTerms: Bool) -> String {
        let sentence = "By calling the helpline you agree to the terms of use."
        var text = disclosure
        if text.hasSuffix(sentence) { text = String(text.dropLast(sentence.count)).trimmingWhitespaceAtEnd() }
        if text.hasPrefix("Where do calls go? ") { text = String(text.dropFirst("Where do calls go? ".count)) }
        let terms =
            hasTerms
            ? "By calling the helpline you agree to the <a href=\"\(TwiML.escape(publicBase))/terms\">terms of use</a>."
            : TwiML.escape(sentence)
        return """
            <section class="where" aria-labelledby="where-h"><h2 id="where-h">Where do calls go?</h2>\
            <p>\(TwiML.escape(text))</p><p>\(terms)</p></section>
            """
    }

    /// The thank-you page: the same bytes for every request, bots included.
    public static let thankYou = page(
        title: "Thank you",
        body: "<h2>Thank you, a provider will call you back</h2><p>Keep your phone nearby. If you are in danger, call 911.</p>")

    /// The form again, with the error tied to the phone field.
    static func invalid(publicBase: String, value: String, error: String) -> String {
        page(title: "Please check your number", body: form(publicBase: publicBase, value: value, error: error))
    }

    /// A one-sentence page for 413, 429 and 503.
    static func sentence(_ text: String) -> String {
        page(title: "Request a callback", body: "<h2>Request a callback</h2><p>\(TwiML.escape(text))</p>")
    }

    static func page(title: String, body: String) -> String {
        """
        <!doctype html><html lang="en"><head><meta charset="utf-8">\
        <meta name="viewport" content="width=device-width, initial-scale=1"><title>\(TwiML.escape(title))</title>\
        <style>\(style)</style></head><body><main class="helpline">\(body)</main></body></html>
        """
    }
}

extension String {
    fileprivate func trimmingWhitespaceAtEnd() -> String {
        var s = Substring(self)
        while let last = s.last, last.isWhitespace { s = s.dropLast() }
        return String(s)
    }
}
