public import Foundation
import GRDB
public import Logging

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The helpline's database and every operation on it: the one entry point other services link.
///
/// A `Helpline` is `Sendable` and safe to share across threads and tasks: reads run concurrently
/// on WAL snapshots, and each write is one IMMEDIATE transaction, serialized by SQLite across
/// threads and across processes. Open one per process and keep it.
///
/// ```swift
/// let helpline = try Helpline(path: "/var/lib/helpline/helpline.sqlite")
/// let decision = try helpline.route(to: "(800) 915-1270", from: "+13035550123")
/// ```
public final class Helpline: Sendable {
    /// How hard a commit tries to reach the disk.
    public enum Durability: String, Sendable {
        /// `synchronous=FULL`: a committed write survives power loss. The default.
        case full
        /// `synchronous=NORMAL`: faster commits; in WAL mode a power loss (not a crash of this
        /// process) may roll back the last few committed transactions. The database stays intact.
        case normal
    }

    /// How a `Helpline` opens its database and where it gets time from.
    public struct Options: Sendable {
        /// How long a writer waits for another writer's lock before giving up with `StoreError.busy`.
        public var busyTimeout: Double = 5
        /// The commit durability; see `Durability`.
        public var durability: Durability = .full
        /// The clock. Every event method also takes an explicit time; this is used when none is given.
        public var now: @Sendable () -> Date = { Date() }
        /// The zone for providers added without one, and for reports without `--tz`; the
        /// machine's zone unless set. (Resolved on first use: reading it costs a process start.)
        public var defaultTimeZone: TimeZone {
            get { explicitTimeZone ?? .current }
            set { explicitTimeZone = newValue }
        }
        private var explicitTimeZone: TimeZone?
        /// The zone set through `defaultTimeZone`, if any: it outranks the database's own.
        var zoneOverride: TimeZone? { explicitTimeZone }
        /// Where the library logs. It never bootstraps logging; by default it logs nothing.
        public var logger = Logger(label: "helpline-router", factory: { _ in SwiftLogNoOpLogHandler() })
        /// Apply pending migrations on open. Off only for tools that inspect a database as it is.
        public var migrate = true
        /// One connection instead of a pool: for one-shot processes (the CLI), which open the
        /// database, do one thing and exit. Services keep the default pool, whose readers run
        /// beside the writer.
        public var singleConnection = false
        /// A connected call with no end event stops counting toward concurrency after this long
        /// (seconds), so a lost telephony event can't block a provider forever; `sweep` then ends it.
        ///
        /// Leave it unset to use the database's setting (`Helpline.setMaxCallLength`, or
        /// `helpline settings --max-call-length`), which every process on the database shares, or
        /// `Helpline.defaultMaxCallLength` when none is stored. Set here, it applies to this
        /// process alone: a sweep with a shorter value would end calls that a process with a
        /// longer one still counts as connected.
        public var maxCallLength: Double {
            get { explicitMaxCallLength ?? Helpline.defaultMaxCallLength }
            set { explicitMaxCallLength = newValue }
        }
        private var explicitMaxCallLength: Double?
        /// The length set through `maxCallLength`, if any: it outranks the database's own.
        var maxCallLengthOverride: Double? { explicitMaxCallLength }
        /// Create the file when it doesn't exist. Off for tools that must find an existing
        /// database (the CLI's commands other than `init` and `demo`), so a mistyped path fails
        /// with `StoreError.noDatabase` instead of reporting on a new, empty database.
        public var createIfMissing = true
        /// Who makes configuration changes through this handle, as the history records it: a
        /// service's name, or the CLI's command ("helpline provider update").
        public var changeSource = "library"
        /// Commit the writes of concurrent callers together (see the docs on throughput): each
        /// caller's write is still all-or-nothing and returns only once committed, but many share
        /// one fsync. For services that write from many threads at once; a lone writer gains nothing.
        public var groupCommit = false
        /// Copy the write-ahead log into the database from a thread of its own (a PASSIVE
        /// checkpoint every 250 ms) instead of inside the commit that crosses SQLite's threshold.
        /// With group commit, that commit is the one every caller waits on. For services; a
        /// one-shot process has nothing to gain from a thread.
        public var backgroundCheckpoint = false

