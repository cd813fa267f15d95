import Foundation
import GRDB

/// The embedded store: one SQLite file in WAL mode with `synchronous=FULL`, so a commit survives a
/// crash or power loss. It implements every store protocol; a PostgreSQL backend can follow.
///
/// ```swift
/// let store = try SQLiteStore(path: home + "/switchboard.sqlite")
/// try store.enqueue([message])
/// ```
public final class SQLiteStore: Sendable {
    let pool: DatabasePool
    public let path: String

    /// Opens (creating and migrating) the store at `path`. `durable: false` turns fsync off
    /// (`synchronous=OFF`): only benchmarks use it, to measure what durability costs.
    public init(path: String, durable: Bool = true) throws(StoreError) {
        self.path = path
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            try db.execute(sql: durable ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = OFF")
        }
        configuration.busyMode = .timeout(10)
        do {
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            pool = try DatabasePool(path: path, configuration: configuration)
            try Self.migrator.migrate(pool)
        } catch {
            throw StoreError(path: path, reason: "\(error)")
        }
    }

    /// Runs `body` in one write transaction, translating database errors.
    func write<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        do {
            return try pool.write(body)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(path: path, reason: "\(error)")
        }
    }

    func read<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        do {
            return try pool.read(body)
        } catch {
            throw StoreError(path: path, reason: "\(error)")
        }
    }
}

/// A store operation that failed, naming the database file.
public struct StoreError: Error, Equatable, CustomStringConvertible {
    public let path: String
    public let reason: String
    public var description: String { "\(path): \(reason)" }
}
