import Foundation

extension DailyReport {
    /// One self-contained HTML page: inline CSS and SVG charts, no script, nothing fetched.
    public func html() -> String {
        let title = "Helpline daily report \(date)"
        var body = """
            <h1>\(HTML.escape(title))</h1>
            <p class="sub">Day \(date) in \(HTML.escape(timeZone.identifier)). Caller numbers never appear in this report.</p>
            <div class="cards">
            \(HTML.card("Calls", "\(calls)", "\(direct) direct · \(pool) pool · \(unroutable) unroutable"))
            \(HTML.card("Response rate", Format.percent(responseRate), "answered or returned ÷ routable calls"))
            \(HTML.card("Median response", Format.seconds(medianResponseSeconds), "p90 \(Format.seconds(p90ResponseSeconds))"))
            \(HTML.card("Answered", "\(answered)", "\(answeredAfterFailover) after failover · \(sticky) repeat callers"))
            \(HTML.card("Callbacks for calls", "\(callbacksQueued)", "\(callbacksReturned) returned · \(callbacksPending) pending · \(unreturnable) unreturnable"))
            \(HTML.card("Web-form requests", "\(webFormRequests)", "\(webFormReturned) returned · \(webFormPending) pending · not calls"))
            \(HTML.card("Consent coverage", Format.percent(consentCoverage), "listing reroutes: \(listingReroutes)\(listingReroutes == 0 ? " ✓" : " ✗ must be 0")"))
            </div>
            <h2>Calls per hour</h2>
            \(hoursChart())
            <h2>Offered versus expected, per provider</h2>
            <p class="sub">Expected is each provider's entitlement: the sum of its recorded shares over the day's pool decisions
            (repeat callers excluded). First offers should track it; neutral routing means no provider pays to get more.</p>
            \(providerChart())
            <h2>Providers</h2>
            <div class="scroll"><table>
            <tr><th>ID</th><th>Provider</th><th>Status</th><th>Offered</th><th>First offers</th><th>Expected</th><th>Answered</th>
            <th>No answer</th><th>Answer rate</th><th>Median to answer</th><th>Daily cap (own zone)</th></tr>

            """
        for p in providers {
            body += "<tr><td>\(p.id)</td><td>\(HTML.escape(p.name))</td><td>\(HTML.escape(p.status))</td><td>\(p.offered)</td>"
            body += "<td>\(p.firstOffers)</td><td>\(String(format: "%.1f", p.expectedOffered))</td><td>\(p.answered)</td><td>\(p.noAnswer)</td>"
            body += "<td>\(Format.percent(p.answerRate))</td><td>\(Format.seconds(p.medianSecondsToAnswer))</td>"
            body += "<td>\(p.dailyCapText ?? "–")</td></tr>\n"
        }
        body += "</table></div>\n<p class=\"sub\">Daily cap: offers in the provider's own zone. Listing calls count toward it but "
        body += "always reach their provider, so usage can pass the cap; pool calls stop at it.</p>\n"
        body += "<p class=\"sub\">Consent ledger head: <code>\(HTML.escape(ledgerHead?.description ?? "(empty)"))</code>. "
        body += "Keep it outside the database; <code>helpline consent verify --anchor</code> proves the chain still extends it.</p>\n"
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(HTML.escape(title))</title>
            <style>
            body{font-family:-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:#1d2733;margin:24px auto;max-width:980px;padding:0 16px}
            h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px}.sub{color:#5b6776;font-size:13px;margin:4px 0 12px}
            .cards{display:flex;flex-wrap:wrap;gap:12px;margin-top:16px}
            .card{border:1px solid #d7dde4;border-radius:8px;padding:10px 14px;min-width:140px;flex:1}
            .card .k{font-size:12px;color:#5b6776;text-transform:uppercase;letter-spacing:.04em}.card .v{font-size:26px;font-weight:600}
            .card .n{font-size:12px;color:#5b6776}
            table{border-collapse:collapse;width:100%;font-size:13px}th,td{border-bottom:1px solid #e3e7ec;padding:6px 8px;text-align:right}
            th:nth-child(2),td:nth-child(2),th:nth-child(3),td:nth-child(3){text-align:left}th{background:#f4f6f8}
            svg text{font-family:inherit;font-size:11px;fill:#3b4652}
            .chart{display:block;width:100%;height:auto}.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}
            .scroll table{min-width:640px}code{overflow-wrap:anywhere}
            .legend{font-size:12px;color:#5b6776;display:flex;flex-wrap:wrap;gap:4px 14px;align-items:center;margin:0 0 6px}
            .sw{display:inline-block;width:12px;height:10px;margin-right:5px;vertical-align:middle}
            @media (max-width:640px){svg text{font-size:22px}}
            </style></head><body>
            \(body)</body></html>

            """
    }

    private func hoursChart() -> String {
        let width = 940.0, height = 200.0, left = 36.0, bottom = 24.0
        // A round axis: the peak rounded up to a multiple of a 1-2-5 step, in four ticks.
        let raw = Double(max(hours.max() ?? 0, 1)) / 4
        let magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2.0, 5.0, 10.0].map { $0 * magnitude }.first { $0 >= raw } ?? raw
        let peak = max(step * 4, 1)
        let slot = (width - left) / 24
        var svg =
            "<svg class=\"chart\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"Calls per hour\">\n"
        for tick in 0...4 {
            let y = (height - bottom) - (height - bottom - 10) * Double(tick) / 4
            let value = peak * Double(tick) / 4
            svg += "<line x1=\"\(left)\" x2=\"\(width)\" y1=\"\(y)\" y2=\"\(y)\" stroke=\"#e3e7ec\"/>"
            svg +=
                "<text x=\"\(left - 6)\" y=\"\(y + 4)\" text-anchor=\"end\">\(String(format: value < 10 && value != value.rounded() ? "%.1f" : "%.0f", value))</text>\n"
        }
        for (hour, n) in hours.enumerated() {
            let h = (height - bottom - 10) * Double(n) / peak
            let x = left + Double(hour) * slot + 3
            svg +=
                "<rect x=\"\(x)\" y=\"\((height - bottom) - h)\" width=\"\(slot - 6)\" height=\"\(h)\" fill=\"#3b7dd8\"><title>\(String(format: "%02d:00", hour)): \(n) calls</title></rect>"
            svg += "<text x=\"\(x + (slot - 6) / 2)\" y=\"\(height - 8)\" text-anchor=\"middle\">\(String(format: "%02d", hour))</text>\n"
        }
        return svg + "</svg>"
    }

    private func providerChart() -> String {
        let rows = providers.filter { $0.offered > 0 || $0.expectedOffered > 0 || $0.firstOffers > 0 }
        // Each row: the name and figures on one line, the bars under it, so nothing needs a
        // left margin that a phone can't give; the legend is HTML, so it wraps.
        let width = 940.0, rowHeight = 60.0
        let height = max(rowHeight * Double(rows.count) + 8, 40)
        let peak = max(rows.map { max(Double($0.offered), $0.expectedOffered) }.max() ?? 1, 1)
        let scale = (width - 8) / peak
        var out = """
            <p class="legend"><span class="sw" style="background:#3b7dd8"></span>offered (all attempts)
            <span class="sw" style="background:#9bb9e6"></span>first offers
            <span class="sw" style="background:#d9480f;height:3px"></span>expected (entitlement)</p>

            """
        out += "<svg class=\"chart\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"Offered versus expected\">\n"
        for (i, p) in rows.enumerated() {
            let y = 4 + Double(i) * rowHeight
            out += "<text x=\"0\" y=\"\(y + 18)\">\(HTML.escape(String(p.name.prefix(40))))</text>"
            out +=
                "<text x=\"\(width)\" y=\"\(y + 18)\" text-anchor=\"end\">\(p.offered) / \(p.firstOffers) / \(String(format: "%.1f", p.expectedOffered))</text>"
            out += "<rect x=\"0\" y=\"\(y + 26)\" width=\"\(Double(p.offered) * scale)\" height=\"12\" fill=\"#3b7dd8\"/>"
            out += "<rect x=\"0\" y=\"\(y + 40)\" width=\"\(Double(p.firstOffers) * scale)\" height=\"10\" fill=\"#9bb9e6\"/>"
            let ex = p.expectedOffered * scale
            out += "<line x1=\"\(ex)\" x2=\"\(ex)\" y1=\"\(y + 23)\" y2=\"\(y + 53)\" stroke=\"#d9480f\" stroke-width=\"3\"/>\n"
        }
        return out + "</svg>"
    }
}

enum HTML {
    static func escape(_ s: String) -> String { MarkupText.escape(s) }

    static func card(_ key: String, _ value: String, _ note: String) -> String {
        "<div class=\"card\"><div class=\"k\">\(escape(key))</div><div class=\"v\">\(escape(value))</div><div class=\"n\">\(escape(note))</div></div>"
    }
}