        /// The defaults: 5 s busy timeout, full durability, the system clock and zone.
        public init() {}
    }

    /// The database file.
    public let path: String
    /// The options it was opened with.
    public let options: Options
    let pool: any DatabaseWriter
    /// Providers, listings and helplines, reread only when their configuration changes.
    let configCache = Locked<RoutingConfig?>(nil)
    /// Each helpline's last seen rotation text and its parsed weights.
    let weightsCache = Locked<[Int64: (text: String, weights: [Int64: Int])]>([:])
    /// The database's zone (`settings.time_zone`), read on open and kept in step by `setTimeZone`.
    let storedZone = Locked<TimeZone?>(nil)
    /// The database's maximum call length (`settings.max_call_length_s`), read on open, by every
    /// sweep, and kept in step by `setMaxCallLength`.
    let maxCallLengthSetting = Locked<Double?>(nil)
    /// This database's caller keys of the months routes hash under, prepared (see `CallerKeys`).
    let preparedKeys = PreparedKeys()
    /// Committed candidate lists and their ids.
    let candidateSetCache = Locked<[String: Int64]>([:])
    /// The calls whose rows events decode unchecked; see `CallTrust`.
    let callTrust = Locked(CallTrust())
    /// Set when `options.groupCommit` is on.
    let groupCommit: GroupCommit?
    /// While a group commit waits for the lock: when its oldest caller's busy timeout runs out.
    let batchDeadline: Locked<Date?>
    /// Set when `options.backgroundCheckpoint` is on.
    private let checkpointer: Checkpointer?
    var logger: Logger { options.logger }

