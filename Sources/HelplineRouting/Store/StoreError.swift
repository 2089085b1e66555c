import Foundation
import GRDB

/// A failure of the database or of a lookup in it. Every case names the file or the value.
public enum StoreError: HelplineError, Equatable {
    /// The file or its folder can't be opened or created.
    case cannotOpen(path: String, reason: String)
    /// The file doesn't exist, and the caller asked not to create one.
    case noDatabase(path: String)
    /// The file exists but is not an SQLite database.
    case notADatabase(path: String)
    /// An SQLite database that this program did not create (it has tables but no migration record).
    case foreignDatabase(path: String)
    /// SQLite reports the file as damaged.
    case corrupt(path: String, reason: String)
    /// A stored value is not of its column's type (the file was edited outside helpline, or damaged).
    case badValue(path: String, table: String, row: Int64, column: String, found: String, expected: String)
    /// The database was migrated by a newer version of this program.
    case newerSchema(path: String, databaseVersion: Int, codeVersion: Int)
    /// A migration that was applied has since been edited in the code.
    case migrationChanged(name: String, appliedSHA256: String, shippedSHA256: String)
    /// The database stayed locked by another writer past the busy timeout.
    case busy(path: String, timeoutSeconds: Double)
    /// The disk or the file system is full.
    case diskFull(path: String)
    /// The file or its folder is read-only to this process.
    case readOnly(path: String)
    /// Any other I/O failure.
    case io(path: String, reason: String)
    /// A purge committed, but the redacted numbers are still in the file (`numbers` of them; -1
    /// when a reader of an older snapshot kept the WAL from being emptied).
    case purgeIncomplete(path: String, numbers: Int)
    /// An output file (a report's `--out`, stdout) could not be written; nothing was replaced.
    case cannotWrite(path: String, reason: String)
    /// No record of this kind has this id.
    case notFound(kind: String, id: String)
    /// The number is already in use by a listing or a helpline.
    case numberInUse(number: String, usedBy: String)
    /// A provider with this phone is already listed (and not removed).
    case duplicateProvider(phone: String, existingID: Int64, existingName: String)
    /// The change would break a rule of the data (say, removing a provider that listings still use).
    case conflict(String, hint: String?)
    /// An unexpected SQLite error: a bug in this library.
    case sqlite(code: Int32, message: String)
    /// One of this library's own rules did not hold (a bug, not bad data or a bad file).
    case invariant(String)

    public var category: ErrorCategory {
        switch self {
        case .cannotOpen, .noDatabase, .notADatabase, .foreignDatabase, .corrupt, .badValue, .newerSchema, .migrationChanged, .diskFull,
            .readOnly, .io, .cannotWrite, .purgeIncomplete:
            return .io
        case .busy: return .unavailable
        case .notFound, .numberInUse, .conflict, .duplicateProvider: return .badData
        case .sqlite, .invariant: return .internal
        }
    }

    public var message: String {
        switch self {
        case .cannotOpen(let path, let reason): return "cannot open database \(path): \(reason)"
        case .noDatabase(let path): return "no database at \(path)"
        case .notADatabase(let path): return "\(path) is not an SQLite database"
        case .foreignDatabase(let path): return "\(path) is an SQLite database, but not a helpline database"
        case .corrupt(let path, let reason): return "database \(path) is corrupt: \(reason)"
        case .badValue(let path, let table, let row, let column, let found, let expected):
            return "database \(path) holds a bad value: \(table) row \(row), column \(column) is \(found), not \(expected)"
        case .newerSchema(let path, let db, let code):
            return "database \(path) has schema version \(db), newer than this program's \(code)"
        case .migrationChanged(let name, let applied, let shipped):
            return "migration \(name) was edited after it was applied (applied sha256 \(applied.prefix(12))…, shipped \(shipped.prefix(12))…)"
        case .busy(let path, let timeout):
            return "database \(path) stayed locked by another writer for more than \(Self.seconds(timeout))"
        case .diskFull(let path): return "no space left to write \(path)"
        case .readOnly(let path): return "database \(path) is read-only to this process"
        case .io(let path, let reason): return "I/O error on \(path): \(reason)"
        case .cannotWrite(let path, let reason): return "cannot write \(path): \(reason)"
        case .purgeIncomplete(let path, let numbers):
            return numbers < 0
                ? "purge of \(path) is incomplete: another process holds an old snapshot, so redacted numbers remain in its WAL"
                : "purge of \(path) is incomplete: \(numbers) redacted numbers are still in the file"
        case .notFound(let kind, let id): return "no \(kind) with id \(InputError.quote(id))"
        case .numberInUse(let number, let usedBy): return "\(number) is already \(usedBy)"
        case .duplicateProvider(let phone, let id, let name):
            return "provider \(id) (\(name)) already answers on \(phone); a second one would double its share"
        case .conflict(let message, _): return message
        case .sqlite(let code, let message): return "unexpected SQLite error \(code): \(message)"
        case .invariant(let what): return "internal error: \(what)"
        }
    }

