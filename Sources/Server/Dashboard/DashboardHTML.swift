/// A dashboard page as one self-contained HTML document: inline style, no scripts or external assets,
/// reloaded by the browser every 30 seconds.
///
/// ```swift
/// let html = DashboardHTML.render(page)   // served as text/html; charset=utf-8
/// ```
public enum DashboardHTML {
    /// The `Content-Type` of the rendered page.
    public static let contentType = "text/html; charset=utf-8"

    public static func render(_ page: DashboardPage) -> String {
        var html = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta http-equiv="refresh" content="30">
            <title>\(escaped(page.title))</title>
            <style>
            body{font-family:system-ui,sans-serif;margin:2em;color:#222}
            dl{display:flex;flex-wrap:wrap;gap:1em}
            dl div{border:1px solid #ccc;border-radius:6px;padding:.6em 1em}
            dt{font-size:.85em;color:#666}dd{margin:0;font-size:1.6em}
            table{border-collapse:collapse}th,td{border-bottom:1px solid #ddd;padding:.3em .8em;text-align:left}
            </style>
            </head>

            """
        html += "<body>\n<h1>\(escaped(page.title))</h1>\n"
        if !page.figures.isEmpty {
            html += "<dl>\n"
            for figure in page.figures {
                html += "<div><dt>\(escaped(figure.label))</dt><dd>\(escaped(figure.value))</dd></div>\n"
            }
            html += "</dl>\n"
        }
        for table in page.tables {
            html += "<h2>\(escaped(table.title))</h2>\n<table>\n<thead><tr>"
            html += table.headers.map { "<th>\(escaped($0))</th>" }.joined()
            html += "</tr></thead>\n<tbody>\n"
            for row in table.rows {
                html += "<tr>" + row.map { "<td>\(escaped($0))</td>" }.joined() + "</tr>\n"
            }
            html += "</tbody>\n</table>\n"
        }
        html += "</body>\n</html>\n"
        return html
    }

    /// Text safe in element content and in quoted attribute values.
    private static func escaped(_ text: String) -> String {
        var result = ""
        for character in text.unicodeScalars {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            default: result.unicodeScalars.append(character)
            }
        }
        return result
    }
}
