//! The replies to the commands that change what the bot will do (announcements, zones)
//! and to `!status`, from the data the app stored or read.

use crate::plan::ChatAnnouncement;
use crate::present::message::{isolate, Message};
use crate::present::render;
use crate::time;
use chrono::DateTime;
use chrono_tz::Tz;

/// The reply to `!announce`, once stored as announcement `id`: it goes to `target` at
/// `due` (at once if that is not after `now`).
pub fn announcement_scheduled(id: i64, target: &str, due: DateTime<Tz>, now: DateTime<Tz>) -> Message {
    let when = if due <= now {
        "now".to_string()
    } else {
        format!("at {}", render::instant(&due))
    };
    Message::naming(
        &format!("Announcement {id} will go to {target} {when}. Cancel it with "),
        &format!("cancel {id}"),
        ".",
    )
}

/// How long an announcement to several rooms waits for its sender's ✅.
pub const CONFIRM_WITHIN: chrono::TimeDelta = chrono::TimeDelta::minutes(10);

/// The most rooms a preview names; the count covers the rest.
const PREVIEW_ROOMS: usize = 10;

/// The reply to `!announce` to several rooms: the text as it will go out, where to and
/// when (`due`: `None` is once confirmed), and how to confirm it before `until`.
pub fn broadcast_preview(text: &str, rooms: &[String], due: Option<DateTime<Tz>>, until: DateTime<Tz>) -> Message {
    let when = due.map_or("as soon as you confirm".to_string(), |due| {
        format!("at {}", render::instant(&due))
    });
    let mut message = Message::new();
    message.text(&format!("This announcement goes to {} rooms {when}: ", rooms.len()));
    for (n, room) in rooms.iter().take(PREVIEW_ROOMS).enumerate() {
        message.text(if n == 0 { "" } else { ", " }).text(room);
    }
    if rooms.len() > PREVIEW_ROOMS {
        message.text(&format!(" and {} more", rooms.len() - PREVIEW_ROOMS));
    }
    message
        .text(". React ✅ to this message or send ")
        .command("confirm")
        .text(&format!(
            " by {} to send it; nothing goes out otherwise.",
            time::clock(&until)
        ));
    message.line_break().text("> ").text(&isolate(text));
    message
}

/// The preview of an announcement to several rooms once its sender confirmed it as
/// announcement `id`.
pub fn broadcast_confirmed(id: i64, text: &str, rooms: usize, due: Option<DateTime<Tz>>) -> Message {
    let when = due.map_or("now".to_string(), |due| format!("at {}", render::instant(&due)));
    let mut message = Message::new();
    message.text(&format!("Confirmed: announcement {id} goes to {rooms} rooms {when}. "));
    message
        .command(&format!("cancel {id}"))
        .text(" takes it back while it waits.");
    message.line_break().text("> ").text(&isolate(text));
    message
}

/// The reply to `!cancel ID`, once cancelled.
pub fn announcement_cancelled(id: u64) -> String {
    format!("Announcement {id} is cancelled.")
}

/// `!announcements`: the pending ones, with their ids.
pub fn pending_announcements(pending: &[ChatAnnouncement]) -> Message {
    if pending.is_empty() {
        return Message::plain("No announcements are pending.");
    }
    let mut message = Message::new();
    message.text("Pending announcements:");
    for a in pending {
        message
            .line_break()
            .text(&format!("  {} — {} to {}: ", a.id, render::instant(&a.due), a.target))
            .text(&isolate(&a.text));
    }
    message
}

/// `!status`: the bot's clock at `now` and the next posts, each with when it is due and
/// what it is.
pub fn status(now: DateTime<Tz>, next: &[(DateTime<Tz>, String)]) -> Message {
    let mut message = Message::new();
    message.text(&format!(
        "It is {} on the bot's clock. Next posts:",
        render::instant(&now)
    ));
    if next.is_empty() {
        message.line_break().text("  none");
    }
    for (due, what) in next {
        message
            .line_break()
            .text(&format!("  {} ({}): ", time::clock(due), render::relative(now, *due)))
            .text(what);
    }
    message
}

/// `!tz` without a zone: the sender's setting.
pub fn zone_setting(now: DateTime<Tz>, zone: Option<Tz>) -> Message {
    match zone {
        Some(zone) => Message::naming(
            &format!(
                "Times are shown in {} and in your zone, {zone} (it is {} {} there now). Send ",
                time::zone_abbreviation(&now),
                time::clock(&now.with_timezone(&zone)),
                time::zone_abbreviation(&now.with_timezone(&zone)),
            ),
            "tz off",
            " to stop.",
        ),
        None => {
            let mut message = Message::plain(&format!(
                "Times are shown in the conference's zone, {} ({}). Send ",
                now.timezone().name(),
                time::zone_abbreviation(&now)
            ));
            message
                .command("tz ZONE")
                .text(", like ")
                .command("tz America/Chicago")
                .text(", to see yours as well.");
            message
        }
    }
}

/// `!tz ZONE` or `!tz off`, once stored.
pub fn zone_changed(now: DateTime<Tz>, zone: Option<Tz>) -> Message {
    match zone {
        Some(zone) => Message::plain(&format!(
            "From now on I also show times in {zone}: it is {} {} there now.",
            time::clock(&now.with_timezone(&zone)),
            time::zone_abbreviation(&now.with_timezone(&zone)),
        )),
        None => Message::plain(&format!(
            "From now on I show times in the conference's zone only ({}).",
            time::zone_abbreviation(&now)
        )),
    }
}

