//! The schedule core over real data: the CentOS Connect day and a multi-day conference
//! in America/New_York that crosses the end of daylight saving time.

use chrono::{DateTime, NaiveDate};
use chrono_tz::Tz;
use confbot::infra::source;
use confbot::query::{self, Phase};
use confbot::schedule::Schedule;
use confbot::time;
use std::path::Path;

fn load(relative: &str) -> Schedule {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    let loaded = source::load_schedule(path.to_str().unwrap(), None, None).expect("schedule loads");
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    loaded.schedule
}

fn centos() -> Schedule {
    load("data/centos-connect-2023.toml")
}

fn fall() -> Schedule {
    load("tests/fixtures/fall-summit-2023.toml")
}

fn at(schedule: &Schedule, s: &str) -> DateTime<Tz> {
    time::parse_instant(s, schedule.timezone()).unwrap()
}

fn titles(sessions: &[&confbot::schedule::Session]) -> Vec<String> {
    sessions.iter().map(|s| s.title.clone()).collect()
}

#[test]
fn centos_connect_has_its_whole_day() {
    let s = centos();
    assert_eq!(s.sessions().len(), 18);
    assert_eq!(s.days(), [NaiveDate::from_ymd_opt(2023, 2, 3).unwrap()]);
    let lunch = s.session("lunch").unwrap();
    assert_eq!(render_range(lunch), "12:00–13:00");
    let okd = s.session("okd").unwrap();
    assert_eq!(s.speaker_names(okd), ["Christian Glombek", "Alessandro Di Stefano"]);
    for session in s
        .sessions()
        .iter()
        .filter(|s| s.kind == confbot::schedule::SessionKind::Talk)
    {
        assert!(session.abstract_text.is_some(), "{} has its abstract", session.id);
    }
    let arm = s.session("arm").unwrap();
    assert_eq!(
        arm.subtitle.as_deref(),
        Some("Setting up and running a Mastodon Server on Arm servers in the cloud")
    );
}

fn render_range(session: &confbot::schedule::Session) -> String {
    format!("{}–{}", time::clock(&session.start), time::clock(&session.end))
}

#[test]
fn now_and_next_through_the_centos_day() {
    let s = centos();
    let on = query::whats_on(&s, at(&s, "2023-02-03T09:10"), None);
    assert_eq!(titles(&on.now), ["CentOS Stream: RHEL development in public"]);
    assert_eq!(titles(&on.next), ["AlmaLinux Build System and Project Updates"]);

    let on = query::whats_on(&s, at(&s, "2023-02-03T11:05"), Some("Pagoda room"));
    assert_eq!(titles(&on.now), ["Break"]);
    assert_eq!(titles(&on.next), ["Offered CentOS Infra services for SIGs"]);

    let on = query::whats_on(&s, at(&s, "2023-02-03T18:30"), None);
    assert_eq!(
        on.phase,
        Phase::Over {
            ended: at(&s, "2023-02-03T18:00")
        }
    );
}

#[test]
fn speakers_sessions_and_words_are_found_as_attendees_type_them() {
    let s = centos();
    let found = query::find_speakers(&s, "fernández");
    assert_eq!(found.len(), 1);
    assert_eq!(
        titles(&found[0].sessions),
        ["Network management in Enterprise Linux: present and future"]
    );
    let adams: Vec<&str> = query::find_speakers(&s, "ad")
        .iter()
        .map(|m| m.speaker.name.as_str())
        .collect();
    assert_eq!(adams, ["Adrian Reber", "Adam Samalik"]);
    assert_eq!(
        titles(&query::find_sessions(&s, "rocky")),
        ["Introduction to Rocky Linux and Peridot: Maintaining a downstream fork of Red Hat Enterprise Linux"]
    );
    assert_eq!(titles(&query::find_sessions(&s, "kmods sig")), ["Kmods SIG Update"]);
    assert_eq!(
        titles(&query::search(&s, "mastodon")),
        ["Running Cloud Native Applications on CentOS on a Cloud Native Processor"]
    );
    let sig = query::search(&s, "sig");
    assert!(sig.len() >= 5, "{:?}", titles(&sig));
    assert_eq!(sig[0].title, "Hyperscale SIG update", "title matches come first");
}

#[test]
fn the_fall_summit_spans_four_days_and_two_offsets() {
    let s = fall();
    let days: Vec<String> = s.days().iter().map(ToString::to_string).collect();
    assert_eq!(days, ["2023-11-03", "2023-11-04", "2023-11-05", "2023-11-06"]);
    let opening = s.session("opening").unwrap();
    assert_eq!(time::rfc3339(&opening.start), "2023-11-03T09:00:00-04:00");
    let sunday = s.session("sunday").unwrap();
    assert_eq!(time::rfc3339(&sunday.start), "2023-11-05T09:00:00-05:00");
    assert_eq!(time::zone_abbreviation(&sunday.start), "EST");
}

#[test]
fn a_duration_across_the_fall_back_is_real_time() {
    let s = fall();
    let owls = s.session("night-owls").unwrap();
    assert_eq!((owls.end - owls.start).num_hours(), 3);
    assert_eq!(time::rfc3339(&owls.end), "2023-11-05T01:00:00-05:00");
    // 01:30 happens twice that night: the first (EDT) is during the session, the second
    // (EST) half an hour after it.
    for instant in ["2023-11-05T01:30:00-04:00", "2023-11-05T05:55:00Z"] {
        let on = query::whats_on(&s, at(&s, instant), None);
        assert_eq!(titles(&on.now), ["Night owls session"], "at {instant}");
    }
    let on = query::whats_on(&s, at(&s, "2023-11-05T01:30:00-05:00"), None);
    assert_eq!(on.phase, Phase::Between);
    assert_eq!(titles(&on.next), ["Sunday morning talks"]);
}

#[test]
fn each_day_rolls_over_to_the_next() {
    let s = fall();
    let on = query::whats_on(&s, at(&s, "2023-11-03T20:00"), None);
    assert_eq!(
        on.phase,
        Phase::DayOver {
            next_starts: at(&s, "2023-11-04T10:00")
        }
    );
    assert_eq!(titles(&on.next), ["Hackfest"]);
    let parallel = query::whats_on(&s, at(&s, "2023-11-03T09:15"), None);
    assert_eq!(titles(&parallel.next), ["Multi-arch container builds", "Rust workshop"]);
    let track = query::whats_on(&s, at(&s, "2023-11-03T09:45"), Some("containers"));
    assert_eq!(titles(&track.now), ["Multi-arch container builds"]);
    let monday = NaiveDate::from_ymd_opt(2023, 11, 6).unwrap();
    assert_eq!(titles(&query::agenda(&s, monday, None)), ["Closing"]);
}
