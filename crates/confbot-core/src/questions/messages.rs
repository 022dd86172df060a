//! Every message the question flow posts: receipts, the moderators' relay, the speakers'
//! copy, lists, leftovers and the asker's notices.

use super::*;

/// A question's session as the messages show it; a session the schedule no longer has
/// (changed by a reload) is shown by its id.
pub(super) struct About<'s> {
    id: &'s str,
    session: Option<&'s Session>,
}

impl<'s> About<'s> {
    pub(super) fn of(schedule: &'s Schedule, id: &'s str) -> About<'s> {
        About {
            id,
            session: schedule.session(id),
        }
    }

    /// "'Title'", or "session #id".
    fn title(&self) -> String {
        match self.session {
            Some(s) => format!("'{}'", s.title),
            None => format!("session #{}", self.id),
        }
    }

    /// "'Title' (Pagoda room)".
    fn title_room(&self) -> String {
        match self.session.and_then(|s| s.room.as_deref()) {
            Some(room) => format!("{} ({room})", self.title()),
            None => self.title(),
        }
    }

    /// "'Title' (Pagoda room, 14:15–14:40 CET)".
    fn title_room_time(&self) -> String {
        let Some(session) = self.session else {
            return self.title();
        };
        let mut parts: Vec<String> = session.room.iter().cloned().collect();
        parts.push(render::when(session));
        format!("{} ({})", self.title(), parts.join(", "))
    }
}

/// The reply to the asker once their question is stored as `number`.
pub fn receipt(number: u64, target: &Target<'_>, now: DateTime<Tz>) -> Message {
    let session = target.session;
    let starts = || {
        let mut parts: Vec<String> = session.room.iter().cloned().collect();
        parts.push(format!(
            "{}, {}",
            short_instant(&session.start, now),
            render::relative(now, session.start)
        ));
        parts.join(", ")
    };
    let first = match target.timing {
        Timing::Running => format!("Question Q{number} for '{}' sent to the moderators.", session.title),
        Timing::Next => format!(
            "No session is running here now, so question Q{number} is kept for the next one, '{}' ({}), and sent to the moderators.",
            session.title,
            starts()
        ),
        Timing::Upcoming => format!(
            "Question Q{number} for '{}' ({}) sent to the moderators; it waits for the session to start.",
            session.title,
            starts()
        ),
    };
    let mut message = Message::new();
    message
        .text(&first)
        .line_break()
        .text("Others can support it: react 👍 to this message or send ")
        .command(&format!("upvote Q{number}"))
        .text(".");
    message
}

/// The question in the moderators room: number, session and room, who asked (display name
/// and Matrix ID, since names can be spoofed), when, and the text as typed, line breaks
/// kept, never shortened; last, how to react while it is pending, or its
/// [`status_line`] once moderated (the post is edited in place). The adapter sets
/// `m.mentions` so that nobody is pinged.
pub fn relay(schedule: &Schedule, question: &Question) -> Message {
    let about = About::of(schedule, &question.session_id);
    let mut message = Message::new();
    message
        .strong(&format!("Q{}", question.number))
        .text(&format!(" for {}", about.title_room_time()))
        .line_break()
        .text("From ");
    asker(&mut message, question);
    let reference = about.session.map_or(question.asked_at, |s| s.start);
    message.text(&format!(" at {}", short_instant(&question.asked_at, reference)));
    if about.session.is_some_and(|s| question.asked_at < s.start) {
        message.text(", before the session started");
    }
    message.line_break();
    as_typed(&mut message, &question.text);
    let status = status_line(question);
    message.line_break().text(
        status
            .as_deref()
            .unwrap_or("React ✅ approve · ❌ reject · 💬 answered"),
    );
    message
}

/// An approved question in the speakers room, one message each, in full.
pub fn to_speakers(schedule: &Schedule, question: &Question) -> Message {
    let about = About::of(schedule, &question.session_id);
    let mut message = Message::new();
    message
        .strong(&format!("Q{}", question.number))
        .text(&format!(" for {}", about.title_room()));
    if question.votes > 0 {
        message.text(&format!(" · {}", plural(u64::from(question.votes), "vote")));
    }
    message.line_break();
    as_typed(&mut message, &question.text);
    message.line_break().text(&format!("Asked by {}", shown_name(question)));
    message
}

