//! The question board as people read it: a heading with the session and its time left,
//! the approved questions ranked, the answered ones struck through below. It always fits
//! one event: past [`MAX_BYTES`], the lowest-ranked lines give way to an "…and N more"
//! line, counted as the board is built rather than cut from the bottom after.

use crate::present::message::{isolate, Message, MAX_BYTES};
use crate::present::render::{self, plural};
use crate::questions::{name_or_id, shorten, Board, BoardEntry, BoardPhase, LIST_TEXT_LIMIT};
use chrono::TimeDelta;

/// How much of an asker's display name the board shows, in characters.
const NAME_LIMIT: usize = 64;
/// How much of a session's title the heading shows, in characters.
const TITLE_LIMIT: usize = 200;

/// The board's message: its heading, then as many ranked questions as one event holds
/// (best first), then, if they all fit, as many answered ones as still fit. The answered
/// ones give way first: the questions still to ask matter more to the speaker than those
/// done.
pub fn message(board: &Board<'_>) -> Message {
    let mut message = Message::new();
    heading(&mut message, board);
    if board.ranked.is_empty() {
        empty(&mut message, board);
    }

    let answered_reserve = match board.answered.len() {
        0 => 0,
        n => size(|m| more(m, n, "more answered")),
    };
    let ranked_reserve = size(|m| more(m, board.ranked.len(), "more questions"));
    let mut used = size_of(&message);
    let mut shown = 0;
    for (i, entry) in board.ranked.iter().enumerate() {
        let line = size(|m| ranked(m, i + 1, entry));
        let after = if i + 1 < board.ranked.len() { ranked_reserve } else { 0 };
        if used + line + after + answered_reserve > MAX_BYTES {
            break;
        }
        ranked(&mut message, i + 1, entry);
        used += line;
        shown += 1;
    }
    if shown < board.ranked.len() {
        // No answered question before every one still to ask.
        more(&mut message, board.ranked.len() - shown, "more questions");
        if !board.answered.is_empty() {
            more(&mut message, board.answered.len(), "answered");
        }
        return message;
    }

    let mut shown = 0;
    for (i, entry) in board.answered.iter().enumerate() {
        let line = size(|m| answered(m, i == 0, entry));
        let after = if i + 1 < board.answered.len() {
            answered_reserve
        } else {
            0
        };
        if used + line + after > MAX_BYTES {
            break;
        }
        answered(&mut message, i == 0, entry);
        used += line;
        shown += 1;
    }
    match board.answered.len() - shown {
        0 => {}
        left if shown == 0 => more(&mut message, left, "answered"),
        left => more(&mut message, left, "more answered"),
    }
    message
}

/// "**Title** · Pagoda room · 09:25–09:50 CET · 23 minutes left".
fn heading(message: &mut Message, board: &Board<'_>) {
    let session = board.session;
    message.strong(&isolate(&shorten(&session.title, TITLE_LIMIT)));
    if let Some(room) = &session.room {
        message.text(&format!(" · {}", isolate(&shorten(room, TITLE_LIMIT))));
    }
    message.text(&format!(" · {} · ", render::when(session)));
    match board.phase {
        BoardPhase::Upcoming { starts_in } => message.text(&format!("starts in {}", minutes(starts_in))),
        BoardPhase::Running { left } => message.text(&format!("{} left", minutes(left))),
        BoardPhase::QandA { left } => message.strong(&format!("Q&A: {} left", minutes(left))),
        BoardPhase::Ended => message.text(&format!("ended at {}", render::clock_zone(&session.end))),
    };
}

/// "23 minutes", "1 hour 5 minutes".
fn minutes(span: TimeDelta) -> String {
    render::minutes_span(span.num_minutes().max(0) as u64)
}

