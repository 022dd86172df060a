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

/// A Markdown table, one row a question; `|` is escaped and line breaks become `<br>`.
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
        .replace("\r\n", "\n")
        .replace('\r', "\n")
        .replace('|', "\\|")
        .replace('\n', "<br>")
}

/// CSV as RFC 4180 writes it: a header row, CRLF line ends, and fields holding a comma, a
/// quote or a line break in double quotes with quotes doubled. Times are RFC 3339.
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

fn csv_field(field: &str) -> String {
    if field.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
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
        crate::schedule::native::parse(include_str!("../data/centos-connect-2023.toml"), "c", None)
            .unwrap()
            .schedule
    }

    #[test]
    fn csv_quotes_what_needs_quoting_and_ends_lines_with_crlf() {
        assert_eq!(
            csv(&questions(), Some(&schedule())),
            "number,session,title,asker,asker_name,asked_at,status,reason,votes,text\r\n\
             12,network,Network management in Enterprise Linux: present and future,@alice:example.org,\"Alice, \"\"Al\"\"\",2023-02-03T14:20:00+01:00,rejected,off topic,3,\"a|b, \"\"c\"\"\nsecond line\"\r\n\
             13,gone,,@bob:example.org,Bob,2023-02-03T14:20:00+01:00,pending,,0,Plain\r\n"
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