/// To the sender of a message the bot could not decrypt, even after waiting for its key:
/// what happened and what to do.
pub fn undecryptable() -> Message {
    Message::plain(
        "I could not decrypt this message: its key never reached my device, so if it was a \
         command for me, I have not seen it. Please send it again. If this keeps happening, \
         your client is not sharing keys with my device: check that your own session is \
         verified, or send the command in a new direct message to me.",
    )
}

/// How much of a kick's or ban's reason the moderators are shown, in characters.
pub const REMOVAL_REASON_SHOWN: usize = 200;

/// To the moderators room: `by` kicked the bot from `room` (banned it, if `banned`),
/// with `reason` if given.
pub fn removed_from_room(by: &str, room: &str, reason: Option<&str>, banned: bool) -> Message {
    let (done, undo) = if banned {
        ("banned me from", "Unban me and invite me back")
    } else {
        ("removed me from", "Invite me back")
    };
    let mut message = Message::new();
    message.text(&format!("{by} {done} {room}"));
    if let Some(reason) = reason.filter(|r| !r.trim().is_empty()) {
        let reason: String = reason.chars().take(REMOVAL_REASON_SHOWN).collect();
        message.text(&format!(" (reason: {})", isolate(&reason)));
    }
    message.text(&format!(": I can no longer post there. {undo} to carry on."));
    message
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn brussels(h: u32, m: u32) -> DateTime<Tz> {
        chrono_tz::Europe::Brussels
            .with_ymd_and_hms(2023, 2, 3, h, m, 0)
            .unwrap()
    }

    #[test]
    fn the_zone_replies_show_both_clocks() {
        let chicago = chrono_tz::America::Chicago;
        assert_eq!(
            zone_setting(brussels(9, 10), Some(chicago)).body(),
            "Times are shown in CET and in your zone, America/Chicago (it is 02:10 CST there now). Send !tz off to stop."
        );
        assert_eq!(
            zone_changed(brussels(9, 10), None).body(),
            "From now on I show times in the conference's zone only (CET)."
        );
    }

    #[test]
    fn an_announcement_says_where_and_when_it_goes_and_how_to_cancel_it() {
        assert_eq!(
            announcement_scheduled(3, "announcements", brussels(14, 30), brussels(14, 20)).body(),
            "Announcement 3 will go to announcements at Friday 3 February 2023 at 14:30 CET. Cancel it with !cancel 3."
        );
        assert_eq!(
            announcement_scheduled(4, "speakers", brussels(14, 20), brussels(14, 20)).body(),
            "Announcement 4 will go to speakers now. Cancel it with !cancel 4."
        );
        assert_eq!(pending_announcements(&[]).body(), "No announcements are pending.");
        let status = status(brussels(9, 10), &[(brussels(9, 15), "reminder 10m before Alma".into())]);
        assert_eq!(
            status.body(),
            "It is Friday 3 February 2023 at 09:10 CET on the bot's clock. Next posts:\n  09:15 (in 5 minutes): reminder 10m before Alma"
        );
    }

    #[test]
    fn a_broadcast_preview_counts_and_names_its_rooms_and_says_how_to_confirm() {
        let rooms: Vec<String> = (1..=12).map(|n| format!("#r{n}:h")).collect();
        let preview = broadcast_preview("Doors <b>open</b>", &rooms, None, brussels(14, 30));
        assert_eq!(
            preview.body(),
            "This announcement goes to 12 rooms as soon as you confirm: #r1:h, #r2:h, #r3:h, #r4:h, #r5:h, #r6:h, #r7:h, #r8:h, #r9:h, #r10:h and 2 more. React ✅ to this message or send !confirm by 14:30 to send it; nothing goes out otherwise.\n> Doors <b>open</b>"
        );
        assert!(preview.html().contains("Doors &lt;b&gt;open"), "{}", preview.html());
        let later = broadcast_preview("Lunch", &rooms[..2], Some(brussels(12, 55)), brussels(12, 30));
        assert!(
            later.body().starts_with(
                "This announcement goes to 2 rooms at Friday 3 February 2023 at 12:55 CET: #r1:h, #r2:h. React"
            ),
            "{}",
            later.body()
        );
        assert_eq!(
            broadcast_confirmed(7, "Lunch", 2, None).body(),
            "Confirmed: announcement 7 goes to 2 rooms now. !cancel 7 takes it back while it waits.\n> Lunch"
        );
    }

    #[test]
    fn a_removal_names_who_and_why_with_the_reason_cut_and_escaped() {
        let kicked = removed_from_room("@ann:h", "#pagoda:h", Some("<b>spam</b>"), false);
        assert_eq!(
            kicked.body(),
            "@ann:h removed me from #pagoda:h (reason: <b>spam</b>): I can no longer post there. Invite me back to carry on."
        );
        assert!(kicked.html().contains("&lt;b&gt;spam&lt;/b&gt;"), "{}", kicked.html());
        let banned = removed_from_room("@ann:h", "#pagoda:h", Some(&"x".repeat(500)), true);
        assert!(banned
            .body()
            .contains(&format!("(reason: {})", "x".repeat(REMOVAL_REASON_SHOWN))));
        assert!(banned.body().ends_with("Unban me and invite me back to carry on."));
        assert_eq!(
            removed_from_room("@ann:h", "#p:h", Some("  "), false).body(),
            "@ann:h removed me from #p:h: I can no longer post there. Invite me back to carry on."
        );
    }
}
