/// A consent ledger that does not verify.
public enum ConsentError: HelplineError, Equatable {
    /// A record does not match its hash or its link to the previous record.
    case chainBroken(seq: Int64, problem: String)
    /// The configuration history's chain does not verify.
    case historyBroken(seq: Int64, problem: String)
    /// A published terms text no longer matches its SHA-256.
    case termsAltered(version: Int)

    public var category: ErrorCategory { .badData }
    public var message: String {
        switch self {
        case .chainBroken(0, let problem): return "consent ledger does not verify: \(problem)"
        case .chainBroken(let seq, let problem): return "consent ledger record \(seq) does not verify: \(problem)"
        case .historyBroken(let seq, let problem): return "configuration history change \(seq) does not verify: \(problem)"
        case .termsAltered(let version): return "terms version \(version)'s text does not match its SHA-256: it was replaced"
        }
    }
    public var hint: String? {
        "the ledger was changed outside this program; restore it from a backup and keep this database for investigation"
    }
}
