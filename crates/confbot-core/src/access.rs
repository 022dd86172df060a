//! Who may do what: the roles (`[access]` lists and power levels in the moderators room)
//! and whose invites the bot accepts. The rules are here; the Matrix adapter only reads
//! the power level and the membership from the room.

/// Who may use a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    Attendee,
    /// Triage questions; organizers are moderators too.
    Moderator,
    Organizer,
}

/// A user's power level in a room, as the room's state gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PowerLevel {
    /// A room's creator in room versions that make creators all-powerful (12 and later).
    Infinite,
    Level(i64),
}

/// `[access]`: the organizer and moderator lists, the power levels that make a role, and
/// whose invites the bot accepts.
#[derive(Debug, Clone, PartialEq)]
pub struct Access {
    pub organizers: Vec<String>,
    pub moderators: Vec<String>,
    /// Users ("@alice:example.org") and servers ("example.org") whose invites the bot accepts.
    pub invite: Vec<String>,
    /// At least this power level in the moderators room makes a user an organizer.
    pub organizer_power_level: i64,
    /// At least this power level in the moderators room makes a user a moderator.
    pub moderator_power_level: i64,
}

/// The power levels that make an organizer and a moderator when `[access]` names none:
/// 100 is a room's administrators; a moderator at 50 triages questions, while delaying
/// the schedule and posting announcements is for organizers.
pub const DEFAULT_ORGANIZER_POWER_LEVEL: i64 = 100;
pub const DEFAULT_MODERATOR_POWER_LEVEL: i64 = 50;

impl Default for Access {
    fn default() -> Access {
        Access {
            organizers: Vec::new(),
            moderators: Vec::new(),
            invite: Vec::new(),
            organizer_power_level: DEFAULT_ORGANIZER_POWER_LEVEL,
            moderator_power_level: DEFAULT_MODERATOR_POWER_LEVEL,
        }
    }
}

impl Access {
    /// The role the lists give `user`: organizer, moderator, or attendee when in neither.
    pub fn listed_role(&self, user: &str) -> Role {
        if self.organizers.iter().any(|o| o == user) {
            Role::Organizer
        } else if self.moderators.iter().any(|m| m == user) {
            Role::Moderator
        } else {
            Role::Attendee
        }
    }

    /// `user`'s role: the higher of what the lists say and what `level`, their power level
    /// in the moderators room, makes them. `None` when they are not a member of that room:
    /// a level left over from someone who left, or set for a user never there, makes no
    /// moderator.
    pub fn role(&self, user: &str, level: Option<PowerLevel>) -> Role {
        let by_level = match level {
            Some(PowerLevel::Infinite) => Role::Organizer,
            Some(PowerLevel::Level(level)) if level >= self.organizer_power_level => Role::Organizer,
            Some(PowerLevel::Level(level)) if level >= self.moderator_power_level => Role::Moderator,
            _ => Role::Attendee,
        };
        self.listed_role(user).max(by_level)
    }

    /// Whether `[access] invite` (or the organizer and moderator lists) allows `user`, whose
    /// server is `server`, to invite the bot.
    pub fn may_invite(&self, user: &str, server: &str) -> bool {
        self.organizers.iter().chain(&self.moderators).any(|u| u == user)
            || self
                .invite
                .iter()
                .any(|entry| entry == user || entry.trim_start_matches(':') == server)
    }

    /// The users and servers named in `[access]`, where a room known only by its id may be
    /// asked for.
    pub fn named(&self) -> impl Iterator<Item = &str> {
        self.organizers
            .iter()
            .chain(&self.moderators)
            .chain(&self.invite)
            .map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn access(invite: &[&str]) -> Access {
        Access {
            organizers: vec!["@org:example.org".into()],
            moderators: vec!["@mod:example.org".into()],
            invite: invite.iter().map(|s| s.to_string()).collect(),
            organizer_power_level: 100,
            moderator_power_level: 50,
        }
    }

    #[test]
    fn invites_are_accepted_from_listed_users_and_servers_only() {
        let a = access(&["@alice:other.org", "example.net"]);
        assert!(a.may_invite("@alice:other.org", "other.org"));
        assert!(a.may_invite("@anyone:example.net", "example.net"));
        assert!(a.may_invite("@org:example.org", "example.org"), "organizers may invite");
        assert!(a.may_invite("@mod:example.org", "example.org"), "moderators may invite");
        assert!(!a.may_invite("@mallory:evil.org", "evil.org"));
        assert!(!a.may_invite("@bob:other.org", "other.org"));
        assert!(access(&[":localhost"]).may_invite("@x:localhost", "localhost"));
    }

    #[test]
    fn a_role_is_the_higher_of_the_lists_and_the_power_level() {
        let a = access(&[]);
        assert_eq!(a.role("@x:example.org", None), Role::Attendee);
        assert_eq!(a.role("@x:example.org", Some(PowerLevel::Level(49))), Role::Attendee);
        assert_eq!(a.role("@x:example.org", Some(PowerLevel::Level(50))), Role::Moderator);
        assert_eq!(a.role("@x:example.org", Some(PowerLevel::Level(100))), Role::Organizer);
        assert_eq!(a.role("@x:example.org", Some(PowerLevel::Infinite)), Role::Organizer);
        assert_eq!(a.role("@mod:example.org", None), Role::Moderator);
        assert_eq!(
            a.role("@mod:example.org", Some(PowerLevel::Level(100))),
            Role::Organizer
        );
        assert_eq!(a.role("@org:example.org", Some(PowerLevel::Level(0))), Role::Organizer);
    }
}
