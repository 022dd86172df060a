//! The JSON reader over real exports (frab, pretalx, the c3voc merge tools and the hub's
//! "schedule 2.0"), from the shared corpus next to the repository. Every count and
//! instant below was checked by reading the file by hand.

mod corpus;

use chrono_tz::Europe::Berlin;
use confbot::schedule::frab_json;
use confbot::schedule::{Loaded, Schedule, Session, SessionKind};
use confbot::time;

/// Reads a corpus file; `None` when the corpus is absent. No event may be skipped.
fn load(name: &str) -> Option<Loaded> {
    let path = corpus::dir()?.join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("reading {}: {err}", path.display()));
    assert!(frab_json::looks_like(&text), "{name} is not recognised");
    let loaded = frab_json::parse(&text, name, Some(Berlin)).unwrap_or_else(|errors| panic!("{name}: {errors}"));
    let skipped: Vec<String> = loaded
        .warnings
        .iter()
        .map(ToString::to_string)
        .filter(|w| w.contains("is skipped"))
        .collect();
    assert!(skipped.is_empty(), "{skipped:#?}");
    Some(loaded)
}

fn session<'a>(schedule: &'a Schedule, id: &str) -> &'a Session {
    schedule.session(id).unwrap_or_else(|| panic!("no session {id}"))
}

fn start(schedule: &Schedule, id: &str) -> String {
    time::rfc3339(&session(schedule, id).start)
}

fn end(schedule: &Schedule, id: &str) -> String {
    time::rfc3339(&session(schedule, id).end)
}

#[test]
fn camp_2019_frab() {
    let Some(loaded) = load("ccc-camp2019-frab.json") else {
        return;
    };
    let s = &loaded.schedule;
    assert_eq!(s.sessions().len(), 79);
    assert_eq!(s.conference().name, "Chaos Communication Camp 2019");
    assert_eq!(s.timezone(), Berlin);
    assert_eq!(s.rooms(), ["Curie", "Meitner"]);
    assert_eq!(s.days().len(), 5);
    let opening = "a0a0fcfe-b7fb-46e3-84b6-97a5406016b4";
    assert_eq!(start(s, opening), "2019-08-21T11:00:00+02:00");
    assert_eq!(end(s, opening), "2019-08-21T11:30:00+02:00");
    assert_eq!(s.speaker_names(session(s, opening)), ["jinxx", "smtw"]);
    assert_eq!(
        start(s, "24b58c74-2bba-412e-84ac-c206f714f0b7"),
        "2019-08-21T13:00:00+02:00"
    );
    // No camp event starts after midnight; "Achtung, Datenpannen!" ends after it.
    let datenpannen = "ed4b6c75-14f4-49fe-a11e-3762bd6b54e3";
    assert_eq!(start(s, datenpannen), "2019-08-22T23:00:00+02:00");
    assert_eq!(end(s, datenpannen), "2019-08-23T00:30:00+02:00");
}

#[test]
fn rc3_2020_pretalx_without_a_zone() {
    let Some(loaded) = load("rc3-2020-pretalx.json") else {
        return;
    };
    let s = &loaded.schedule;
    assert_eq!(s.sessions().len(), 48);
    assert_eq!(s.rooms().len(), 5);
    let gluon = "c3642671-4c1f-5109-81ba-0535c1cc8428";
    assert_eq!(start(s, gluon), "2020-12-27T11:30:00+01:00");
    assert_eq!(end(s, gluon), "2020-12-27T12:10:00+01:00");
    assert_eq!(s.speaker_names(session(s, gluon)), ["Chris Fiege", "Kasa"]);
    assert_eq!(
        end(s, "d5691650-57d7-5787-aadc-ea515b2276da"),
        "2020-12-27T15:00:00+01:00"
    );
    assert_eq!(
        start(s, "52fc5180-b16c-5218-a4ba-9319eb02a15e"),
        "2020-12-27T22:00:00+01:00"
    );
}

#[test]
fn divoc_r2r_2021_pretalx_after_midnight() {
    let Some(loaded) = load("divoc-r2r-2021-pretalx.json") else {
        return;
    };
    let s = &loaded.schedule;
    assert_eq!(s.sessions().len(), 45);
    assert_eq!(s.rooms(), ["Piscopia"]);
    // Filed under 2021-04-02, played after midnight.
    let spiegeleule = "364ff48c-13f5-5d6d-b862-03becaa64a08";
    assert_eq!(start(s, spiegeleule), "2021-04-03T00:00:00+02:00");
    assert_eq!(end(s, spiegeleule), "2021-04-03T02:00:00+02:00");
    assert_eq!(
        start(s, "84a9dc8a-2782-5c56-a2ef-99d49a9133a0"),
        "2021-04-03T02:00:00+02:00"
    );
    assert_eq!(
        start(s, "395be6c5-8b04-5891-81aa-0d6091170c63"),
        "2021-04-05T00:00:00+02:00"
    );
}

