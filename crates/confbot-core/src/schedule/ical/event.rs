//! One VEVENT into a session: its title and speakers (pretalx's summaries, organizers and
//! attendees), id, track, kind, description and times.

use super::*;

impl Event {
    pub(super) fn get(&self, name: &str) -> Option<&Property> {
        self.properties.iter().find(|p| p.name == name)
    }

    pub(super) fn text(&self, name: &str) -> Option<String> {
        self.get(name).map(Property::text)
    }

    pub(super) fn uid(&self) -> Option<String> {
        self.text("UID").filter(|uid| !uid.is_empty())
    }

    /// The session id the UID gives: pretalx's submission code, else the part before '@'.
    pub(super) fn id(&self) -> Option<String> {
        let uid = self.uid()?;
        let local = uid.split('@').next().unwrap_or_default().trim();
        let id = match local.strip_prefix("pretalx-") {
            Some(rest) => rest.rsplit('-').next().unwrap_or(rest),
            None => local,
        };
        Some(if id.is_empty() { uid.as_str() } else { id }.to_string())
    }

    /// The session, or why this event cannot be one.
    pub(super) fn session(&self, zone: Tz, calendar_is_pretalx: bool) -> Result<DraftSession, String> {
        if !self.complete {
            return Err("it has no END:VEVENT; the file may be truncated".to_string());
        }
        if self.text("STATUS").is_some_and(|s| s.eq_ignore_ascii_case("CANCELLED")) {
            return Err("its STATUS is CANCELLED".to_string());
        }
        let summary = self
            .text("SUMMARY")
            .filter(|s| !s.is_empty())
            .ok_or("it has no SUMMARY, so the session would have no title")?;
        let start_property = self
            .get("DTSTART")
            .ok_or("it has no DTSTART, so it is not placed in time")?;
        let start_when = When::read(start_property)?;
        let start = start_when.place(zone)?;
        let end = match (self.get("DTEND"), self.get("DURATION")) {
            (Some(end), _) => When::read(end)?.place(zone)?,
            (None, Some(length)) => {
                let (days, seconds) = duration_of(&length.value).ok_or_else(|| {
                    format!(
                        "DURATION \"{}\" is not an iCalendar duration (such as PT1H30M or P1D)",
                        length.value.trim()
                    )
                })?;
                add_duration(start, days, seconds)?
            }
            (None, None) if matches!(start_when, When::Date(_)) => add_duration(start, 1, 0)?,
            (None, None) => start,
        };
        if end < start {
            return Err(format!(
                "it ends ({}) before it starts ({})",
                time::rfc3339(&end.with_timezone(&zone)),
                time::rfc3339(&start.with_timezone(&zone))
            ));
        }
        let pretalx = calendar_is_pretalx
            || self
                .uid()
                .is_some_and(|uid| uid.to_ascii_lowercase().starts_with("pretalx-"));
        let (title, speakers) = if pretalx {
            pretalx_summary(&summary)
        } else {
            (summary, self.people())
        };
        let categories = self
            .properties
            .iter()
            .filter(|p| p.name == "CATEGORIES")
            .flat_map(|p| text_list(&p.value))
            .collect::<Vec<_>>();
        let start = start.with_timezone(&zone);
        let id = self
            .id()
            .unwrap_or_else(|| import::slug(&format!("{title} {}", start.format("%Y-%m-%d %H:%M"))));
        Ok(DraftSession {
            id,
            kind: import::kind_from_type(&categories.join(" "), &title),
            title,
            subtitle: None,
            start,
            end: end.with_timezone(&zone),
            room: self.text("LOCATION").filter(|r| !r.is_empty()),
            track: categories.into_iter().next(),
            speakers: speakers
                .into_iter()
                .map(|name| DraftSpeaker {
                    name,
                    ..DraftSpeaker::default()
                })
                .collect(),
            abstract_text: self.abstract_text(),
            url: self
                .get("URL")
                .map(|p| p.value.trim().to_string())
                .filter(|u| !u.is_empty()),
            line: Some(self.line),
        })
    }

    /// The CN of ORGANIZER and ATTENDEE, each name once.
    pub(super) fn people(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        let mut seen: HashSet<String> = HashSet::new();
        for property in &self.properties {
            if !matches!(property.name.as_str(), "ORGANIZER" | "ATTENDEE") {
                continue;
            }
            for cn in property.param("CN").unwrap_or_default() {
                let name = person_name(cn);
                if !name.is_empty() && !seen.contains(&name) {
                    seen.insert(name.clone());
                    names.push(name);
                }
            }
        }
        names
    }

    /// DESCRIPTION as plain text; X-ALT-DESC (HTML) when there is no DESCRIPTION.
    pub(super) fn abstract_text(&self) -> Option<String> {
        let text = match self.text("DESCRIPTION").filter(|d| !d.is_empty()) {
            Some(description) if looks_like_html(&description) => import::html_to_text(&description),
            Some(description) => description,
            None => import::html_to_text(&self.text("X-ALT-DESC")?),
        };
        Some(text.trim().to_string()).filter(|t| !t.is_empty())
    }
}

