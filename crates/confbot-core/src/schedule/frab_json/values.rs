//! Reading the values of a frab or pretalx JSON document: durations as v1 and ISO 8601
//! write them, strings, ids, URLs, links, and the speakers and persons lists.

use super::*;

/// "00:45", "0:30", "01:00:30" as v1 writes durations, or ISO 8601 "PT45M".
pub(super) fn length(s: &str) -> Result<TimeDelta, String> {
    if let Some(iso) = s.strip_prefix('P') {
        return iso_duration(iso).ok_or_else(|| format!("duration '{s}' is not an ISO 8601 duration such as PT45M"));
    }
    // duration::parse reads hours with TimeDelta::hours, which panics past ~2.5e15 hours.
    if s.split(':').any(|part| part.len() > 6) {
        return Err(format!("duration '{s}' is too long"));
    }
    duration::parse(s).map_err(|err| format!("duration: {err}"))
}

/// The part after "P" of an ISO 8601 duration: "T1H30M", "1DT2H", "2W". Years and
/// months are refused: their length depends on the calendar.
pub(super) fn iso_duration(s: &str) -> Option<TimeDelta> {
    let mut total = TimeDelta::zero();
    let mut in_time = false;
    let mut number = String::new();
    let mut seen = false;
    for c in s.chars() {
        match c {
            'T' if !in_time && number.is_empty() => in_time = true,
            '0'..='9' | '.' => number.push(c),
            _ => {
                let seconds_per_unit: f64 = match (in_time, c) {
                    (false, 'W') => 604_800.0,
                    (false, 'D') => 86_400.0,
                    (true, 'H') => 3_600.0,
                    (true, 'M') => 60.0,
                    (true, 'S') => 1.0,
                    _ => return None,
                };
                let n: f64 = number.parse().ok()?;
                number.clear();
                let millis = n * seconds_per_unit * 1000.0;
                if !(0.0..1e15).contains(&millis) {
                    return None;
                }
                total = total.checked_add(&TimeDelta::try_milliseconds(millis.round() as i64)?)?;
                seen = true;
            }
        }
    }
    (seen && number.is_empty()).then_some(total)
}

/// A non-empty string member, trimmed.
pub(super) fn string(value: Option<&Value>, key: &str) -> Option<String> {
    let s = value?.get(key)?.as_str()?.trim();
    (!s.is_empty()).then(|| s.to_string())
}

/// An id as text: formats write them as numbers or strings.
pub(super) fn id_string(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The value if it is an http(s) URL; schedules also carry labels like "Awesome Ada".
pub(super) fn http_url(value: Option<&Value>) -> Option<String> {
    let url = value?.as_str()?.trim();
    let lower = url.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))?;
    (!rest.is_empty() && !url.contains(char::is_whitespace)).then(|| url.to_string())
}

/// The http(s) URLs of a links list: [{url, title}] or plain strings.
pub(super) fn link_urls(value: Option<&Value>) -> Vec<String> {
    let Some(list) = value.and_then(Value::as_array) else {
        return Vec::new();
    };
    list.iter()
        .filter_map(|link| match link {
            Value::String(_) => http_url(Some(link)),
            _ => http_url(link.get("url")),
        })
        .collect()
}

/// A warning when the name of a list entry (`entry` shows where) is too long to copy
/// into every event that refers to it; the entry is then ignored.
pub(super) fn overlong(name: &str, entry: impl FnOnce() -> String, source: &str) -> Option<Diagnostic> {
    name.chars().nth(MAX_NAME_CHARS)?;
    Some(Diagnostic::warning(
        source,
        None,
        None,
        format!(
            "{} is ignored: its name is {} characters long and a name has at most {MAX_NAME_CHARS}",
            entry(),
            name.chars().count()
        ),
    ))
}

