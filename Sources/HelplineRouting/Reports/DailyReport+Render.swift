import CSV
import Foundation

extension DailyReport: Encodable {
    enum CodingKeys: String, CodingKey {
        case date, timeZone = "time_zone", calls, direct, pool, unroutable, answered, answeredAfterFailover = "answered_after_failover"
        case sticky, callbacksQueued = "callbacks_queued", callbacksReturned = "callbacks_returned", callbacksPending = "callbacks_pending",
            unreturnable
        case webFormRequests = "web_form_requests", webFormReturned = "web_form_returned", webFormPending = "web_form_pending", responseRate =
            "response_rate", medianResponseSeconds = "median_response_seconds"
        case p90ResponseSeconds = "p90_response_seconds", consentCoverage = "consent_coverage", listingReroutes = "listing_reroutes"
        case providers, hours, definitions, ledgerHead = "ledger_head"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(date.description, forKey: .date)
        try c.encode(timeZone.identifier, forKey: .timeZone)
        try c.encode(calls, forKey: .calls)
        try c.encode(direct, forKey: .direct)
        try c.encode(pool, forKey: .pool)
        try c.encode(unroutable, forKey: .unroutable)
        try c.encode(answered, forKey: .answered)
        try c.encode(answeredAfterFailover, forKey: .answeredAfterFailover)
        try c.encode(sticky, forKey: .sticky)
        try c.encode(callbacksQueued, forKey: .callbacksQueued)
        try c.encode(callbacksReturned, forKey: .callbacksReturned)
        try c.encode(callbacksPending, forKey: .callbacksPending)
        try c.encode(unreturnable, forKey: .unreturnable)
        try c.encode(webFormRequests, forKey: .webFormRequests)
        try c.encode(webFormReturned, forKey: .webFormReturned)
        try c.encode(webFormPending, forKey: .webFormPending)
        try c.encode(responseRate, forKey: .responseRate)
        try c.encode(medianResponseSeconds, forKey: .medianResponseSeconds)
        try c.encode(p90ResponseSeconds, forKey: .p90ResponseSeconds)
        try c.encode(consentCoverage, forKey: .consentCoverage)
        try c.encode(listingReroutes, forKey: .listingReroutes)
        try c.encode(providers, forKey: .providers)
        try c.encode(hours, forKey: .hours)
        try c.encode(ledgerHead?.description, forKey: .ledgerHead)
        try c.encode(
            [
                "response_rate": "(answered + returned) / (calls - unroutable)",
                "response_time": "received to answered, or to returned; median, and nearest-rank p90",
                "expected_offered": "sum of the provider's recorded shares over the day's non-sticky pool decisions",
                "consent_coverage": "routable calls with a consent record / (calls - unroutable)",
            ], forKey: .definitions)
    }
}

extension DailyReport.ProviderLine: Encodable {
    enum CodingKeys: String, CodingKey {
        case id, name, status, offered, firstOffers = "first_offers", answered, noAnswer = "no_answer", answerRate = "answer_rate"
        case medianSecondsToAnswer = "median_seconds_to_answer", expectedOffered = "expected_offered", dailyCap = "daily_cap"
        case dailyCapUsed = "daily_cap_used"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(name, forKey: .name)
        try c.encode(status, forKey: .status)
        try c.encode(offered, forKey: .offered)
        try c.encode(firstOffers, forKey: .firstOffers)
        try c.encode(answered, forKey: .answered)
        try c.encode(noAnswer, forKey: .noAnswer)
        try c.encode(answerRate, forKey: .answerRate)
        try c.encode(medianSecondsToAnswer, forKey: .medianSecondsToAnswer)
        try c.encode((expectedOffered * 1000).rounded() / 1000, forKey: .expectedOffered)
        try c.encode(dailyCap, forKey: .dailyCap)
        try c.encode(dailyCapUsed, forKey: .dailyCapUsed)
    }
}

/// The daily report's output formats.
public enum ReportFormat: String, Sendable, CaseIterable {
    case text, json, csv, html

    /// Parses a format name.
    ///
    /// - Throws: `InputError.invalidChoice`.
    public init(parsing text: String) throws {
        guard let f = ReportFormat(rawValue: text.lowercased()) else {
            throw InputError.invalidChoice(field: "format", value: text, choices: Self.allCases.map(\.rawValue))
        }
        self = f
    }
}

enum Format {
    static func percent(_ value: Double?) -> String {
        value.map { String(format: "%.1f%%", $0 * 100) } ?? "-"
    }