/// pretalx writes "Title - A, B": the speakers follow the last " - ".
pub(super) fn pretalx_summary(summary: &str) -> (String, Vec<String>) {
    let summary = summary.trim();
    if let Some(title) = summary.strip_suffix(" -") {
        return (title.trim().to_string(), Vec::new());
    }
    match summary.rsplit_once(" - ") {
        Some((title, names)) if !title.trim().is_empty() => (
            title.trim().to_string(),
            names
                .split(',')
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(str::to_string)
                .collect(),
        ),
        _ => (summary.to_string(), Vec::new()),
    }
}

/// A CN parameter as a name: RFC 6868 `^n` `^'` `^^` and stray TEXT escapes decoded.
pub(super) fn person_name(cn: &str) -> String {
    let mut out = String::with_capacity(cn.len());
    let mut chars = cn.chars();
    while let Some(c) = chars.next() {
        match (c, chars.clone().next()) {
            ('^', Some('n' | 'N')) => out.push(' '),
            ('^', Some('\'')) => out.push('"'),
            ('^', Some('^')) => out.push('^'),
            ('\\', Some('n' | 'N')) => out.push(' '),
            ('\\', Some(next @ (',' | ';' | '\\'))) => out.push(next),
            _ => {
                out.push(c);
                continue;
            }
        }
        chars.next();
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub(super) fn looks_like_html(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    ["</", "<br", "<p>", "<p ", "<ul>", "<li>", "<div", "<a href"]
        .iter()
        .any(|tag| lower.contains(tag))
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    #[test]
    fn pretalx_summaries_are_split_into_title_and_speakers() {
        let text = "BEGIN:VCALENDAR\r\nPRODID:-//pretalx//pretalx.example.org//\r\nX-WR-TIMEZONE:Europe/Berlin\r\n\
             BEGIN:VEVENT\r\nUID:pretalx-democon-2024-AB3XYZ@pretalx.example.org\r\nDTSTART:20240913T100000\r\nDTEND:20240913T110000\r\n\
             SUMMARY:Tables - a story\\, with commas - Ada Example\\, Bo Sample\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        let loaded = load(text, None);
        let session = only(&loaded);
        assert_eq!(session.id, "AB3XYZ");
        assert_eq!(session.title, "Tables - a story, with commas");
        assert_eq!(speaker_names(&loaded, session), ["Ada Example", "Bo Sample"]);
        assert_eq!(pretalx_summary("Untitled -"), ("Untitled".to_string(), vec![]));
        assert_eq!(pretalx_summary("No speakers"), ("No speakers".to_string(), vec![]));
    }

    #[test]
    fn organizer_and_attendee_names_become_speakers() {
        let text = calendar(
            BERLIN_HEAD,
            "BEGIN:VEVENT\r\nUID:a\r\nDTSTART:20240913T100000\r\nDTEND:20240913T110000\r\nSUMMARY:Panel - open questions\r\n\
             ORGANIZER;CN=Ada Example, Bo Sample:MAILTO:info@example.org\r\n\
             ATTENDEE;ROLE=REQ-PARTICIPANT;CN=\"Sample, Cy\":mailto:cy@example.org\r\n\
             ATTENDEE:mailto:nameless@example.org\r\nATTENDEE;CN=Dee Trailing\\n:mailto:d@example.org\r\nEND:VEVENT\r\n",
        );
        let loaded = load(&text, None);
        let session = only(&loaded);
        assert_eq!(session.title, "Panel - open questions");
        assert_eq!(
            speaker_names(&loaded, session),
            ["Ada Example", "Bo Sample", "Sample, Cy", "Dee Trailing"]
        );
    }

    #[test]
    fn ids_come_from_the_uid_or_the_title() {
        let text = calendar(
            BERLIN_HEAD,
            "BEGIN:VEVENT\r\nUID:12345@example.org\r\nDTSTART:20240913T100000\r\nDTEND:20240913T110000\r\nSUMMARY:One\r\nEND:VEVENT\r\n\
             BEGIN:VEVENT\r\nDTSTART:20240913T110000\r\nDTEND:20240913T120000\r\nSUMMARY:Coffee break\r\nEND:VEVENT\r\n",
        );
        let loaded = load(&text, None);
        let sessions = loaded.schedule.sessions();
        assert_eq!(sessions[0].id, "12345");
        assert_eq!(sessions[1].id, "coffee-break-2024-09-13-11-00");
        assert_eq!(sessions[1].kind, SessionKind::Break);
    }

    #[test]
    fn categories_give_track_and_kind_and_html_becomes_text() {
        let text = calendar(
            BERLIN_HEAD,
            "BEGIN:VEVENT\r\nUID:a\r\nDTSTART:20240913T100000\r\nDTEND:20240913T110000\r\nSUMMARY:Welcome\r\nCATEGORIES:Keynote,Main\\, big\r\n\
             DESCRIPTION:<p>Hello &amp; welcome</p><p>Two</p>\r\nURL: https://example.org/a\r\nEND:VEVENT\r\n",
        );
        let loaded = load(&text, None);
        let session = only(&loaded);
        assert_eq!(session.track.as_deref(), Some("Keynote"));
        assert_eq!(session.kind, SessionKind::Keynote);
        assert_eq!(session.abstract_text.as_deref(), Some("Hello & welcome\n\nTwo"));
        assert_eq!(session.url.as_deref(), Some("https://example.org/a"));
        assert_eq!(text_list("Main\\, big,,Other"), ["Main, big", "Other"]);
    }
}
