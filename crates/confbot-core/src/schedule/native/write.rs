//! Writing a schedule back in the native format (`confbot import`): reading it back gives
//! the same schedule.

use super::*;

/// Writes a schedule in the native format, so that reading it back gives the same
/// schedule. Times are local; a local time the zone repeats (fall back) carries its offset.
pub fn to_toml(schedule: &Schedule) -> String {
    #[derive(Serialize)]
    struct Out<'a> {
        conference: ConferenceOut<'a>,
        speakers: Vec<SpeakerOut<'a>>,
        sessions: Vec<SessionOut<'a>>,
    }
    #[derive(Serialize)]
    struct ConferenceOut<'a> {
        name: &'a str,
        timezone: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        venue: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        url: Option<&'a str>,
    }
    #[derive(Serialize)]
    struct SpeakerOut<'a> {
        id: &'a str,
        name: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        bio: Option<&'a str>,
        #[serde(skip_serializing_if = "<[String]>::is_empty")]
        links: &'a [String],
    }
    #[derive(Serialize)]
    struct SessionOut<'a> {
        id: &'a str,
        title: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        subtitle: Option<&'a str>,
        kind: SessionKind,
        start: String,
        end: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        room: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        track: Option<&'a str>,
        #[serde(skip_serializing_if = "<[String]>::is_empty")]
        speakers: &'a [String],
        #[serde(rename = "abstract", skip_serializing_if = "Option::is_none")]
        abstract_text: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        url: Option<&'a str>,
    }
    let conference = schedule.conference();
    let out = Out {
        conference: ConferenceOut {
            name: &conference.name,
            timezone: conference.timezone.name(),
            venue: conference.venue.as_deref(),
            url: conference.url.as_deref(),
        },
        speakers: schedule
            .speakers()
            .iter()
            .map(|s| SpeakerOut {
                id: &s.id,
                name: &s.name,
                bio: s.bio.as_deref(),
                links: &s.links,
            })
            .collect(),
        sessions: schedule
            .sessions()
            .iter()
            .map(|s| SessionOut {
                id: &s.id,
                title: &s.title,
                subtitle: s.subtitle.as_deref(),
                kind: s.kind,
                start: local_time(&s.start),
                end: local_time(&s.end),
                room: s.room.as_deref(),
                track: s.track.as_deref(),
                speakers: &s.speakers,
                abstract_text: s.abstract_text.as_deref(),
                url: s.url.as_deref(),
            })
            .collect(),
    };
    toml::to_string(&out).expect("a schedule always serializes to TOML")
}

/// "2023-02-03T09:00" in the instant's own zone, with seconds when it has them and with
/// the offset when the local time alone would be ambiguous.
fn local_time(instant: &DateTime<Tz>) -> String {
    use chrono::{TimeZone, Timelike};
    let local = instant.naive_local();
    let format = if local.second() == 0 {
        "%Y-%m-%dT%H:%M"
    } else {
        "%Y-%m-%dT%H:%M:%S"
    };
    let written = local.format(format).to_string();
    match instant.timezone().from_local_datetime(&local) {
        chrono::LocalResult::Single(_) => written,
        _ => time::rfc3339(instant),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writing_and_reading_back_gives_the_same_schedule() {
        for (name, text) in [
            ("centos", include_str!("../../../../../data/centos-connect-2023.toml")),
            (
                "fall",
                include_str!("../../../../../tests/fixtures/fall-summit-2023.toml"),
            ),
        ] {
            let first = parse(text, name, None).unwrap().schedule;
            let written = to_toml(&first);
            let second = parse(&written, name, None)
                .unwrap_or_else(|e| panic!("{e}\n{written}"))
                .schedule;
            assert_eq!(
                crate::schedule::normalized::to_json(&first),
                crate::schedule::normalized::to_json(&second),
                "{name}"
            );
            assert_eq!(first.sessions(), second.sessions(), "{name}");
            assert_eq!(first.speakers(), second.speakers(), "{name}");
        }
        let fall = to_toml(
            &parse(
                include_str!("../../../../../tests/fixtures/fall-summit-2023.toml"),
                "f",
                None,
            )
            .unwrap()
            .schedule,
        );
        assert!(
            fall.contains("end = \"2023-11-05T01:00:00-05:00\""),
            "the repeated hour keeps its offset:\n{fall}"
        );
        assert!(fall.contains("start = \"2023-11-04T23:00\""));
    }
}
