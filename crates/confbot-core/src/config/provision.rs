//! Checking `[provision]`: what `confbot provision` makes of the schedule (one public
//! room per schedule room or per track), the prefix of the aliases it gives them, whom it
//! invites to the private rooms, and each track's own moderators.

use super::check::Checker;
use super::raw::RawProvision;
use crate::provision::Per;
use std::collections::BTreeMap;

/// The longest `[provision] alias_prefix`, in characters.
pub const MAX_ALIAS_PREFIX_CHARS: usize = 32;

/// `[provision]`, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct ProvisionConfig {
    /// What the rooms' markers call the conference; `None`: the conference's name as a
    /// slug. Keep it from year to year to keep the rooms.
    pub conference: Option<String>,
    pub per: Per,
    /// Before each alias's slug; `None`: the conference's name as a slug and "-".
    pub alias_prefix: Option<String>,
    /// Invited to the private rooms (backstages, moderators, speakers).
    pub invite: Vec<String>,
    /// A track or schedule room → its own moderators, power level 50 in its rooms.
    pub moderators: BTreeMap<String, Vec<String>>,
}

impl Default for ProvisionConfig {
    fn default() -> ProvisionConfig {
        ProvisionConfig {
            conference: None,
            per: Per::Room,
            alias_prefix: None,
            invite: Vec::new(),
            moderators: BTreeMap::new(),
        }
    }
}

impl Checker {
    pub(super) fn provision(&mut self, raw: RawProvision) -> ProvisionConfig {
        let per = match raw.per.as_deref() {
            None | Some("room") => Per::Room,
            Some("track") => Per::Track,
            Some(other) => {
                self.problems.push(format!(
                    "[provision] per: \"{other}\" is neither \"room\" (a public room per room of the schedule) nor \"track\" (per track)"
                ));
                Per::Room
            }
        };
        if let Some(prefix) = &raw.alias_prefix {
            let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.');
            let prefix = prefix.strip_prefix('#').unwrap_or(prefix);
            if prefix.chars().count() > MAX_ALIAS_PREFIX_CHARS || !prefix.chars().all(allowed) {
                self.problems.push(format!(
                    "[provision] alias_prefix: \"{prefix}\" will not do: write at most {MAX_ALIAS_PREFIX_CHARS} lower-case letters, digits, \"-\", \"_\" or \".\", such as \"fosdem25-\""
                ));
            }
        }
        if let Some(conference) = &raw.conference {
            if conference.trim().is_empty() || conference.chars().count() > MAX_ALIAS_PREFIX_CHARS {
                self.problems.push(format!(
                    "[provision] conference: write 1 to {MAX_ALIAS_PREFIX_CHARS} characters, such as \"fosdem\""
                ));
            }
        }
        for user in &raw.invite {
            self.user_id("[provision] invite", user);
        }
        for (place, users) in &raw.moderators {
            for user in users {
                self.user_id(&format!("[provision.moderators] \"{place}\""), user);
            }
        }
        ProvisionConfig {
            conference: raw.conference,
            per,
            alias_prefix: raw.alias_prefix.map(|p| p.trim_start_matches('#').to_string()),
            invite: raw.invite,
            moderators: raw.moderators,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::Config;
    use super::*;

    fn config(provision: &str) -> Result<Config, String> {
        Config::from_toml(
            &format!("[schedule]\nsource = \"x.toml\"\n[provision]\n{provision}"),
            "c.toml",
        )
        .map_err(|err| err.to_string())
    }

    #[test]
    fn provision_defaults_to_a_room_per_schedule_room_and_reads_its_keys() {
        assert_eq!(config("").unwrap().provision, ProvisionConfig::default());
        let read = config(
            "per = \"track\"\nalias_prefix = \"#fosdem25-\"\ninvite = [\"@org:x\"]\n[provision.moderators]\n\"Go\" = [\"@gomod:x\"]\n",
        )
        .unwrap()
        .provision;
        assert_eq!(read.per, Per::Track);
        assert_eq!(read.alias_prefix.as_deref(), Some("fosdem25-"));
        assert_eq!(read.moderators["Go"], ["@gomod:x"]);
    }

    #[test]
    fn a_wrong_provision_key_is_named() {
        let err = config("per = \"hall\"\nalias_prefix = \"Big Room\"\ninvite = [\"org\"]\n").unwrap_err();
        assert!(err.contains("[provision] per: \"hall\" is neither"), "{err}");
        assert!(
            err.contains("[provision] alias_prefix: \"Big Room\" will not do"),
            "{err}"
        );
        assert!(
            err.contains("[provision] invite: \"org\" is not a Matrix user id"),
            "{err}"
        );
        assert!(config("colour = \"red\"\n").unwrap_err().contains("colour"));
    }
}
