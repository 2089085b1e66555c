/// A consent ledger that does not verify.
public enum ConsentError: HelplineError, Equatable {
    /// A record does not match its hash or its link to the previous record.
    case chainBroken(seq: Int64, problem: String)

    public var category: ErrorCategory { .badData }
    public var message: String {
        switch self {
        case .chainBroken(let seq, let problem): return "consent ledger record \(seq) does not verify: \(problem)"
        }
    }
    public var hint: String? {
        "the ledger was changed outside this program; restore it from a backup and keep this database for investigation"
    }
}