    /// Opens (creating with mode 0600 and migrating, when needed) the database at `path`.
    ///
    /// - Parameters:
    ///   - path: the SQLite file; its folder must exist.
    ///   - options: the busy timeout, durability, clock, default zone and logger.
    /// - Throws: `StoreError` when the file can't be opened or created, is not a database, is
    ///   corrupt, has a newer schema, or has an edited migration.
    public init(path: String, options: Options = Options()) throws {
        let (real, created) = try Self.prepareFile(path, create: options.createIfMissing, logger: options.logger)
        self.path = real
        self.options = options
        self.groupCommit = options.groupCommit && !options.singleConnection ? GroupCommit() : nil
        var config = Configuration()
        config.foreignKeysEnabled = true
        let batchDeadline = Locked<Date?>(nil)
        self.batchDeadline = batchDeadline
        config.busyMode = .callback(Self.fairBusyHandler(timeout: options.busyTimeout, deadline: batchDeadline))
        config.label = "helpline"
        let synchronous = options.durability == .full ? "FULL" : "NORMAL"
        let checkpointInBackground = options.backgroundCheckpoint && !options.singleConnection
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = \(synchronous)")
            if checkpointInBackground { try db.execute(sql: "PRAGMA wal_autocheckpoint = \(Checkpointer.writerThreshold)") }
            // Group commit gives each call a savepoint, and SQLite copies every page a call
            // changes into the sub-journal: kept in memory, not spilled to a temporary file.
            try db.execute(sql: "PRAGMA temp_store = MEMORY")
        }
        do {
            if options.singleConnection {
                let queue = try DatabaseQueue(path: real, configuration: config)
                // WAL is a property of the file: set once when it is created, it stays.
                if created { try queue.writeWithoutTransaction { try $0.execute(sql: "PRAGMA journal_mode = WAL") } }
                pool = queue
            } else {
                let databasePool = try DatabasePool(path: real, configuration: config)
                // GRDB turns its writer to `synchronous = NORMAL` when it sets up WAL mode, after
                // `prepareDatabase` has run: without this, a pool never synced a commit, whatever
                // the durability asked for, and a power loss could undo calls already answered.
                try databasePool.writeWithoutTransaction { try $0.execute(sql: "PRAGMA synchronous = \(synchronous)") }
                pool = databasePool
            }
            if options.migrate {
                try Migrator.migrate(pool, path: path, now: options.now)
            }
            // Before migration 0008 (a status-only open) there are no settings: the zone is unknown.
            let stored = try? pool.read { db in
                try String.fetchOne(db, sql: "SELECT value FROM settings WHERE key = 'time_zone'")
            }
            if let name = stored ?? nil { storedZone.withLock { $0 = TimeZone(identifier: name) } }
            if let length = try? pool.read({ db in try Self.readMaxCallLength(db) }) {
                maxCallLengthSetting.withLock { $0 = length }
            }
            checkpointer = checkpointInBackground ? try Checkpointer(path: real, synchronous: synchronous, logger: options.logger) : nil
            // The calls this process creates from now on are trusted by its events (`CallTrust`).
            // A file without the schema yet (a status-only open) is left to the first event.
            _ = try? pool.writeWithoutTransaction { db in try self.isTrusted(callID: 0, db: db) }
        } catch {
            throw StoreError.wrap(error, path: path, busyTimeout: options.busyTimeout)
        }
    }

    deinit {
        checkpointer?.close()
    }

    /// The zone for days and hours in reports and listings, and for providers added without one:
    /// the options' zone when one was given (a service's setting, or `$HELPLINE_TZ` in the CLI),
    /// else the zone stored in the database (`setTimeZone`), else the machine's.
    public var defaultTimeZone: TimeZone {
        options.zoneOverride ?? storedZone.withLock { $0 } ?? .current
    }

    /// Stores the helpline's zone in the database, so every process and report uses it.
    ///
    /// - Throws: `StoreError` when the write fails.
    public func setTimeZone(_ zone: TimeZone) throws {
        try storeSetting("time_zone", zone.identifier)
        storedZone.withLock { $0 = zone }
    }

    /// Writes one row of `settings`, replacing its value.
    private func storeSetting(_ key: String, _ value: String) throws {
        try write { db in
            try db.execute(
                sql: """
                    INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
                    ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
                    """, arguments: [key, value, options.now().epochMilliseconds])
        }
    }

    /// The zone stored in the database, if one was set.
    public var storedTimeZone: TimeZone? { storedZone.withLock { $0 } }

    /// The maximum call length when neither the database nor the options set one: 2 hours.
    public static let defaultMaxCallLength: Double = 2 * 3600

    /// The maximum call lengths `setMaxCallLength` accepts, in seconds: 5 minutes to a day.
    public static let maxCallLengthRange: ClosedRange<Double> = 300...86_400

    /// How long a connected call with no end event counts toward concurrency before `sweep` ends
    /// it: the options' value when one was given, else the database's, else
    /// `defaultMaxCallLength`. A running process sees another's change at its next sweep.
    public var maxCallLength: Double {
        options.maxCallLengthOverride ?? maxCallLengthSetting.withLock { $0 } ?? Self.defaultMaxCallLength
    }

    /// The maximum call length stored in the database, if one was set.
    public var storedMaxCallLength: Double? { maxCallLengthSetting.withLock { $0 } }

    /// Stores the maximum call length in the database, so that every process on it (the server,
    /// `helpline sweep` from cron, linking services) counts and ends connected calls alike.
    ///
    /// - Parameter seconds: within `maxCallLengthRange`.
    /// - Throws: `InputError.outOfRange` outside it; `StoreError` when the write fails.
    public func setMaxCallLength(_ seconds: Double) throws {
        guard Self.maxCallLengthRange.contains(seconds) else {
            let range = Self.maxCallLengthRange
            throw InputError.outOfRange(
                field: "max-call-length", value: String(format: "%g", seconds),
                allowed: "\(Int(range.lowerBound)) to \(Int(range.upperBound)) seconds (5 minutes to a day)")
        }
        try storeSetting("max_call_length_s", String(format: "%g", seconds))
        maxCallLengthSetting.withLock { $0 = seconds }
    }

    /// The stored maximum call length, when it is set and a number in range (a value edited out
    /// of range is ignored, as if unset).
    static func readMaxCallLength(_ db: Database) throws -> Double? {
        guard let text = try String.fetchOne(db, sql: "SELECT value FROM settings WHERE key = 'max_call_length_s'"),
            let seconds = Double(text), maxCallLengthRange.contains(seconds)
        else { return nil }
        return seconds
    }

    /// The applied and pending migrations.
    ///
    /// - Throws: `StoreError` when the database can't be read or doesn't match the shipped migrations.
    public func migrationStatus() throws -> MigrationStatus {
        try read { db in try Migrator.status(db, path: path) }
    }

    /// Applies pending migrations (normally done on open) and returns the resulting status.
    ///
    /// - Throws: `StoreError` as for `init`.
    @discardableResult
    public func migrate() throws -> MigrationStatus {
        do {
            try Migrator.migrate(pool, path: path, now: options.now)
        } catch {
            throw StoreError.wrap(error, path: path, busyTimeout: options.busyTimeout)
        }
        return try migrationStatus()
    }

    /// Waits for another connection's lock in short, jittered sleeps, up to `timeout` seconds.
    ///
    /// SQLite's own busy handler sleeps longer and longer between tries (up to 100 ms), so a
    /// writer that waits while another process commits in a tight loop can find the lock taken
    /// at every wake-up and give up after the whole timeout (seen: 1 call in 2,500 failing busy
    /// with two routing processes and a report loop). Polling every 0.25-1.25 ms lets a waiter
    /// in at the next gap between the other's transactions.
    ///
    /// A group commit waits until its oldest caller's timeout (`deadline`) instead: each caller
    /// then hears "busy" about `timeout` after it asked, however many batches queued before it.
    static func fairBusyHandler(timeout: Double, deadline: Locked<Date?>) -> Database.BusyCallback {
        let maxTries = Int(max(timeout, 0) * 1000 / 0.75)
        return { numberOfTries in
            if let end = deadline.withLock({ $0 }) {
                guard Date() < end else { return false }
            } else {
                guard numberOfTries < maxTries else { return false }
            }
            usleep(UInt32.random(in: 250...1250))
            return true
        }
    }

    /// How far past the clock an event's time may lie (5 minutes): peers' clocks drift a little,
    /// but an offer dated later would hold caps and concurrency slots for a time that hasn't come.
    public static let futureTolerance: TimeInterval = 300

    /// The time of an event: `given` (a backfill, or a peer's own timestamp) or the clock now.
    ///
    /// Call it inside the write transaction, once the lock is held: a time read before waiting
    /// for the lock could commit after a later one, and count an offer against a period that the
    /// live counters have already left.
    ///
    /// - Throws: `InputError.futureTime` when `given` is more than `futureTolerance` ahead.
    func eventTime(_ given: Date?) throws -> Date {
        let now = options.now()
        guard let given else { return now }
        if given.timeIntervalSince(now) > Self.futureTolerance {
            throw InputError.futureTime(Instant.format(given, in: TimeZone(identifier: "UTC") ?? .current), limitSeconds: Int(Self.futureTolerance))
        }
        return given
    }

    /// Runs `body` in one IMMEDIATE transaction: all of its writes commit together or not at all.
    func write<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            if let groupCommit {
                return try groupCommit.run(
                    pool,
                    onBatch: { oldest in
                        self.batchDeadline.withLock { $0 = oldest.map { $0.addingTimeInterval(self.options.busyTimeout) } }
                    },
                    onBatchFailure: { self.dropCaches() }, body)
            }
            return try pool.writeWithoutTransaction { db in
                var result: T?
                try db.inTransaction(.immediate) {
                    result = try body(db)
                    return .commit
                }
                guard let result else { throw StoreError.invariant("a write transaction returned no result") }
                return result
            }
        } catch {
            throw StoreError.wrap(error, path: path, busyTimeout: options.busyTimeout)
        }
    }

    /// Forgets everything cached from the database: after a failed group commit the caches may
    /// hold rows that were never committed.
    func dropCaches() {
        configCache.withLock { $0 = nil }
        weightsCache.withLock { $0.removeAll() }
        candidateSetCache.withLock { $0.removeAll() }
        callTrust.withLock { $0 = CallTrust() }
    }

    /// Runs `body` on a consistent read-only snapshot.
    func read<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            return try pool.read(body)
        } catch {
            throw StoreError.wrap(error, path: path, busyTimeout: options.busyTimeout)
        }
    }

    /// Makes sure the file can be a database, and judges the real file behind any symlink.
    ///
    /// A symlink is resolved once, so the checks, SQLite and `doctor` all see the same file. The
    /// file must be a regular file (a FIFO would block forever). A new file is created with mode
    /// 0600 (it holds phone numbers); an existing one this process owns, and its `-wal` and
    /// `-shm`, are made 0600 at every open, and a looser mode it can't change is logged.
    ///
    /// Plain system calls: every CLI process comes through here, and FileManager and FileHandle
    /// cost more to set up than the checks.
    ///
    /// - Returns: the real path, and whether the file is new (empty).
    static func prepareFile(_ path: String, create: Bool, logger: Logger) throws -> (path: String, created: Bool) {
        let real = resolvingSymlinks(path)
        var info = stat()
        if stat(real, &info) == 0 {
            if info.st_mode & S_IFMT == S_IFDIR { throw StoreError.cannotOpen(path: path, reason: "it is a directory") }
            guard info.st_mode & S_IFMT == S_IFREG else {
                throw StoreError.cannotOpen(path: path, reason: "it is not a regular file (a FIFO, socket or device)")
            }
            let fd = open(real, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
            guard fd >= 0 else { throw StoreError.cannotOpen(path: path, reason: "the file is not readable") }
            defer { close(fd) }
            var header = [UInt8](repeating: 0, count: 16)
            let count = pread(fd, &header, 16, 0)
            let expected = Array("SQLite format 3\0".utf8)
            if count > 0 && (count != 16 || header != expected) {
                throw StoreError.notADatabase(path: path)
            }
            for file in [real, real + "-wal", real + "-shm"] { enforcePrivateMode(file, logger: logger) }
            return (real, count <= 0)
        }
        guard create else { throw StoreError.noDatabase(path: path) }
        let folder = (real as NSString).deletingLastPathComponent
        let dir = folder.isEmpty ? "." : folder
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw StoreError.cannotOpen(path: path, reason: "the folder \(dir) does not exist")
        }
        let fd = open(real, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
        if fd < 0 {
            let code = errno
            // Another process may have created it between the check and here; that is fine.
            if code == EEXIST { return (real, false) }
            let reason = String(cString: strerror(code))
            if code == ENOSPC || code == EDQUOT { throw StoreError.diskFull(path: path) }
            throw StoreError.cannotOpen(path: path, reason: reason)
        }
        fchmod(fd, 0o600)  // open's mode is filtered by umask; make it exact.
        close(fd)
        return (real, true)
    }

    /// The file a path names after following its symlinks; a dangling link names its target.
    static func resolvingSymlinks(_ path: String) -> String {
        var current = path
        for _ in 0..<16 {
            var info = stat()
            guard lstat(current, &info) == 0, info.st_mode & S_IFMT == S_IFLNK else { break }
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let n = readlink(current, &buffer, buffer.count - 1)
            guard n > 0 else { break }
            let target = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            current = target.hasPrefix("/") ? target : ((current as NSString).deletingLastPathComponent as NSString).appendingPathComponent(target)
        }
        return current
    }

    /// Makes a file this process owns mode 0600; logs a looser mode it can't change.
    static func enforcePrivateMode(_ file: String, logger: Logger) {
        var info = stat()
        guard stat(file, &info) == 0, info.st_mode & 0o777 != 0o600 else { return }
        if info.st_uid == geteuid() && chmod(file, 0o600) == 0 { return }
        logger.warning(
            "database file is readable by others and this process can't change it",
            metadata: ["file": "\(file)", "mode": "\(String(info.st_mode & 0o777, radix: 8))"])
    }
}