/// `!questions`: the open questions of each session, by votes, each text on one line and
/// cut near [`LIST_TEXT_LIMIT`] characters. `entries` pairs each session with its stored
/// questions (any status, any order).
pub fn list(entries: &[(&Session, Vec<Question>)]) -> Message {
    let mut message = Message::new();
    for (i, (session, questions)) in entries.iter().enumerate() {
        if i > 0 {
            message.line_break();
        }
        let about = About {
            id: &session.id,
            session: Some(session),
        };
        let mut open: Vec<Question> = questions.iter().filter(|q| q.status.is_open()).cloned().collect();
        by_votes(&mut open);
        if open.is_empty() {
            message.text(&format!("No open questions for {}.", about.title_room_time()));
        } else {
            message.text(&format!("Open questions for {}, by votes:", about.title_room_time()));
        }
        for question in &open {
            message.line_break().text(&format!(
                "  Q{} · {} · {} · ",
                question.number,
                plural(u64::from(question.votes), "vote"),
                question.status
            ));
            asker(&mut message, question);
            message.text(&format!(": {}", isolate(&shorten(&question.text, LIST_TEXT_LIMIT))));
        }
        let closed: Vec<String> = ["answered", "rejected", "withdrawn"]
            .iter()
            .map(|status| {
                (
                    status,
                    questions.iter().filter(|q| q.status.as_str() == *status).count(),
                )
            })
            .filter(|(_, n)| *n > 0)
            .map(|(status, n)| format!("{n} {status}"))
            .collect();
        if !closed.is_empty() {
            message
                .line_break()
                .text(&format!("  Not shown: {}.", closed.join(", ")));
        }
    }
    message
}

/// The speakers-room list when `session` has ended: its approved questions not marked
/// answered, by votes; `None` when there are none. Texts are cut as in [`list`]: each was
/// posted in full when approved.
pub fn leftovers(session: &Session, questions: &[Question]) -> Option<Message> {
    let mut left: Vec<Question> = questions
        .iter()
        .filter(|q| q.status == Status::Approved)
        .cloned()
        .collect();
    if left.is_empty() {
        return None;
    }
    by_votes(&mut left);
    let about = About {
        id: &session.id,
        session: Some(session),
    };
    let mut message = Message::new();
    message.text(&format!(
        "{} has ended with {} not marked answered, by votes:",
        about.title_room(),
        plural(left.len() as u64, "approved question")
    ));
    for question in &left {
        message
            .line_break()
            .text("  ")
            .strong(&format!("Q{}", question.number))
            .text(&format!(
                " · {}: {}",
                plural(u64::from(question.votes), "vote"),
                isolate(&shorten(&question.text, LIST_TEXT_LIMIT))
            ));
    }
    Some(message)
}

/// What the asker is told when `question` becomes `status` (when `[questions] notify_asker`
/// is on): passed on, answered, or rejected with the reason. [`transition`] includes it.
pub fn notify_asker(schedule: &Schedule, question: &Question, status: &Status) -> Message {
    notify(&About::of(schedule, &question.session_id), question.number, status)
}

pub(super) fn notify(about: &About<'_>, number: u64, status: &Status) -> Message {
    let about = about.title();
    Message::plain(&match status {
        Status::Approved => format!("Your question Q{number} for {about} was passed on to the speakers."),
        Status::Answered => format!("Your question Q{number} for {about} was marked answered. Thank you for asking!"),
        Status::Rejected { reason: Some(reason) } => {
            format!(
                "Your question Q{number} for {about} was not passed on by the moderators. Reason: {}",
                isolate(reason)
            )
        }
        Status::Rejected { reason: None } => {
            format!("Your question Q{number} for {about} was not passed on by the moderators.")
        }
        Status::Pending => format!("Your question Q{number} for {about} is waiting for the moderators."),
        Status::Withdrawn => format!("Your question Q{number} for {about} is withdrawn."),
    })
}

/// "Alice (@alice:example.org)", or just the ID when the name adds nothing. The name is put
/// on one line and isolated: a display name must not be able to fake a line of the message
/// or turn the ID after it around.
fn asker(message: &mut Message, question: &Question) {
    let name = shown_name(question);
    if name == question.asker {
        message.code(&question.asker);
    } else {
        message.text(&format!("{name} (")).code(&question.asker).text(")");
    }
}