    static func seconds(_ value: Double?) -> String {
        guard let value else { return "-" }
        if value < 90 { return String(format: "%.0f s", value) }
        if value < 5400 { return String(format: "%.1f min", value / 60) }
        return String(format: "%.1f h", value / 3600)
    }
}

extension DailyReport {
    /// The report in a format: text for a terminal, JSON for services, CSV (one row per provider)
    /// or a self-contained HTML page.
    ///
    /// - Throws: only if JSON encoding fails, which this model does not cause.
    public func render(_ format: ReportFormat) throws -> String {
        switch format {
        case .text: return text()
        case .json: return try JSONOutput(zone: timeZone).string(self) + "\n"
        case .csv: return try csv()
        case .html: return html()
        }
    }

    /// Aligned tables for a terminal.
    public func text() -> String {
        var out = "Helpline daily report for \(date) (\(timeZone.identifier))\n\n"
        out += TextTable(
            header: ["CALLS", "DIRECT", "POOL", "UNROUTABLE", "ANSWERED", "AFTER FAILOVER", "REPEAT (STICKY)"],
            rows: [[calls, direct, pool, unroutable, answered, answeredAfterFailover, sticky].map(String.init)]
        ).render()
        out += "\n"
        out += TextTable(
            header: ["CALL CALLBACKS", "RETURNED", "PENDING", "UNRETURNABLE (NO NUMBER)", "WEB FORM", "RETURNED", "PENDING"],
            rows: [
                [callbacksQueued, callbacksReturned, callbacksPending, unreturnable, webFormRequests, webFormReturned, webFormPending].map(
                    String.init)
            ]
        ).render()
        out += "\nresponse rate \(Format.percent(responseRate))   median response \(Format.seconds(medianResponseSeconds))"
        out += "   p90 \(Format.seconds(p90ResponseSeconds))\n"
        out += "consent coverage \(Format.percent(consentCoverage))   listing reroutes \(listingReroutes)"
        out += listingReroutes == 0 ? " (must be 0: ok)\n" : " (MUST BE 0: investigate)\n"
        out += "consent ledger head \(ledgerHead?.description ?? "(empty)")  (keep it outside the database: consent verify --anchor)\n\n"
        out += TextTable(
            header: [
                "ID", "PROVIDER", "STATUS", "OFFERED", "FIRST", "EXPECTED", "ANSWERED", "NO ANSWER", "ANSWER RATE", "MEDIAN ANSWER", "DAILY CAP",
            ],
            rows: providers.map { p in
                [
                    String(p.id), p.name, p.status, String(p.offered), String(p.firstOffers), String(format: "%.1f", p.expectedOffered),
                    String(p.answered), String(p.noAnswer), Format.percent(p.answerRate), Format.seconds(p.medianSecondsToAnswer),
                    p.dailyCapText ?? "-",
                ]
            }
        ).render()
        out += "(daily cap: offers in the provider's own zone; listing calls count toward it but always reach their provider)\n"
        out += "\ncalls per hour:\n"
        let peak = max(hours.max() ?? 0, 1)
        for (hour, n) in hours.enumerated() {
            out += String(format: "  %02d:00 %5d ", hour, n) + String(repeating: "#", count: (n * 40 + peak - 1) / peak) + "\n"
        }
        return out
    }

    /// One header row and one row per provider, quoted per RFC 4180.
    public func csv() throws -> String {
        let stream = OutputStream(toMemory: ())
        let writer = try CSVWriter(stream: stream, newline: .crlf)
        try writer.write(row: [
            "date", "time_zone", "id", "name", "status", "offered", "first_offers", "expected_offered", "answered", "no_answer",
            "answer_rate", "median_seconds_to_answer", "daily_cap", "daily_cap_used",
        ])
        for p in providers {
            let rate: String = p.answerRate.map { String(format: "%.4f", $0) } ?? ""
            let median: String = p.medianSecondsToAnswer.map { String(format: "%.1f", $0) } ?? ""
            let cap: String = p.dailyCap.map { String($0) } ?? ""
            let used: String = p.dailyCapUsed.map { String($0) } ?? ""
            var row: [String] = [date.description, timeZone.identifier, String(p.id), p.name, p.status, String(p.offered)]
            row += [String(p.firstOffers), String(format: "%.3f", p.expectedOffered), String(p.answered), String(p.noAnswer)]
            row += [rate, median, cap, used]
            try writer.write(row: row.map(SpreadsheetCell.escaped))
        }
        writer.stream.close()
        guard let data = stream.property(forKey: .dataWrittenToMemoryStreamKey) as? Data else { return "" }
        // CSVWriter ends rows with CRLF, as RFC 4180 says.
        return String(decoding: data, as: UTF8.self) + "\r\n"
    }
}