    public var hint: String? {
        switch self {
        case .cannotOpen: return "check that the folder exists and is writable, or pass --db PATH"
        case .noDatabase: return "run 'helpline init' (or set --db / HELPLINE_DB)"
        case .notADatabase, .foreignDatabase: return "pass --db with the path of a helpline database, or a new path to create one"
        case .corrupt: return "restore the last backup; `sqlite3 FILE '.recover'` may salvage rows"
        case .badValue: return "the file was changed outside helpline: run 'helpline doctor', then restore the backup or correct that row"
        case .newerSchema: return "upgrade this program to the version that wrote the database; never downgrade a database"
        case .migrationChanged:
            return "shipped migrations are immutable: restore the original file and put the change in a new migration"
        case .busy: return "retry; raise --busy-timeout or $HELPLINE_BUSY_TIMEOUT if another job holds long transactions"
        case .diskFull: return "free space on the disk; nothing was half-written, and the command can be rerun"
        case .readOnly: return "check the permissions of the file, its -wal/-shm files and its folder"
        case .io: return "check the disk and the file's permissions"
        case .purgeIncomplete: return "stop the process holding the database open (a long report, a sqlite3 shell) and run the purge again"
        case .cannotWrite: return "write to a regular file in a folder that exists and has space (a report replaces the file atomically)"
        case .notFound("call", _): return "list calls with `helpline call list`"
        case .notFound("callback", _): return "list callbacks with `helpline callback list`"
        case .notFound(let kind, _): return "list the \(kind)s to see the ids"
        case .numberInUse: return "each dialed number is one listing or one helpline; remove the other first"
        case .duplicateProvider: return "update that provider instead, or pass --allow-same-phone for a switchboard two providers really share"
        case .conflict(_, let hint): return hint
        case .sqlite, .invariant: return "this is a bug; please report it with the command that caused it"
        }
    }

    private static func seconds(_ t: Double) -> String {
        t == t.rounded() ? "\(Int(t)) s" : "\(t) s"
    }

    /// Turns any error from GRDB or SQLite into a `StoreError` that names the file; errors that
    /// are already `HelplineError`s pass through.
    static func wrap(_ error: any Error, path: String, busyTimeout: Double) -> any Error {
        if case .badValue("", let table, let row, let column, let found, let expected) = error as? StoreError {
            return StoreError.badValue(path: path, table: table, row: row, column: column, found: found, expected: expected)
        }
        if error is any HelplineError { return error }
        guard let dbError = error as? DatabaseError else {
            return StoreError.io(path: path, reason: String(describing: error))
        }
        let message = dbError.message ?? "\(dbError.resultCode)"
        switch dbError.resultCode {
        case .SQLITE_BUSY, .SQLITE_LOCKED: return StoreError.busy(path: path, timeoutSeconds: busyTimeout)
        case .SQLITE_NOTADB: return StoreError.notADatabase(path: path)
        case .SQLITE_CORRUPT: return StoreError.corrupt(path: path, reason: message)
        case .SQLITE_FULL: return StoreError.diskFull(path: path)
        case .SQLITE_READONLY: return StoreError.readOnly(path: path)
        case .SQLITE_CANTOPEN, .SQLITE_PERM, .SQLITE_AUTH: return StoreError.cannotOpen(path: path, reason: message)
        case .SQLITE_IOERR:
            // SQLite reports a full disk during WAL writes as an I/O error with errno ENOSPC.
            if message.localizedCaseInsensitiveContains("disk is full") {
                return StoreError.diskFull(path: path)
            }
            return StoreError.io(path: path, reason: message)
        case .SQLITE_ERROR where message.hasPrefix("no such table") || message.hasPrefix("no such column"):
            // The schema this program migrated is missing a part: the file was altered outside it.
            return StoreError.corrupt(path: path, reason: "the schema is damaged (\(message))")
        case .SQLITE_CONSTRAINT:
            return StoreError.conflict("the change breaks a rule of the data: \(message)", hint: nil)
        default:
            return StoreError.sqlite(code: dbError.resultCode.rawValue, message: message)
        }
    }
}
