//! Every XML schedule in ../shared/schedules imports with the right number of events and
//! the instants a person reading the file would name. Skipped when that folder is absent.

mod corpus;

use chrono_tz::Europe::{Berlin, Brussels};
use chrono_tz::Tz;
use confbot::schedule::{xml, Loaded, SessionKind};
use confbot::time;

fn import(name: &str, fallback: Option<Tz>) -> Option<Loaded> {
    let path = corpus::dir()?.join(name);
    let text = std::fs::read_to_string(&path).expect("corpus file reads");
    Some(xml::parse(&text, name, fallback).unwrap_or_else(|e| panic!("{name}: {e}")))
}

fn start(loaded: &Loaded, id: &str) -> String {
    let session = loaded.schedule.session(id).unwrap_or_else(|| panic!("session {id}"));
    time::rfc3339(&session.start)
}

#[test]
fn fosdem_2023_has_780_events_and_needs_the_zone_from_outside() {
    let Some(dir) = corpus::dir() else { return };
    let text = std::fs::read_to_string(dir.join("fosdem-2023-pentabarf.xml")).unwrap();
    let err = xml::parse(&text, "fosdem-2023-pentabarf.xml", None).unwrap_err();
    assert!(
        err.to_string().contains("the file names no time zone: pass --timezone"),
        "{err}"
    );
    let loaded = import("fosdem-2023-pentabarf.xml", Some(Brussels)).unwrap();
    assert_eq!(loaded.schedule.sessions().len(), 780);
    assert_eq!(loaded.schedule.days().len(), 2);
    assert_eq!(start(&loaded, "14956"), "2023-02-04T10:00:00+01:00");
    assert_eq!(start(&loaded, "14344"), "2023-02-05T09:00:00+01:00");
    let welcome = loaded.schedule.session("15059").unwrap();
    assert_eq!(welcome.title, "Welcome to FOSDEM 2023");
    assert_eq!(welcome.kind, SessionKind::Keynote);
    assert_eq!(
        loaded.schedule.speaker_names(welcome),
        ["FOSDEM Staff", "Richard Hartmann"]
    );
    assert_eq!(
        welcome.abstract_text.as_deref(),
        Some("FOSDEM welcome and opening talk.")
    );
}

#[test]
fn fosdem_2025_from_pretalx_has_943_events() {
    let Some(loaded) = import("fosdem-2025-pentabarf-pretalx.xml", None) else {
        return;
    };
    assert_eq!(loaded.schedule.timezone(), Brussels);
    assert_eq!(loaded.schedule.sessions().len(), 943);
    assert_eq!(start(&loaded, "6210"), "2025-02-01T10:35:00+01:00");
    assert_eq!(start(&loaded, "6600"), "2025-02-01T11:05:00+01:00");
}

#[test]
fn congress_38c3_keeps_events_after_midnight_on_the_right_day() {
    let Some(loaded) = import("ccc-38c3-2024-hub-schedule.xml", None) else {
        return;
    };
    assert_eq!(loaded.schedule.timezone(), Berlin);
    assert_eq!(loaded.schedule.sessions().len(), 1007);
    assert_eq!(start(&loaded, "248"), "2024-12-28T00:15:00+01:00");
    assert_eq!(start(&loaded, "215"), "2024-12-28T01:10:00+01:00");
    assert_eq!(
        loaded.schedule.session("248").unwrap().title,
        "Desiring Technology. Über Porno, Abhängigkeit und Fortschritt"
    );
}

#[test]
fn congress_39c3_does_not_read_attachment_titles_as_the_events() {
    let Some(loaded) = import("ccc-39c3-2025-hub-schedule-preliminary.xml", None) else {
        return;
    };
    assert_eq!(loaded.schedule.sessions().len(), 215);
    let talk = loaded.schedule.session("1420").unwrap();
    assert_eq!(talk.title, "Hegemony Eroding: Excavating Diversity in Latent Space");
    assert_eq!(talk.kind, SessionKind::Talk);
    assert_eq!(time::rfc3339(&talk.start), "2025-12-29T21:05:00+01:00");
    assert_eq!(start(&loaded, "1873"), "2025-12-29T11:55:00+01:00");
}

#[test]
fn divoc_pretalx_xml_and_xcal_agree() {
    let Some(loaded) = import("divoc-r2r-2021-pretalx.xml", None) else {
        return;
    };
    assert_eq!(loaded.schedule.sessions().len(), 45);
    assert_eq!(start(&loaded, "33"), "2021-04-02T10:00:00+02:00");
    assert_eq!(start(&loaded, "51"), "2021-04-03T00:00:00+02:00");
    let opening = loaded.schedule.session("33").unwrap();
    assert_eq!(loaded.schedule.speaker_names(opening), ["hexchen", "NicKira"]);
    assert!(opening
        .abstract_text
        .as_deref()
        .unwrap()
        .starts_with("Im Opening erzählen wir euch"));

    let xcal = import("divoc-r2r-2021-pretalx.xcal", Some(Berlin)).unwrap();
    assert_eq!(xcal.schedule.sessions().len(), 45);
    assert_eq!(start(&xcal, "38PPT7"), "2021-04-02T10:00:00+02:00");
    let starts =
        |l: &Loaded| -> Vec<String> { l.schedule.sessions().iter().map(|s| time::rfc3339(&s.start)).collect() };
    assert_eq!(
        starts(&loaded),
        starts(&xcal),
        "both exports of one event give the same instants"
    );
}
