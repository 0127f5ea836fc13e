extension Sequence<UInt8> {
    /// Lowercase hexadecimal, two digits a byte: how generated keys, stored token hashes and CSRF
    /// tokens are written.
    var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        return String(decoding: flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0x0f)]] }, as: UTF8.self)
    }
}
