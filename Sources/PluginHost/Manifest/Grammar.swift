/// The small grammars manifest fields follow, checked by hand: Swift `Regex` costs tens of
/// microseconds per match and hundreds on first use, which would dominate loading a plugin.
public enum Grammar {
    /// Lowercase letters and digits in groups separated by one of `separators`
    /// (`switchboard.webhook`, `datto`, `run-script`).
    public static func isLowercaseName(_ text: String, separators: Set<UInt8>) -> Bool {
        var previousWasSeparator = true
        for byte in text.utf8 {
            if isLowercaseAlphanumeric(byte) {
                previousWasSeparator = false
            } else if separators.contains(byte), !previousWasSeparator {
                previousWasSeparator = true
            } else {
                return false
            }
        }
        return !previousWasSeparator
    }

    /// `area:name`, each part a dash-separated lowercase name (`action:run-script`).
    public static func isPermission(_ text: String) -> Bool {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        return parts.count == 2 && parts.allSatisfy { isLowercaseName(String($0), separators: [0x2d]) }
    }

    /// A C identifier (`switchboard_webhook_init`).
    static func isCIdentifier(_ text: String) -> Bool {
        guard let first = text.utf8.first, isLetter(first) || first == UInt8(ascii: "_") else { return false }
        return text.utf8.allSatisfy { isLetter($0) || isDigit($0) || $0 == UInt8(ascii: "_") }
    }

    /// A configuration field name: a letter, then letters, digits and underscores (`APIEndpoint`).
    static func isFieldName(_ text: String) -> Bool {
        guard let first = text.utf8.first, isLetter(first) else { return false }
        return isCIdentifier(text)
    }

    /// Exactly 64 hexadecimal digits.
    static func isSHA256(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { isDigit($0) || (0x61...0x66).contains($0 | 0x20) }
    }

    /// Semantic Versioning 2.0.0: `MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]`, numbers without
    /// leading zeros, identifiers of `[0-9A-Za-z-]`, numeric prerelease identifiers without
    /// leading zeros.
    static func isSemanticVersion(_ text: String) -> Bool {
        var rest = Substring(text)
        var build: Substring?
        if let plus = rest.firstIndex(of: "+") {
            build = rest[rest.index(after: plus)...]
            rest = rest[..<plus]
        }
        var prerelease: Substring?
        if let dash = rest.firstIndex(of: "-") {
            prerelease = rest[rest.index(after: dash)...]
            rest = rest[..<dash]
        }
        let core = rest.split(separator: ".", omittingEmptySubsequences: false)
        guard core.count == 3, core.allSatisfy(isNumber) else { return false }
        if let prerelease {
            let identifiers = prerelease.split(separator: ".", omittingEmptySubsequences: false)
            guard identifiers.allSatisfy({ isVersionIdentifier($0) && (!$0.utf8.allSatisfy(isDigit) || isNumber($0)) }) else {
                return false
            }
        }
        if let build {
            guard build.split(separator: ".", omittingEmptySubsequences: false).allSatisfy(isVersionIdentifier) else { return false }
        }
        return true
    }

    /// Digits without a leading zero (`0`, `12`).
    private static func isNumber(_ text: Substring) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy(isDigit) && (text.utf8.count == 1 || text.utf8.first != UInt8(ascii: "0"))
    }

    private static func isVersionIdentifier(_ text: Substring) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { isLetter($0) || isDigit($0) || $0 == UInt8(ascii: "-") }
    }

    private static func isLowercaseAlphanumeric(_ byte: UInt8) -> Bool { (0x61...0x7a).contains(byte) || isDigit(byte) }
    private static func isLetter(_ byte: UInt8) -> Bool { (0x41...0x5a).contains(byte) || (0x61...0x7a).contains(byte) }
    private static func isDigit(_ byte: UInt8) -> Bool { (0x30...0x39).contains(byte) }
}