fn shown_name(question: &Question) -> String {
    isolate(&name_or_id(&question.asker_name, &question.asker)).into_owned()
}

/// What an asker goes by, on one line: their display name with its whitespace collapsed,
/// or their Matrix ID when the name is empty. Typed text: [`isolate`] it where it is shown.
pub fn name_or_id(asker_name: &str, asker: &str) -> String {
    let name = text::collapse_whitespace(asker_name);
    if name.is_empty() {
        asker.to_string()
    } else {
        name
    }
}

/// The text as typed: every line kept, HTML and markdown shown rather than rendered, and
/// direction controls kept to their line. Every line after the first starts with "> ", in
/// the plain body and in HTML, so that no line of a question can pass for one of the
/// message's own ("React ✅ approve…", "Asked by …"). Any character a client may show as a
/// line break counts as one, not only "\n".
fn as_typed(message: &mut Message, text: &str) {
    let text = text.trim().replace("\r\n", "\n");
    let breaks = |c: char| {
        matches!(
            c,
            '\n' | '\r' | '\u{0B}' | '\u{0C}' | '\u{1C}'..='\u{1E}' | '\u{85}' | '\u{2028}' | '\u{2029}'
        )
    };
    for (i, line) in text.split(breaks).enumerate() {
        if i > 0 {
            message.line_break().text("> ");
        }
        message.text(&isolate(line));
    }
}

