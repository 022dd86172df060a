//! `include = ["rooms.generated.toml"]`: documents whose tables the config takes as its
//! own, below its own keys. `confbot provision` writes the rooms it made to such a file,
//! so the config needs no hand-written `[rooms.map]`, and a room the config names itself
//! still wins.

use super::raw::RawConfig;
use super::{secret_in_file, Config, ConfigError};
use serde::Deserialize;

impl Config {
    /// The files the config `text` includes, as written; none when it does not parse
    /// (parsing it reports why).
    pub fn includes(text: &str) -> Vec<String> {
        let Ok(table) = toml::from_str::<toml::Table>(text) else {
            return Vec::new();
        };
        match table.get("include") {
            Some(toml::Value::Array(files)) => files.iter().filter_map(|f| f.as_str().map(str::to_string)).collect(),
            _ => Vec::new(),
        }
    }

    /// Parses and checks the config `text` with the documents it includes (each a source
    /// name and its text): tables merge, and a key the config sets wins over the same key
    /// in an included document (an earlier included document over a later one).
    /// `rooms_pending`: an included file is not there yet (`confbot provision` writes it),
    /// so an announcement may name a place `[rooms]` does not have yet.
    pub fn from_toml_with(
        text: &str,
        source: &str,
        included: &[(String, String)],
        rooms_pending: bool,
    ) -> Result<Config, ConfigError> {
        let fail = |source: &str, problems: Vec<String>| ConfigError {
            source: source.to_string(),
            problems,
        };
        if included.is_empty() {
            let raw = Config::raw(text, source)?;
            return Config::checked(raw, rooms_pending).map_err(|problems| fail(source, problems));
        }
        let mut merged = table(text, source)?;
        for (name, text) in included {
            if let Some(problem) = secret_in_file(text) {
                return Err(fail(name, vec![problem]));
            }
            let mut document = table(text, name)?;
            document.remove("include");
            merge(&mut merged, document);
        }
        if let Some(problem) = secret_in_file(text) {
            return Err(fail(source, vec![problem]));
        }
        let raw = RawConfig::deserialize(toml::Value::Table(merged)).map_err(|err| {
            let names: Vec<&str> = included.iter().map(|(name, _)| name.as_str()).collect();
            fail(
                source,
                vec![format!("{} (with {})", err.message().trim(), names.join(", "))],
            )
        })?;
        Config::checked(raw, rooms_pending).map_err(|problems| fail(source, problems))
    }
}

/// One document as a table; a syntax error names its line.
fn table(text: &str, source: &str) -> Result<toml::Table, ConfigError> {
    toml::from_str::<toml::Table>(text).map_err(|err| {
        let line = (err.span())
            .map(|span| format!("line {}: ", text[..span.start].matches('\n').count() + 1))
            .unwrap_or_default();
        ConfigError {
            source: source.to_string(),
            problems: vec![format!("{line}{}", err.message().trim())],
        }
    })
}

/// Adds what `from` has and `into` lacks, table by table: `into`'s own keys win.
fn merge(into: &mut toml::Table, from: toml::Table) {
    for (key, value) in from {
        match (into.get_mut(&key), value) {
            (Some(toml::Value::Table(mine)), toml::Value::Table(theirs)) => merge(mine, theirs),
            (Some(_), _) => {}
            (None, value) => {
                into.insert(key, value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAIN: &str = "include = [\"rooms.generated.toml\"]\n[schedule]\nsource = \"s.toml\"\n[rooms.map]\n\"Hall A\" = \"#mine:x\"\n";
    const ROOMS: &str =
        "[rooms]\nannouncements = [\"!a:x\"]\n[rooms.map]\n\"Hall A\" = \"!gen-a:x\"\n\"Hall B\" = \"!gen-b:x\"\n";

    #[test]
    fn an_included_rooms_file_fills_in_what_the_config_does_not_say() {
        assert_eq!(Config::includes(MAIN), ["rooms.generated.toml"]);
        let config =
            Config::from_toml_with(MAIN, "c.toml", &[("rooms.generated.toml".into(), ROOMS.into())], false).unwrap();
        assert_eq!(config.rooms.announcements, ["!a:x"]);
        assert_eq!(config.rooms.map["Hall A"].room, "#mine:x", "the config's own key wins");
        assert_eq!(config.rooms.map["Hall B"].room, "!gen-b:x");
        assert_eq!(config.include, [std::path::PathBuf::from("rooms.generated.toml")]);
    }

    #[test]
    fn an_error_in_an_included_file_names_that_file_and_line() {
        let err = Config::from_toml_with(
            MAIN,
            "c.toml",
            &[("rooms.generated.toml".into(), "[rooms\n".into())],
            false,
        )
        .unwrap_err();
        assert_eq!(err.source, "rooms.generated.toml");
        assert!(err.problems[0].starts_with("line 1: "), "{err}");
        let err = Config::from_toml_with(
            MAIN,
            "c.toml",
            &[("g.toml".into(), "[rooms]\nannouncements = \"!a:x\"\n".into())],
            false,
        )
        .unwrap_err();
        assert!(err.to_string().contains("(with g.toml)"), "{err}");
    }

    #[test]
    fn before_provisioning_an_announcement_may_name_a_place_the_rooms_file_will_map() {
        let main = format!("{MAIN}[[announcements]]\ntext = \"Hi\"\nroom = \"Hall B\"\nat = \"2023-02-03T09:00\"\n");
        assert!(Config::from_toml_with(&main, "c.toml", &[], false).is_err());
        assert!(Config::from_toml_with(&main, "c.toml", &[], true).is_ok());
    }
}