#[test]
fn divoc_ptt_2020_pretalx_trusts_event_dates() {
    let Some(loaded) = load("divoc-ptt-2020-pretalx.json") else {
        return;
    };
    let s = &loaded.schedule;
    assert_eq!(s.sessions().len(), 23);
    assert_eq!(
        start(s, "8abb9efc-3c12-5a88-b1dd-e721705d3095"),
        "2020-09-04T18:00:00+02:00"
    );
    // Filed under 2020-09-04, after midnight.
    assert_eq!(
        start(s, "fb34cb2e-9e90-554e-a8c6-3e8f525d4b7e"),
        "2020-09-05T01:30:00+02:00"
    );
    // Filed under 2020-09-05 although 03:30 is before that day's 04:00 change-over:
    // its date says the 5th, and the date wins.
    assert_eq!(
        start(s, "45d7beca-d954-5ca4-999f-e39602ec4ee7"),
        "2020-09-05T03:30:00+02:00"
    );
}

#[test]
fn divoc_r2r_2021_merged_with_dirty_data() {
    let Some(loaded) = load("divoc-r2r-2021-everything-merged.json") else {
        return;
    };
    let s = &loaded.schedule;
    assert_eq!(s.sessions().len(), 68);
    assert_eq!(s.rooms(), ["Piscopia", "Self-organized", "Workshops"]);
    // "0:30", a person with id 0 and a link "Awesome Ada".
    let howto = "a26528f9-0661-5d19-8011-0c0b67be1cfa";
    assert_eq!(start(s, howto), "2021-04-02T10:30:00+02:00");
    assert_eq!(end(s, howto), "2021-04-02T11:00:00+02:00");
    assert_eq!(session(s, howto).speakers, ["piko"]);
    assert_eq!(
        session(s, howto).url.as_deref(),
        Some("https://di.c3voc.de/sessions-liste")
    );
    let obs = "964986bd-bd0b-51e8-981a-7d3cb2cb6e69";
    assert_eq!(end(s, obs), "2021-04-02T12:00:00+02:00");
    assert_eq!(s.speaker_names(session(s, obs)), ["waldwesen", "MoniKa"]);
    assert_eq!(s.sessions_of("hackers-against-climate-change").len(), 4);
    assert_eq!(
        start(s, "812229e5-f2c3-54f4-89f6-d8ace06a81fd"),
        "2021-04-04T02:00:00+02:00"
    );
}

#[test]
fn hub_schedule_2_0_excerpt() {
    let Some(loaded) = load("ccc-38c3-2024-hub-schedule2-excerpt.json") else {
        return;
    };
    let s = &loaded.schedule;
    assert_eq!(s.sessions().len(), 2);
    assert_eq!(s.conference().name, "38C3");
    let opening = "270fa44c-821a-577f-8ca3-33e8d4a8c2a7";
    assert_eq!(start(s, opening), "2024-12-27T10:30:00+01:00");
    assert_eq!(end(s, opening), "2024-12-27T11:00:00+01:00");
    assert_eq!(session(s, opening).room.as_deref(), Some("Saal 1"));
    assert_eq!(
        s.speaker_names(session(s, opening)),
        ["Gabriela Bogk", "Aline Blankertz", "Senficon"]
    );
    // After midnight, under the previous day.
    let nfs = "b1740c2f-0c44-5f1b-89ed-456a9eecf0b8";
    assert_eq!(start(s, nfs), "2024-12-28T00:15:00+01:00");
    assert_eq!(end(s, nfs), "2024-12-28T00:55:00+01:00");
    assert_eq!(session(s, nfs).track.as_deref(), Some("Hardware & Making"));
    assert_eq!(session(s, nfs).kind, SessionKind::Talk);
    assert_eq!(
        s.speaker("51766dc0-326b-554c-993b-0b1ffa9e6a1e").unwrap().links,
        [
            "https://example.net/@handle/123456",
            "https://events.ccc.de/congress/2024/hub/user/speaker_51766dc0-326b-554c-993b-0b1ffa9e6a1e/"
        ]
    );
}

#[test]
fn files_without_a_zone_need_one() {
    let Some(dir) = corpus::dir() else {
        return;
    };
    for name in [
        "rc3-2020-pretalx.json",
        "divoc-r2r-2021-pretalx.json",
        "divoc-ptt-2020-pretalx.json",
        "divoc-r2r-2021-everything-merged.json",
    ] {
        let text = std::fs::read_to_string(dir.join(name)).unwrap();
        let errors = frab_json::parse(&text, name, None).unwrap_err();
        assert!(errors.to_string().contains("pass --timezone"), "{name}: {errors}");
    }
}