/// The line in place of the ranked questions when there are none.
fn empty(message: &mut Message, board: &Board<'_>) {
    message.line_break();
    match (board.phase, board.answered.is_empty()) {
        (BoardPhase::Ended, true) => {
            message.text("No questions.");
        }
        (BoardPhase::Ended, false) => {
            message.text("No questions left.");
        }
        (_, none_answered) => {
            message
                .text(if none_answered {
                    "No questions yet: ask with "
                } else {
                    "No questions waiting: ask with "
                })
                .command("ask QUESTION")
                .text(".");
        }
    }
}

/// "1. Q7 · 3 votes · Alice: text".
fn ranked(message: &mut Message, rank: usize, entry: &BoardEntry) {
    message
        .line_break()
        .text(&format!("{rank}. "))
        .strong(&format!("Q{}", entry.number))
        .text(&format!(" · {}", about(entry)));
}

/// "✓ Q3 · 1 vote · Bob: text", struck through in HTML, under "Answered:" for the first.
fn answered(message: &mut Message, first: bool, entry: &BoardEntry) {
    if first {
        message.line_break().text("Answered:");
    }
    message
        .line_break()
        .text("✓ ")
        .struck(&format!("Q{} · {}", entry.number, about(entry)));
}

/// "3 votes · Alice: text", the name and the text on one line, cut and isolated.
fn about(entry: &BoardEntry) -> String {
    format!(
        "{} · {}: {}",
        plural(u64::from(entry.votes), "vote"),
        isolate(&shorten(&name_or_id(&entry.asker_name, &entry.asker), NAME_LIMIT)),
        isolate(&shorten(&entry.text, LIST_TEXT_LIMIT))
    )
}

/// "…and 12 more questions".
fn more(message: &mut Message, count: usize, what: &str) {
    message.line_break().text(&format!("…and {count} {what}"));
}

/// The bytes that `add` adds to a message, plain and HTML together.
fn size(add: impl FnOnce(&mut Message)) -> usize {
    let mut message = Message::new();
    add(&mut message);
    size_of(&message)
}

