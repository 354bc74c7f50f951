import Foundation

/// Exact byte search: no Unicode normalisation, and fast (a first-byte scan and `memcmp`). Used
/// where texts are compared as bytes on purpose.
enum ByteSearch {
    static func contains(_ hay: UnsafeBufferPointer<UInt8>, _ needle: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let first = needle.first, needle.count <= hay.count, let base = hay.baseAddress, let wanted = needle.baseAddress else {
            return needle.isEmpty
        }
        var index = 0
        while index <= hay.count - needle.count {
            if hay[index] == first, memcmp(base + index, wanted, needle.count) == 0 { return true }
            index += 1
        }
        return false
    }
}

extension String {
    /// Whether `part`'s UTF-8 bytes occur in this string's.
    func containsBytes(_ part: String) -> Bool {
        var text = self, part = part
        return text.withUTF8 { hay in part.withUTF8 { ByteSearch.contains(hay, $0) } }
    }
}