/// The text on one line, cut at a word boundary near `limit` characters, with "…".
pub fn shorten(text: &str, limit: usize) -> String {
    let line = text::collapse_whitespace(text);
    if line.chars().count() <= limit {
        return line;
    }
    let cut: String = line.chars().take(limit).collect();
    let end = cut.rfind(' ').filter(|&i| i > limit / 2).unwrap_or(cut.len());
    format!("{}…", cut[..end].trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::questions::testing::*;

    #[test]
    fn hostile_questions_are_refused_or_shown_as_typed() {
        let s = schedule();
        let now = at("2023-02-03T09:40");
        let rules = Rules::default();
        // Too long (70 KB is more than a Matrix event holds): refused with the limit, never cut.
        for length in [DEFAULT_MAX_LENGTH + 1, 70 * 1024] {
            let typed = format!("!ask {}", "a".repeat(length));
            let Ok(Some(crate::command::Command::Ask { text, .. })) = crate::command::Command::parse(&typed) else {
                panic!("a question")
            };
            assert_eq!(
                said(check_ask(&rules, &text, "network", &[], now).unwrap_err()),
                format!(
                    "Your question is {length} characters long; the limit is 1000. Please shorten it and ask again."
                )
            );
        }
        // Zero-width characters and @room are shown as typed: the adapter's empty m.mentions
        // keeps @room from pinging anyone.
        let typed = "Hi @room, is\u{200B}this\u{2060}ok\u{FEFF}?";
        assert_eq!(check_ask(&rules, typed, "network", &[], now), Ok(()));
        let q = question(12, "network", typed, "2023-02-03T09:35");
        for m in [relay(&s, &q), to_speakers(&s, &q)] {
            assert!(m.body().contains(&format!("\n{typed}\n")), "{}", m.body());
            assert!(m.html().contains(&format!("<br>\n{typed}<br>\n")), "{}", m.html());
        }
    }

    #[test]
    fn direction_controls_in_a_question_or_a_name_stay_inside_them() {
        let s = schedule();
        let mut q = question(
            12,
            "network",
            "\u{202E}?sdrawkcab siht sI\n<b>x</b> @room",
            "2023-02-03T09:35",
        );
        q.asker_name = "Mallory \u{2067}".into();
        let m = relay(&s, &q);
        assert_eq!(
            m.body(),
            "Q12 for 'Network management in Enterprise Linux' (Pagoda room, 09:30–10:00 CET)\n\
             From \u{2068}Mallory \u{2067}\u{2069}\u{2069} (@alice:example.org) at 09:35 CET\n\
             \u{2068}\u{202E}?sdrawkcab siht sI\u{202C}\u{2069}\n\
             > <b>x</b> @room\n\
             React ✅ approve · ❌ reject · 💬 answered"
        );
        assert_eq!(
            m.html(),
            "<strong>Q12</strong> for &#39;Network management in Enterprise Linux&#39; (Pagoda room, 09:30–10:00 CET)<br>\n\
             From \u{2068}Mallory \u{2067}\u{2069}\u{2069} (<code>@alice:example.org</code>) at 09:35 CET<br>\n\
             \u{2068}\u{202E}?sdrawkcab siht sI\u{202C}\u{2069}<br>\n\
             &gt; &lt;b&gt;x&lt;/b&gt; @room<br>\n\
             React ✅ approve · ❌ reject · 💬 answered"
        );
        assert!(to_speakers(&s, &q)
            .body()
            .ends_with("\nAsked by \u{2068}Mallory \u{2067}\u{2069}\u{2069}"));
        let network = s.session("network").unwrap();
        assert!(list(&[(network, vec![q.clone()])])
            .body()
            .ends_with(": \u{2068}\u{202E}?sdrawkcab siht sI <b>x</b> @room\u{202C}\u{2069}"));
        let t = transition(&s, &q, Action::Reject(Some("\u{202E}maps".into()))).unwrap();
        assert_eq!(t.reply.body(), "Q12 rejected (\u{2068}\u{202E}maps\u{202C}\u{2069}).");
        assert!(t
            .to_asker
            .body()
            .ends_with("Reason: \u{2068}\u{202E}maps\u{202C}\u{2069}"));
        let unknown = session_for(&s, None, Some("\u{202E}kcor"), at("2023-02-03T09:35")).unwrap_err();
        let unknown = said(unknown);
        assert!(
            unknown.starts_with("There is no session #\u{2068}\u{202E}kcor\u{202C}\u{2069}. "),
            "{unknown}"
        );
    }

    #[test]
    fn the_receipt_says_where_the_question_went() {
        let s = schedule();
        let now = at("2023-02-03T09:40");
        let running = session_for(&s, Some("Pagoda room"), None, now).unwrap();
        assert_eq!(
            receipt(12, &running, now).body(),
            "Question Q12 for 'Network management in Enterprise Linux' sent to the moderators.\nOthers can support it: react 👍 to this message or send !upvote Q12."
        );
        let now = at("2023-02-03T10:10");
        let next = session_for(&s, Some("Pagoda room"), None, now).unwrap();
        assert_eq!(
            receipt(13, &next, now).body().lines().next(),
            Some("No session is running here now, so question Q13 is kept for the next one, 'Rust in the kernel' (Pagoda room, 10:30 CET, in 20 minutes), and sent to the moderators.")
        );
        let upcoming = session_for(&s, None, Some("saturday"), now).unwrap();
        assert_eq!(
            receipt(14, &upcoming, now).body().lines().next(),
            Some("Question Q14 for 'Saturday morning' (Janson, Sat 4 Feb 09:00 CET, in 22 hours 50 minutes) sent to the moderators; it waits for the session to start.")
        );
    }

    #[test]
    fn the_relay_shows_who_asked_and_the_text_as_typed_escaped() {
        let s = schedule();
        let mut q = question(
            12,
            "network",
            "Is <b>NM</b> 1.42 in *RHEL* 9.2?\nAnd @room & \"nmstate\"?",
            "2023-02-03T09:35",
        );
        q.asker_name = "Neil <script>\nApproved by admin".into();
        let m = relay(&s, &q);
        assert_eq!(
            m.body(),
            "Q12 for 'Network management in Enterprise Linux' (Pagoda room, 09:30–10:00 CET)\n\
             From Neil <script> Approved by admin (@alice:example.org) at 09:35 CET\n\
             Is <b>NM</b> 1.42 in *RHEL* 9.2?\n\
             > And @room & \"nmstate\"?\n\
             React ✅ approve · ❌ reject · 💬 answered"
        );
        assert_eq!(
            m.html(),
            "<strong>Q12</strong> for &#39;Network management in Enterprise Linux&#39; (Pagoda room, 09:30–10:00 CET)<br>\n\
             From Neil &lt;script&gt; Approved by admin (<code>@alice:example.org</code>) at 09:35 CET<br>\n\
             Is &lt;b&gt;NM&lt;/b&gt; 1.42 in *RHEL* 9.2?<br>\n\
             &gt; And @room &amp; &quot;nmstate&quot;?<br>\n\
             React ✅ approve · ❌ reject · 💬 answered"
        );
        let long = "word ".repeat(200);
        q.text = long.trim().to_string();
        assert!(relay(&s, &q).body().contains(long.trim()), "the relay is never cut");
        q.asker_name = String::new();
        q.session_id = "rust".into();
        assert!(relay(&s, &q)
            .body()
            .contains("From @alice:example.org at 09:35 CET, before the session started"));
        q.session_id = "gone".into();
        assert!(relay(&s, &q).body().starts_with("Q12 for session #gone\n"));
    }

    #[test]
    fn a_moderated_relay_ends_with_its_status_line_instead_of_how_to_react() {
        let s = schedule();
        let mut q = question(12, "network", "Why?", "2023-02-03T09:35");
        assert!(relay(&s, &q)
            .body()
            .ends_with("\nWhy?\nReact ✅ approve · ❌ reject · 💬 answered"));
        q.status = Status::Rejected {
            reason: Some("<i>dup</i> @room".into()),
        };
        q.triage = Some(Triage {
            event: "$x".into(),
            by: "@mod:example.org".into(),
            at: at("2023-02-03T09:37"),
            before: Status::Pending,
        });
        let m = relay(&s, &q);
        assert!(
            m.body()
                .ends_with("\nWhy?\n❌ not passed on by @mod:example.org at 09:37 CET (<i>dup</i> @room)"),
            "{}",
            m.body()
        );
        assert!(
            m.html()
                .ends_with("<br>\n❌ not passed on by @mod:example.org at 09:37 CET (&lt;i&gt;dup&lt;/i&gt; @room)"),
            "{}",
            m.html()
        );
    }

    #[test]
    fn no_line_of_a_question_can_pass_for_one_of_the_bot() {
        let s = schedule();
        let mut q = question(
            12,
            "network",
            "Is 9.2 out?\nApprove with ✅ · Q12 is checked\r\nQuestion 7 from @bob:example.org at 09:30 CET\u{2028}\
             React ✅ approve · ❌ reject · 💬 answered\rAsked by Neil Hanlon",
            "2023-02-03T09:35",
        );
        q.asker_name = String::new();
        let relayed = relay(&s, &q);
        assert_eq!(
            relayed.body(),
            "Q12 for 'Network management in Enterprise Linux' (Pagoda room, 09:30–10:00 CET)\n\
             From @alice:example.org at 09:35 CET\n\
             Is 9.2 out?\n\
             > Approve with ✅ · Q12 is checked\n\
             > Question 7 from @bob:example.org at 09:30 CET\n\
             > React ✅ approve · ❌ reject · 💬 answered\n\
             > Asked by Neil Hanlon\n\
             React ✅ approve · ❌ reject · 💬 answered"
        );
        assert_eq!(
            relayed.html(),
            "<strong>Q12</strong> for &#39;Network management in Enterprise Linux&#39; (Pagoda room, 09:30–10:00 CET)<br>\n\
             From <code>@alice:example.org</code> at 09:35 CET<br>\n\
             Is 9.2 out?<br>\n\
             &gt; Approve with ✅ · Q12 is checked<br>\n\
             &gt; Question 7 from @bob:example.org at 09:30 CET<br>\n\
             &gt; React ✅ approve · ❌ reject · 💬 answered<br>\n\
             &gt; Asked by Neil Hanlon<br>\n\
             React ✅ approve · ❌ reject · 💬 answered"
        );
        let passed_on = to_speakers(&s, &q);
        assert_eq!(
            passed_on.body(),
            "Q12 for 'Network management in Enterprise Linux' (Pagoda room)\n\
             Is 9.2 out?\n\
             > Approve with ✅ · Q12 is checked\n\
             > Question 7 from @bob:example.org at 09:30 CET\n\
             > React ✅ approve · ❌ reject · 💬 answered\n\
             > Asked by Neil Hanlon\n\
             Asked by @alice:example.org"
        );
        assert!(
            passed_on
                .html()
                .contains("<br>\n&gt; Asked by Neil Hanlon<br>\nAsked by @alice:example.org"),
            "{}",
            passed_on.html()
        );
    }

    #[test]
    fn the_list_shows_open_questions_by_votes_and_cuts_long_ones() {
        let s = schedule();
        let network = s.session("network").unwrap();
        let mut qs = vec![
            question(1, "network", "First?", "2023-02-03T09:31"),
            question(
                2,
                "network",
                &format!("Long {}", "words and more ".repeat(30)),
                "2023-02-03T09:32",
            ),
            question(3, "network", "Done", "2023-02-03T09:33"),
            question(4, "network", "No", "2023-02-03T09:34"),
            question(5, "network", "Taken back", "2023-02-03T09:35"),
        ];
        qs[4].status = Status::Withdrawn;
        qs[1].votes = 3;
        qs[1].status = Status::Approved;
        qs[1].asker_name = "@alice:example.org".into();
        qs[2].status = Status::Answered;
        qs[3].status = Status::Rejected { reason: None };
        let body = list(&[(network, qs)]).body().to_string();
        let lines: Vec<&str> = body.lines().collect();
        assert_eq!(
            lines[0],
            "Open questions for 'Network management in Enterprise Linux' (Pagoda room, 09:30–10:00 CET), by votes:"
        );
        assert!(
            lines[1].starts_with("  Q2 · 3 votes · approved · @alice:example.org: Long words"),
            "{}",
            lines[1]
        );
        assert!(lines[1].ends_with("…"), "{}", lines[1]);
        let shown = lines[1].split_once(": ").unwrap().1;
        assert!(shown.chars().count() <= LIST_TEXT_LIMIT + 1, "{shown}");
        assert_eq!(
            lines[2],
            "  Q1 · 0 votes · pending · Alice (@alice:example.org): First?"
        );
        assert_eq!(lines[3], "  Not shown: 1 answered, 1 rejected, 1 withdrawn.");
        assert_eq!(lines.len(), 4);
        let rust = s.session("rust").unwrap();
        assert_eq!(
            list(&[(rust, vec![])]).body(),
            "No open questions for 'Rust in the kernel' (Pagoda room, 10:30–11:00 CET)."
        );
    }

    #[test]
    fn ended_sessions_leave_their_unanswered_approved_questions_to_the_speakers() {
        let s = schedule();
        let ended = |after: &str, until: &str| -> Vec<String> {
            sessions_ended(&s, at(after), at(until))
                .iter()
                .map(|s| s.id.clone())
                .collect()
        };
        assert_eq!(ended("2023-02-03T09:59", "2023-02-03T10:00"), ["kernel", "network"]);
        assert!(
            ended("2023-02-03T10:00", "2023-02-03T10:29").is_empty(),
            "(after, until]; breaks too"
        );
        assert_eq!(ended("2023-02-03T10:00", "2023-02-03T11:00"), ["rust"]);

        let network = s.session("network").unwrap();
        let mut qs = vec![
            question(1, "network", "Answered one", "2023-02-03T09:31"),
            question(2, "network", "Approved one", "2023-02-03T09:32"),
            question(3, "network", "Approved\npopular", "2023-02-03T09:33"),
            question(4, "network", "Pending one", "2023-02-03T09:34"),
        ];
        qs[0].status = Status::Answered;
        qs[1].status = Status::Approved;
        qs[2].status = Status::Approved;
        qs[2].votes = 1;
        assert_eq!(
            leftovers(network, &qs).unwrap().body(),
            "'Network management in Enterprise Linux' (Pagoda room) has ended with 2 approved questions not marked answered, by votes:\n  Q3 · 1 vote: Approved popular\n  Q2 · 0 votes: Approved one"
        );
        assert_eq!(leftovers(network, &qs[..1]), None);
        assert_eq!(leftovers_key("network"), "question-leftovers:network");
    }

    #[test]
    fn shortening_cuts_at_a_word_and_marks_the_cut() {
        assert_eq!(shorten("short\n text", 20), "short text");
        assert_eq!(shorten("aaaa bbbb cccc dddd", 12), "aaaa bbbb…");
        assert_eq!(shorten(&"x".repeat(30), 10), format!("{}…", "x".repeat(10)));
    }
}
