//! Which reader a schedule document needs: named by the user, else recognised from the
//! content, else guessed from the file name.

use super::{frab_json, ical, native, xml, Loaded, ScheduleErrors};
use chrono_tz::Tz;
use std::fmt;
use std::str::FromStr;

/// The schedule formats confbot reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// confbot's own TOML.
    Toml,
    /// Pentabarf / frab / pretalx `schedule.xml`, and xCal.
    Xml,
    /// frab / pretalx / c3voc `schedule.json`.
    Json,
    /// iCalendar (`.ics`).
    Ical,
}

impl Format {
    pub const NAMES: &'static str = "toml, xml, json, ics";

    /// Recognises a document by its content; `name` (a file name or URL) breaks ties.
    pub fn detect(text: &str, name: &str) -> Option<Format> {
        if ical::looks_like(text) {
            Some(Format::Ical)
        } else if xml::looks_like(text) {
            Some(Format::Xml)
        } else if frab_json::looks_like(text) {
            Some(Format::Json)
        } else if looks_like_toml(text) {
            Some(Format::Toml)
        } else {
            Format::from_extension(name)
        }
    }

    fn from_extension(name: &str) -> Option<Format> {
        let extension = name.rsplit('.').next()?.to_ascii_lowercase();
        match extension.as_str() {
            "toml" => Some(Format::Toml),
            "xml" | "xcal" => Some(Format::Xml),
            "json" => Some(Format::Json),
            "ics" | "ical" => Some(Format::Ical),
            _ => None,
        }
    }

    /// Reads `text` in this format.
    pub fn parse(self, text: &str, source: &str, fallback_zone: Option<Tz>) -> Result<Loaded, ScheduleErrors> {
        match self {
            Format::Toml => native::parse(text, source, fallback_zone),
            Format::Xml => xml::parse(text, source, fallback_zone),
            Format::Json => frab_json::parse(text, source, fallback_zone),
            Format::Ical => ical::parse(text, source, fallback_zone),
        }
    }
}

fn looks_like_toml(text: &str) -> bool {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .is_some_and(|l| l.starts_with('[') || l.contains(" = "))
}

impl FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Format, String> {
        match s.to_ascii_lowercase().as_str() {
            "toml" | "native" => Ok(Format::Toml),
            "xml" | "pentabarf" | "frab-xml" | "xcal" => Ok(Format::Xml),
            "json" | "frab" | "pretalx" => Ok(Format::Json),
            "ics" | "ical" | "icalendar" => Ok(Format::Ical),
            other => Err(format!(
                "\"{other}\" is not a schedule format: use one of {}",
                Format::NAMES
            )),
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Toml => "toml",
            Format::Xml => "xml",
            Format::Json => "json",
            Format::Ical => "ics",
        })
    }
}

/// Reads a schedule document in the given format, or the one its content shows.
pub fn parse_any(
    text: &str,
    source: &str,
    format: Option<Format>,
    fallback_zone: Option<Tz>,
) -> Result<Loaded, ScheduleErrors> {
    let Some(format) = format.or_else(|| Format::detect(text, source)) else {
        return Err(ScheduleErrors(vec![super::Diagnostic::error(
            source,
            None,
            None,
            format!(
                "cannot tell the schedule format from the content or the name: pass --format ({})",
                Format::NAMES
            ),
        )]));
    };
    format.parse(text, source, fallback_zone)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_decides_before_the_extension() {
        assert_eq!(
            Format::detect("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n", "x.txt"),
            Some(Format::Ical)
        );
        assert_eq!(
            Format::detect("<?xml version='1.0'?>\n<schedule>", "x.json"),
            Some(Format::Xml)
        );
        assert_eq!(
            Format::detect("# a schedule\n[conference]\nname = \"x\"", "x"),
            Some(Format::Toml)
        );
        assert_eq!(Format::detect("", "export.ics"), Some(Format::Ical));
        assert_eq!(Format::detect("hello", "notes.txt"), None);
    }

    #[test]
    fn format_names_parse() {
        assert_eq!("ICS".parse::<Format>(), Ok(Format::Ical));
        assert_eq!("pretalx".parse::<Format>(), Ok(Format::Json));
        assert!("yaml".parse::<Format>().unwrap_err().contains("toml, xml, json, ics"));
    }
}
