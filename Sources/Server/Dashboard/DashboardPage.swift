/// What `GET /` shows: a title, a list of figures, and tables. All text is HTML-escaped when rendered.
///
/// ```swift
/// DashboardPage(title: "Switchboard", figures: [DashboardFigure(label: "Open tickets", value: "12")],
///               tables: [DashboardTable(title: "Latest alerts", headers: ["Device", "Alert"], rows: [["srv-01", "Disk full"]])])
/// ```
public struct DashboardPage: Sendable, Equatable {
    public var title: String
    public var figures: [DashboardFigure]
    public var tables: [DashboardTable]

    public init(title: String, figures: [DashboardFigure] = [], tables: [DashboardTable] = []) {
        self.title = title
        self.figures = figures
        self.tables = tables
    }
}

/// One labelled value, e.g. "Open tickets: 12".
public struct DashboardFigure: Sendable, Equatable {
    public var label: String
    public var value: String

    public init(label: String, value: String) {
        self.label = label
        self.value = value
    }
}

/// A small table: a title, column headers, and rows of cells.
public struct DashboardTable: Sendable, Equatable {
    public var title: String
    public var headers: [String]
    public var rows: [[String]]

    public init(title: String, headers: [String], rows: [[String]]) {
        self.title = title
        self.headers = headers
        self.rows = rows
    }
}
