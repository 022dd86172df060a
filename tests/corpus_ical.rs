//! The iCalendar reader over real exports from /work/shared/schedules (see SOURCES.md
//! there): two pretalx calendars and MOCA's hand-made one. The counts are the files'
//! VEVENTs; the instants were read off the files by hand.

mod corpus;

use chrono_tz::Tz;
use confbot::schedule::{ical, Loaded, Session};
use confbot::time::rfc3339;
use std::path::Path;

fn load(dir: &Path, name: &str) -> Loaded {
    let path = dir.join(name);
    let text = std::fs::read_to_string(&path).expect("the corpus file is readable");
    assert!(ical::looks_like(&text), "{name} is iCalendar");
    let loaded = ical::parse(&text, name, None).unwrap_or_else(|errors| panic!("{errors}"));
    let skipped: Vec<String> = loaded
        .warnings
        .iter()
        .filter(|w| w.message.contains("skipped"))
        .map(|w| w.to_string())
        .collect();
    assert!(skipped.is_empty(), "{skipped:#?}");
    loaded
}

fn session<'a>(loaded: &'a Loaded, id: &str) -> &'a Session {
    loaded.schedule.session(id).unwrap_or_else(|| panic!("no session {id}"))
}

fn titled<'a>(loaded: &'a Loaded, title: &str) -> &'a Session {
    loaded
        .schedule
        .sessions()
        .iter()
        .find(|s| s.title == title)
        .unwrap_or_else(|| panic!("no session titled {title:?}"))
}

fn speakers(loaded: &Loaded, session: &Session) -> Vec<String> {
    loaded
        .schedule
        .speaker_names(session)
        .into_iter()
        .map(str::to_string)
        .collect()
}

#[test]
fn divoc_reboot_to_respawn_2021_pretalx() {
    let Some(dir) = corpus::dir() else { return };
    let loaded = load(&dir, "divoc-r2r-2021-pretalx.ics");
    let schedule = &loaded.schedule;
    assert_eq!(schedule.sessions().len(), 45);
    assert_eq!(schedule.timezone(), chrono_tz::Europe::Berlin);
    assert_eq!(schedule.conference().name, "divoc-r2r-2021-pretalx");

    let opening = session(&loaded, "38PPT7");
    assert_eq!(opening.title, "Opening");
    assert_eq!(rfc3339(&opening.start), "2021-04-02T10:00:00+02:00");
    assert_eq!(rfc3339(&opening.end), "2021-04-02T10:15:00+02:00");
    assert_eq!(speakers(&loaded, opening), ["hexchen", "NicKira"]);
    assert_eq!(opening.room.as_deref(), Some("Piscopia"));

    let midnight = session(&loaded, "NFLFCH");
    assert_eq!(rfc3339(&midnight.start), "2021-04-03T00:00:00+02:00");

    let closing = session(&loaded, "PSARJW");
    assert_eq!(closing.title, "Infrastructure-Review + Closing");
    assert_eq!(rfc3339(&closing.start), "2021-04-05T17:30:00+02:00");

    // The summary is folded inside the second speaker's name.
    let folded = session(&loaded, "NBCJKN");
    assert_eq!(
        folded.title,
        "SustAIn: Sustainability Index for Artificial Intelligence"
    );
    assert_eq!(speakers(&loaded, folded), ["Jens Ohlig", "Friederike Rohde"]);

    // "Bridges - Musik verbindet - ": a title with a dash and no speaker.
    let bridges = session(&loaded, "ZNX78X");
    assert_eq!(bridges.title, "Bridges - Musik verbindet");
    assert!(bridges.speakers.is_empty());
}

#[test]
fn divoc_push_to_talk_2020_pretalx() {
    let Some(dir) = corpus::dir() else { return };
    let loaded = load(&dir, "divoc-ptt-2020-pretalx.ics");
    let schedule = &loaded.schedule;
    assert_eq!(schedule.sessions().len(), 23);
    assert_eq!(schedule.timezone(), chrono_tz::Europe::Berlin);

    assert_eq!(rfc3339(&session(&loaded, "CKHNL9").start), "2020-09-04T18:00:00+02:00");
    assert_eq!(rfc3339(&session(&loaded, "YSMJE9").start), "2020-09-05T01:30:00+02:00");
    let closing = session(&loaded, "CJB3XK");
    assert_eq!(closing.title, "Closing");
    assert_eq!(rfc3339(&closing.start), "2020-09-06T17:30:00+02:00");

    let communities = session(&loaded, "JJMHBB");
    assert_eq!(
        communities.title,
        "Connection, Resistance and Autonomy in Peripheral Communities"
    );
    assert_eq!(speakers(&loaded, communities), ["Debora Leal", "Javi"]);

    // Only the last " - " separates the speakers.
    let birds = session(&loaded, "BEZZBK");
    assert_eq!(birds.title, "Monitoring häufiger Brutvögel - Auswertung mit QGIS");
    assert_eq!(speakers(&loaded, birds), ["coco"]);
}

#[test]
fn moca_2024_hackertracker() {
    let Some(dir) = corpus::dir() else { return };
    let loaded = load(&dir, "moca-2024-hackertracker.ics");
    let schedule = &loaded.schedule;
    assert_eq!(schedule.sessions().len(), 88);
    let zone: Tz = chrono_tz::Europe::Rome;
    assert_eq!(schedule.timezone(), zone);

    // UTC times, shown in Rome's summer time.
    let keynote = session(&loaded, "46938");
    assert_eq!(keynote.title, "Opening Keynote");
    assert_eq!(rfc3339(&keynote.start), "2024-09-13T12:00:00+02:00");
    assert_eq!(keynote.room.as_deref(), Some("XOR"));

    let closing = titled(&loaded, "Closing ceremony");
    assert_eq!(rfc3339(&closing.start), "2024-09-15T15:00:00+02:00");
    assert_eq!(rfc3339(&closing.end), "2024-09-15T16:00:00+02:00");

    let llm = titled(
        &loaded,
        "Hackerare un Large Language Model: un tentativo di Explainable AI (XAI)",
    );
    assert_eq!(rfc3339(&llm.start), "2024-09-14T16:45:00+02:00");
    assert_eq!(speakers(&loaded, llm), ["Enrico Zimuel", "Leonida Gianfagna"]);
    assert!(llm
        .abstract_text
        .as_deref()
        .is_some_and(|a| a.starts_with("In questa presentazione")));

    // 67 events share UID 46939: every one is kept under its own id.
    let shared = schedule
        .sessions()
        .iter()
        .filter(|s| s.id == "46939" || s.id.starts_with("46939-"))
        .count();
    assert_eq!(shared, 67);
}
