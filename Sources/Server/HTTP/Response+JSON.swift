import HTTPTypes
import Hummingbird

extension Response {
    /// A body with its content type and length.
    static func text(_ status: Int, contentType: String, _ body: String, headers: HTTPFields = [:]) -> Response {
        var headers = headers
        headers[.contentType] = contentType
        return Response(status: HTTPResponse.Status(code: status), headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }

    static func json(_ status: Int, _ json: String, headers: HTTPFields = [:]) -> Response {
        text(status, contentType: "application/json", json, headers: headers)
    }

    /// `{"error":"<message>"}`.
    static func error(_ status: Int, _ message: String, headers: HTTPFields = [:]) -> Response {
        json(status, #"{"error":"# + quoted(message) + "}", headers: headers)
    }

    /// A JSON string literal.
    private static func quoted(_ text: String) -> String {
        var result = "\""
        for character in text.unicodeScalars {
            switch character {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where character.value < 0x20:
                let hex = String(character.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: result.unicodeScalars.append(character)
            }
        }
        return result + "\""
    }
}
