extension StringProtocol {
    /// The text without the spaces and tabs around it (HTTP's optional whitespace). Foundation's
    /// `trimmingCharacters(in:)` goes through `NSString`: on every request it cost more than
    /// checking the bearer token itself.
    var trimmingBlanks: SubSequence {
        let blank: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !blank($0) }), let last = lastIndex(where: { !blank($0) }) else {
            return self[endIndex...]
        }
        return self[first...last]
    }
}
