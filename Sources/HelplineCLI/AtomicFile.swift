import Foundation
import HelplineRouting

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Writes files so that a reader sees the old file or the whole new one, never half of it.
enum AtomicFile {
    /// Writes `text` to a temporary file beside `path`, flushes it to disk, and renames it over `path`.
    ///
    /// - Throws: `StoreError.cannotOpen`, `.diskFull` or `.io` naming the path; the target is untouched then.
    static func write(_ text: String, to path: String) throws {
        // Only a regular file is replaced: renaming over a symlink, a FIFO or a device would
        // silently swap it for a plain file (or, for /dev/full, hide that nothing was written).
        var info = stat()
        if lstat(path, &info) == 0 && info.st_mode & S_IFMT != S_IFREG {
            throw StoreError.cannotWrite(path: path, reason: "it exists and is not a regular file")
        }
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        let temp = url.deletingLastPathComponent().appendingPathComponent(
            ".\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        ).path
        let fd = open(temp, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw error(errno, path) }
        var ok = false
        defer {
            if !ok { unlink(temp) }
        }
        let bytes = Array(text.utf8)
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBufferPointer { buffer -> Int in
                guard let base = buffer.baseAddress else { return 0 }
                return systemWrite(fd, base + written, bytes.count - written)
            }
            if n < 0 {
                if errno == EINTR { continue }
                let e = errno
                close(fd)
                throw error(e, path)
            }
            written += n
        }
        if fsync(fd) != 0 {
            let e = errno
            close(fd)
            throw error(e, path)
        }
        close(fd)
        guard rename(temp, path) == 0 else { throw error(errno, path) }
        ok = true
        // Make the rename itself durable.
        let dir = open(folder.isEmpty ? "." : folder, O_RDONLY | O_CLOEXEC)
        if dir >= 0 {
            fsync(dir)
            close(dir)
        }
    }

    private static func systemWrite(_ fd: Int32, _ pointer: UnsafePointer<UInt8>, _ count: Int) -> Int {
        #if canImport(Glibc)
            return Glibc.write(fd, pointer, count)
        #else
            return Darwin.write(fd, pointer, count)
        #endif
    }

    private static func error(_ code: Int32, _ path: String) -> StoreError {
        let reason = String(cString: strerror(code))
        switch code {
        case ENOSPC, EDQUOT: return .diskFull(path: path)
        default: return .cannotWrite(path: path, reason: reason)
        }
    }
}