fn size_of(message: &Message) -> usize {
    message.body().len() + message.html().len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::questions::{board, Question, Status, Triage};
    use crate::testing::{at, centos};

    /// 09:26 on the day, in the conference's zone, without parsing the schedule again.
    fn asked() -> chrono::DateTime<chrono_tz::Tz> {
        crate::time::parse_instant("2023-02-03T09:26", chrono_tz::Europe::Brussels).unwrap()
    }

    fn question(number: u64, votes: u32, name: &str, text: &str, status: Status) -> Question {
        Question {
            number,
            ask_event: format!("$ask{number}"),
            session_id: "alma".into(),
            asker: format!("@asker{number}:example.org"),
            asker_name: name.into(),
            text: text.into(),
            asked_at: asked() + TimeDelta::seconds(number as i64),
            status,
            votes,
            receipt_event: None,
            relay_event: None,
            speakers_event: None,
            triage: None,
        }
    }

    fn small() -> Vec<Question> {
        let mut done = question(3, 1, "Bob", "Is it open source?", Status::Answered);
        done.triage = Some(Triage {
            event: "$done".into(),
            by: "@mod:example.org".into(),
            at: at(&centos(), "2023-02-03T09:30"),
            before: Status::Approved,
        });
        vec![
            question(2, 1, "Carol", "What about\nRISC-V?", Status::Approved),
            question(7, 3, "Alice", "When is 9.2 out?", Status::Approved),
            question(4, 9, "Eve", "Pending", Status::Pending),
            done,
        ]
    }

    #[test]
    fn a_small_board_reads_the_same_in_plain_text_and_html() {
        let s = centos();
        let alma = s.session("alma").unwrap();
        let m = message(&board(alma, &small(), at(&s, "2023-02-03T09:27")));
        assert_eq!(
            m.body(),
            "AlmaLinux Build System and Project Updates · Pagoda room · 09:25–09:50 CET · 23 minutes left\n\
             1. Q7 · 3 votes · Alice: When is 9.2 out?\n\
             2. Q2 · 1 vote · Carol: What about RISC-V?\n\
             Answered:\n\
             ✓ Q3 · 1 vote · Bob: Is it open source?"
        );
        assert_eq!(
            m.html(),
            "<strong>AlmaLinux Build System and Project Updates</strong> · Pagoda room · 09:25–09:50 CET · 23 minutes left<br>\n\
             1. <strong>Q7</strong> · 3 votes · Alice: When is 9.2 out?<br>\n\
             2. <strong>Q2</strong> · 1 vote · Carol: What about RISC-V?<br>\n\
             Answered:<br>\n\
             ✓ <del>Q3 · 1 vote · Bob: Is it open source?</del>"
        );
    }

    #[test]
    fn the_heading_says_the_phase() {
        let s = centos();
        let alma = s.session("alma").unwrap();
        let first_line = |local: &str| {
            let m = message(&board(alma, &[], at(&s, local)));
            let (plain, html) = (m.body().lines().next().unwrap(), m.html().lines().next().unwrap());
            let phase = |line: &str| line.trim_end_matches("<br>").rsplit(" · ").next().unwrap().to_string();
            (phase(plain), phase(html))
        };
        let same = |text: &str| (text.to_string(), text.to_string());
        assert_eq!(first_line("2023-02-03T09:20"), same("starts in 5 minutes"));
        assert_eq!(first_line("2023-02-03T08:20"), same("starts in 1 hour 5 minutes"));
        assert_eq!(first_line("2023-02-03T09:25"), same("25 minutes left"));
        assert_eq!(
            first_line("2023-02-03T09:46"),
            (
                "Q&A: 4 minutes left".to_string(),
                "<strong>Q&amp;A: 4 minutes left</strong>".to_string()
            )
        );
        assert_eq!(first_line("2023-02-03T09:50"), same("ended at 09:50 CET"));
    }

    #[test]
    fn an_empty_board_says_how_to_ask_with_the_configured_prefix() {
        let s = centos();
        let alma = s.session("alma").unwrap();
        let now = at(&s, "2023-02-03T09:30");
        let body = |questions: &[Question], now| {
            message(&board(alma, questions, now))
                .with_prefix("?")
                .body()
                .to_string()
        };
        assert!(body(&[], now).ends_with("\nNo questions yet: ask with ?ask QUESTION."));
        let answered = &small()[3..];
        assert!(body(answered, now).contains("\nNo questions waiting: ask with ?ask QUESTION.\nAnswered:\n"));
        assert!(body(&[], alma.end).ends_with("\nNo questions."));
        assert!(body(answered, alma.end).contains("\nNo questions left.\nAnswered:\n"));
    }

    #[test]
    fn typed_names_and_texts_are_escaped_and_kept_to_their_place() {
        let s = centos();
        let alma = s.session("alma").unwrap();
        let questions = [
            question(
                1,
                2,
                "<script>alert(1)</script>\n1. Q9",
                "a<b & \"c\"\n2. Q8",
                Status::Approved,
            ),
            question(2, 1, "Mallory \u{202E}", "\u{202E}?sdrawkcab", Status::Answered),
            question(3, 0, " \n ", "Nameless", Status::Approved),
        ];
        let m = message(&board(alma, &questions, at(&s, "2023-02-03T09:30")));
        let lines: Vec<&str> = m.body().lines().skip(1).collect();
        assert_eq!(
            lines,
            [
                "1. Q1 · 2 votes · <script>alert(1)</script> 1. Q9: a<b & \"c\" 2. Q8",
                "2. Q3 · 0 votes · @asker3:example.org: Nameless",
                "Answered:",
                "✓ Q2 · 1 vote · \u{2068}Mallory \u{202E}\u{202C}\u{2069}: \u{2068}\u{202E}?sdrawkcab\u{202C}\u{2069}",
            ]
        );
        let html: Vec<&str> = m.html().lines().skip(1).collect();
        assert_eq!(
            html,
            [
                "1. <strong>Q1</strong> · 2 votes · &lt;script&gt;alert(1)&lt;/script&gt; 1. Q9: a&lt;b &amp; &quot;c&quot; 2. Q8<br>",
                "2. <strong>Q3</strong> · 0 votes · @asker3:example.org: Nameless<br>",
                "Answered:<br>",
                "✓ <del>Q2 · 1 vote · \u{2068}Mallory \u{202E}\u{202C}\u{2069}: \u{2068}\u{202E}?sdrawkcab\u{202C}\u{2069}</del>",
            ]
        );
    }

    /// Hundreds of long questions whose every character costs the most HTML there is.
    fn crowd(count: u64, status: Status) -> Vec<Question> {
        (1..=count)
            .map(|n| {
                let text = format!("{n} {}", "<&> é 😀 \"".repeat(200));
                let mut q = question(n, (count - n) as u32, &"Ünïcødé <&>".repeat(20), &text, status.clone());
                q.asked_at = asked();
                q
            })
            .collect()
    }

    fn fitted(questions: &[Question]) -> Message {
        let s = centos();
        let alma = s.session("alma").unwrap();
        let m = message(&board(alma, questions, at(&s, "2023-02-03T09:46")));
        assert!(size_of(&m) <= MAX_BYTES, "{} bytes", size_of(&m));
        assert_eq!(m.body().lines().count(), m.html().matches("<br>").count() + 1);
        m
    }

    #[test]
    fn a_crowded_board_fits_one_event_and_counts_what_it_leaves_out() {
        let mut questions = crowd(300, Status::Approved);
        questions.extend(crowd(300, Status::Answered).into_iter().map(|mut q| {
            q.number += 1000;
            q
        }));
        let m = fitted(&questions);
        let lines: Vec<&str> = m.body().lines().collect();
        assert!(lines[1].starts_with("1. Q1 · 299 votes · Ünïcødé <&>"), "{}", lines[1]);
        let shown = lines.iter().filter(|l| l.contains(" · Ünïcødé")).count();
        assert!(shown > 5, "{shown}");
        assert_eq!(lines[shown + 1], format!("…and {} more questions", 300 - shown));
        assert_eq!(lines[shown + 2], "…and 300 answered");
        assert_eq!(lines.len(), shown + 3);
        assert!(m.html().ends_with("<br>\n…and 300 answered"));
        assert!(size_of(&m) > MAX_BYTES - 2_000, "it fills the event: {}", size_of(&m));
    }

    #[test]
    fn the_answered_list_is_cut_after_the_ranked_one_fits() {
        let mut questions = crowd(3, Status::Approved);
        questions.extend(crowd(300, Status::Answered).into_iter().map(|mut q| {
            q.number += 1000;
            q
        }));
        let m = fitted(&questions);
        let lines: Vec<&str> = m.body().lines().collect();
        assert!(lines[3].starts_with("3. Q3 · 0 votes"), "{}", lines[3]);
        assert_eq!(lines[4], "Answered:");
        let shown = lines.iter().filter(|l| l.starts_with("✓ Q")).count();
        assert!(shown > 5, "{shown}");
        assert_eq!(lines[lines.len() - 1], format!("…and {} more answered", 300 - shown));
        assert_eq!(lines.len(), 4 + 1 + shown + 1);
        let last = format!("</del><br>\n…and {} more answered", 300 - shown);
        assert!(m.html().ends_with(&last), "{}", &m.html()[m.html().len() - 200..]);
    }

    #[test]
    fn the_last_question_needs_no_room_for_a_count() {
        // One question more at a time: all shown until the first cut, which counts the rest.
        let mut count = 1;
        while !fitted(&crowd(count, Status::Approved)).body().contains("…and") {
            count += 1;
        }
        assert!(count > 5, "{count}");
        let cut = fitted(&crowd(count, Status::Approved));
        let lines: Vec<&str> = cut.body().lines().collect();
        let shown = lines.len() as u64 - 2;
        assert_eq!(lines[lines.len() - 1], format!("…and {} more questions", count - shown));
        assert!(shown >= count - 2, "{shown} of {count}");
    }
}
