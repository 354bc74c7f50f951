import Foundation
import ReviewCore

/// What the queue's scripts answer: one JSON object each (`cjson.encode`), read by one decoder
/// (`QueueReply.decode`), so a field is read by its name, never by its position.
enum QueueReply {
    struct Enqueue: Decodable {
        var status: String
        var reason: String?
        var superseded: String?
    }

    struct Claim: Decodable {
        var status: String
        var next: Int64?
        var kind: String?
        var id: String?
        var data: String?
        var attempt: Int?
        var deadline: Int64?
        var installation: String?
    }

    struct Complete: Decodable {
        var held: Bool
        var next: Claim?
    }

    struct Fail: Decodable {
        var status: String
        var spent: Int?
        var at: Int64?
    }

    struct Pause: Decodable {
        var until: Int64
    }

    struct Ids: Decodable {
        var ids: LuaList<String>
    }

    struct Stats: Decodable {
        var waiting: Int
        var delayed: Int
        var active: Int
        var expiredLeases: Int
        var completed: Int
        var failed: Int
        var unfinished: Int
        var oldestEnqueuedAt: Int64
        var pausedInstallations: Int
        var modelPausedUntil: Int64
    }

    struct Depth: Decodable {
        var unfinished: Int
        var completed: Int
        var failed: Int
        var pausedInstallations: Int
    }

    struct Inspect: Decodable {
        var state: String?
        var data: String?
        var spent: Int?
        var error: String?
        var lastError: String?
        var result: String?
        var finishedAt: Int64?
        var scheduledAt: Int64?
    }

    struct Listed: Decodable {
        var id: String
        var state: String?
        var at: Int64?
        var spent: Int?
        var error: String?
        var lastError: String?
        var finishedAt: Int64?
        var data: String?
    }

    struct Jobs: Decodable {
        var jobs: LuaList<Listed>
    }

    /// The script's JSON answer as `T`; anything else is the queue's protocol failing.
    static func decode<T: Decodable>(_ type: T.Type, from value: RedisValue, script: String) throws -> T {
        guard let text = value.string, let decoded = try? JSONDecoder().decode(T.self, from: Data(text.utf8)) else {
            throw ReviewError(.queueProtocol, "the \(script) script returned an unexpected reply")
        }
        return decoded
    }
}

/// A list from Lua's cjson, which writes an empty table as `{}`: read as an empty list.
struct LuaList<Element: Decodable>: Decodable {
    var items: [Element]

    init(from decoder: any Decoder) throws {
        if let items = try? decoder.singleValueContainer().decode([Element].self) {
            self.items = items
        } else {
            _ = try decoder.container(keyedBy: EmptyKeys.self)
            items = []
        }
    }

    private enum EmptyKeys: CodingKey {}
}

extension Date {
    /// A time the scripts keep in milliseconds.
    init(milliseconds: Int64) { self.init(timeIntervalSince1970: Double(milliseconds) / 1000) }
}
