//! The words of the speakers' cues in the backstage, and of the check-in warning to the
//! moderators. Speakers with a Matrix ID are mentioned (a pill that notifies them);
//! the others are named.

use crate::plan::Cue;
use crate::present::message::{isolate, Message};
use crate::present::render;
use crate::schedule::{Session, Speaker};
use crate::time;

/// The cue `cue` of `session`, addressed to its `speakers` (with their Matrix IDs, where
/// known). `late` marks one posted after its time.
pub fn message(session: &Session, cue: Cue, speakers: &[(&Speaker, Option<&str>)], late: bool) -> Message {
    let mut message = Message::new();
    if late {
        message.em("(late) ");
    }
    for (i, (speaker, matrix)) in speakers.iter().enumerate() {
        if i > 0 {
            message.text(", ");
        }
        match matrix {
            Some(user) => message.mention(user, &isolate(&speaker.name)),
            None => message.text(&isolate(&speaker.name)),
        };
    }
    if !speakers.is_empty() {
        message.text(": ");
    }
    let title = isolate(&session.title);
    match cue {
        Cue::OnSoon => {
            message
                .text("you're on in 5 minutes: ")
                .strong(&title)
                .text(&format!(", {}.", render::when(session)));
        }
        Cue::FiveLeft => {
            message.text("5 minutes left in ").strong(&title).text(&format!(
                " (until {} {}).",
                time::clock(&session.end),
                time::zone_abbreviation(&session.end)
            ));
        }
        Cue::LastMinute => {
            message.strong("Q&A: 1 minute left").text(" in ").text(&title).text(".");
        }
    }
    message
}

/// The moderators' word that `missing` (speakers with their Matrix IDs) have not spoken or
/// reacted in the backstage of `session` yet.
pub fn not_checked_in(session: &Session, missing: &[(&Speaker, &str)]) -> Message {
    let mut message = Message::new();
    message.strong("Not checked in yet: ");
    for (i, (speaker, user)) in missing.iter().enumerate() {
        if i > 0 {
            message.text(", ");
        }
        // Named, not mentioned: the word is for the moderators, not a ping to the speaker.
        message.text(&format!("{} ({user})", isolate(&speaker.name)));
    }
    message
        .text(&format!(
            " for {} at {}",
            isolate(&session.title),
            time::clock(&session.start)
        ))
        .text(&format!(" {}", time::zone_abbreviation(&session.start)));
    if let Some(room) = &session.room {
        message.text(&format!(" in {}", isolate(room)));
    }
    message
        .text(". If they will not come, ")
        .command(&format!("noshow {}", session.id))
        .text(" silences the cues.");
    message
}

/// The reply to `!noshow`.
pub fn silenced(session: &Session) -> Message {
    let mut message = Message::new();
    message
        .text("No cues or check-in for ")
        .strong(&isolate(&session.title))
        .text(&format!(
            " ({} {}): its speakers will not come.",
            time::clock(&session.start),
            time::zone_abbreviation(&session.start)
        ));
    message
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::native;

    fn session_and_speakers() -> (crate::schedule::Schedule, Speaker) {
        let schedule = native::parse(
            include_str!("../../../../tests/fixtures/two-tracks.toml"),
            "two-tracks.toml",
            None,
        )
        .unwrap()
        .schedule;
        let ana = schedule.speaker("ana").unwrap().clone();
        (schedule, ana)
    }

    #[test]
    fn a_cue_mentions_the_speakers_with_a_matrix_id_and_names_the_others() {
        let (schedule, ana) = session_and_speakers();
        let session = schedule.session("kernel-intro").unwrap();
        let bo = schedule.speaker("bo").unwrap();
        let speakers = [(&ana, Some("@ana:example.org")), (bo, None)];
        let on = message(session, Cue::OnSoon, &speakers, false);
        assert_eq!(
            on.body(),
            "Ana Lima, Bo Nilsson: you're on in 5 minutes: The kernel for the curious, 09:00–09:45 CET."
        );
        assert!(on
            .html()
            .starts_with("<a href=\"https://matrix.to/#/@ana:example.org\">Ana Lima</a>, Bo Nilsson: "));
        assert_eq!(on.mentions().users, ["@ana:example.org"]);
        assert!(!on.mentions().room);
        assert_eq!(
            message(session, Cue::FiveLeft, &speakers, false).body(),
            "Ana Lima, Bo Nilsson: 5 minutes left in The kernel for the curious (until 09:45 CET)."
        );
        assert_eq!(
            message(session, Cue::LastMinute, &speakers[1..], true).body(),
            "(late) Bo Nilsson: Q&A: 1 minute left in The kernel for the curious."
        );
    }

    #[test]
    fn the_check_in_word_names_who_is_missing_and_how_to_silence_the_cues() {
        let (schedule, ana) = session_and_speakers();
        let session = schedule.session("kernel-intro").unwrap();
        let word = not_checked_in(session, &[(&ana, "@ana:example.org")]);
        assert_eq!(
            word.body(),
            "Not checked in yet: Ana Lima (@ana:example.org) for The kernel for the curious at 09:00 CET in Hall A. \
             If they will not come, !noshow kernel-intro silences the cues."
        );
        assert!(word.mentions().users.is_empty());
    }
}
