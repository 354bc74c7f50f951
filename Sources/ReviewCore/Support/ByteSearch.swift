import Foundation

/// Exact byte search: no Unicode normalisation, and fast (a first-byte scan and `memcmp`). Used
/// where texts are compared as bytes on purpose.
enum ByteSearch {
    static func contains(_ hay: UnsafeBufferPointer<UInt8>, _ needle: UnsafeBufferPointer<UInt8>) -> Bool {
        firstIndex(of: needle, in: hay) != nil
    }

    /// Where `needle` first occurs in `hay` (0 for an empty needle).
    static func firstIndex(of needle: UnsafeBufferPointer<UInt8>, in hay: UnsafeBufferPointer<UInt8>) -> Int? {
        guard let first = needle.first else { return 0 }
        guard needle.count <= hay.count, let base = hay.baseAddress, let wanted = needle.baseAddress else { return nil }
        var index = 0
        while index <= hay.count - needle.count {
            if hay[index] == first, memcmp(base + index, wanted, needle.count) == 0 { return index }
            index += 1
        }
        return nil
    }
}

extension String {
    /// Whether `part`'s UTF-8 bytes occur in this string's.
    func containsBytes(_ part: String) -> Bool {
        var text = self, part = part
        return text.withUTF8 { hay in part.withUTF8 { ByteSearch.contains(hay, $0) } }
    }
}