/// Names of a conference list (rooms, tracks; `shown` in messages) by each of the given
/// reference keys.
pub(super) fn names_by_reference(
    list: Option<&Value>,
    shown: &str,
    keys: &[&str],
    source: &str,
    skipped: &mut Vec<Diagnostic>,
) -> HashMap<String, String> {
    let mut names = HashMap::new();
    for (i, item) in list.and_then(Value::as_array).into_iter().flatten().enumerate() {
        let Some(name) = string(Some(item), "name") else {
            continue;
        };
        if let Some(warning) = overlong(&name, || format!("{shown}[{i}]"), source) {
            skipped.push(warning);
            continue;
        }
        for key in keys {
            if let Some(reference) = string(Some(item), key) {
                names.entry(reference).or_insert_with(|| name.clone());
            }
        }
    }
    names
}

/// Schedule 2.0 top-level persons, by guid, id and code.
pub(super) fn persons_by_id<'a>(
    list: Option<&'a Value>,
    source: &str,
    skipped: &mut Vec<Diagnostic>,
) -> HashMap<String, &'a Value> {
    let mut persons = HashMap::new();
    for (i, person) in list.and_then(Value::as_array).into_iter().flatten().enumerate() {
        let names = ["public_name", "name"].map(|key| string(Some(person), key));
        if let Some(warning) = names
            .iter()
            .flatten()
            .find_map(|name| overlong(name, || format!("persons[{i}]"), source))
        {
            skipped.push(warning);
            continue;
        }
        for key in ["guid", "id", "code"] {
            if let Some(id) = id_string(person.get(key)).filter(|id| id != "0") {
                persons.entry(id).or_insert(person);
            }
        }
    }
    persons
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;

    #[test]
    fn short_hour_and_second_durations_are_read() {
        let loaded = read(&v1(
            ZONE,
            r#"{"id": 1, "title": "Short", "start": "10:00", "duration": "0:30"},
{"id": 2, "title": "Long", "start": "11:00", "duration": "1:00:30"}"#,
        ));
        let s = &loaded.schedule;
        assert_eq!(times(session(s, "1")).1, "2024-06-14T10:30:00+02:00");
        assert_eq!(times(session(s, "2")).1, "2024-06-14T12:00:30+02:00");
    }

    #[test]
    fn speakers_without_usable_ids_are_known_by_name() {
        let loaded = read(&v1(
            ZONE,
            r#"{"id": 1, "title": "A", "start": "10:00", "duration": "00:30",
   "persons": [{"id": 0, "public_name": "Wollmaus"}, {"public_name": "Kai Ünal"},
               {"code": "QX7P", "name": "Coded"}, {"id": "", "public_name": "  "}]},
{"id": 2, "title": "B", "start": "11:00", "duration": "00:30",
   "persons": [{"id": 0, "public_name": "Wollmaus", "biography": "Knits."}]}"#,
        ));
        let s = &loaded.schedule;
        assert_eq!(session(s, "1").speakers, ["wollmaus", "kai-unal", "QX7P"]);
        assert_eq!(session(s, "2").speakers, ["wollmaus"]);
        assert_eq!(s.speakers().len(), 3);
        assert_eq!(s.sessions_of("wollmaus").len(), 2);
    }

    #[test]
    fn links_that_are_not_urls_are_ignored() {
        let loaded = read(&v1(
            ZONE,
            r#"{"id": 1, "title": "A", "start": "10:00", "duration": "00:30",
   "links": [{"url": "Awesome Ada", "title": "Awesome Ada"}, {"url": "https://pad.example.org/a", "title": "Pad"}]},
{"id": 2, "title": "B", "start": "11:00", "duration": "00:30", "url": "nymtech.net",
   "links": [{"url": "Awesome Ada", "title": "Awesome Ada"}]}"#,
        ));
        let s = &loaded.schedule;
        assert_eq!(session(s, "1").url.as_deref(), Some("https://pad.example.org/a"));
        assert_eq!(session(s, "2").url, None);
    }
}
