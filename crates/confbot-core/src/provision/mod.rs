//! What `confbot provision` makes of a schedule: the rooms a conference needs on Matrix,
//! as data. The conference space; an announcements room; one public room per schedule
//! room (or per track), each with a private backstage; the conference's moderators and
//! speakers rooms; a subspace per track where tracks exist. Each room has a stable key
//! (kept in its `org.confbot.room` state, so a re-run adopts it), an alias made from a
//! prefix and a slug of its name, a name, a topic, whether it is public, the space it
//! belongs to, and the power levels it should have. The adapter compares this with what
//! the homeserver has and creates or corrects the difference.

mod compare;
mod generated;
mod report;

pub use compare::{compare, Comparison, Found, Marker, Step, Write, MARKER_TYPE};
pub use generated::rooms_file;
pub use report::{creation_minutes, report, CREATION_BURST};

use crate::schedule::Schedule;
use crate::text;
use std::collections::BTreeMap;

/// The longest slug made from a name, in characters (an alias stays well under 255 bytes).
pub const MAX_SLUG_CHARS: usize = 48;

/// Power levels: the bot and the organizers 100, a track's moderators 50 in its rooms.
pub const ADMIN: i64 = 100;
pub const MODERATOR: i64 = 50;

/// What each public room stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Per {
    /// One public room per room of the schedule.
    Room,
    /// One public room per track (sessions without a track: per schedule room).
    Track,
}

/// What `[provision]` and the rest of the config say about the rooms to make.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    pub per: Per,
    /// What the rooms' markers name the conference: a re-run adopts only its own rooms.
    pub conference: String,
    /// Put before each slug to make an alias's localpart: "fosdem25-".
    pub alias_prefix: String,
    /// The bot's Matrix ID.
    pub bot: String,
    pub organizers: Vec<String>,
    /// The conference's moderators (`[access] moderators`): 50 in its moderators and
    /// speakers rooms.
    pub conference_moderators: Vec<String>,
    /// Each track's (or place's) own moderators.
    pub moderators: BTreeMap<String, Vec<String>>,
    /// Invited to every private room.
    pub invite: Vec<String>,
}

impl Options {
    /// The options `config` gives for provisioning `schedule` as `bot`; the alias prefix
    /// defaults to the conference's name as a slug, and "-".
    pub fn from_config(config: &crate::config::Config, schedule: &Schedule, bot: &str) -> Options {
        let provision = &config.provision;
        let conference = slug(&schedule.conference().name);
        Options {
            per: provision.per,
            conference: provision.conference.clone().unwrap_or_else(|| conference.clone()),
            alias_prefix: (provision.alias_prefix.clone()).unwrap_or_else(|| format!("{conference}-")),
            bot: bot.to_string(),
            organizers: config.access.organizers.clone(),
            conference_moderators: config.access.moderators.clone(),
            moderators: provision.moderators.clone(),
            invite: provision.invite.clone(),
        }
    }
}

/// What a room is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The conference space.
    Space,
    /// A track's subspace.
    TrackSpace,
    /// The conference's announcements room.
    Announcements,
    /// A place's public room.
    Public,
    /// A place's backstage: private, invite-only.
    Backstage,
    /// The moderators room of a place with moderators of its own: private.
    PlaceModerators,
    /// The conference's moderators room: private.
    Moderators,
    /// The conference's speakers room: private.
    Speakers,
}

impl Kind {
    /// Whether anyone may join and read it.
    pub fn public(self) -> bool {
        matches!(
            self,
            Kind::Space | Kind::TrackSpace | Kind::Announcements | Kind::Public
        )
    }

    pub fn is_space(self) -> bool {
        matches!(self, Kind::Space | Kind::TrackSpace)
    }

    /// Who may read its history (`m.room.history_visibility`): anyone for a public room,
    /// so a room can be previewed before joining; members for a private one.
    pub fn history_visibility(self) -> &'static str {
        if self.public() {
            "world_readable"
        } else {
            "shared"
        }
    }

    /// How the plan names it.
    pub fn describe(self) -> &'static str {
        match self {
            Kind::Space => "the conference's space",
            Kind::TrackSpace => "a track's space",
            Kind::Announcements => "public announcements room",
            Kind::Public => "public room",
            Kind::Backstage => "private backstage",
            Kind::PlaceModerators => "private moderators room of its own",
            Kind::Moderators => "private moderators room",
            Kind::Speakers => "private speakers room",
        }
    }
}

/// One room as it should be.
#[derive(Debug, Clone, PartialEq)]
pub struct RoomSpec {
    /// Stable within the conference: "space", "announcements", "public:Pagoda room", …
    pub key: String,
    pub kind: Kind,
    /// The schedule room or track it serves.
    pub place: Option<String>,
    /// The alias's localpart, without `#` and server.
    pub alias: String,
    pub name: String,
    pub topic: Option<String>,
    /// The key of the space it belongs to.
    pub parent: Option<String>,
    /// User → power level; everyone else 0.
    pub power: BTreeMap<String, i64>,
    /// The sessions it serves (kept in its marker, so a renamed place is recognised).
    pub sessions: Vec<String>,
    /// Invited when it is made, or later when not there yet: private rooms only.
    pub invite: Vec<String>,
}

/// Every room of the conference, spaces first, each parent before its children.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub rooms: Vec<RoomSpec>,
}

impl Plan {
    pub fn room(&self, key: &str) -> Option<&RoomSpec> {
        self.rooms.iter().find(|r| r.key == key)
    }
}

/// The slug of a name for an alias: lower case, accents dropped, every run of anything
/// but a letter or digit one `-`, at most [`MAX_SLUG_CHARS`]; "room" when nothing is left.
pub fn slug(name: &str) -> String {
    let mut slug = String::new();
    for c in text::fold(name).chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
        if slug.chars().count() >= MAX_SLUG_CHARS {
            break;
        }
    }
    let slug = slug.trim_end_matches('-');
    if slug.is_empty() {
        "room".to_string()
    } else {
        slug.to_string()
    }
}

/// The rooms `schedule` needs under `options`.
pub fn plan(schedule: &Schedule, options: &Options) -> Plan {
    let conference = &schedule.conference().name;
    let mut aliases = Aliases::default();
    let admins = |extra: &[String]| {
        let mut power: BTreeMap<String, i64> = BTreeMap::new();
        power.insert(options.bot.clone(), ADMIN);
        for organizer in &options.organizers {
            power.insert(organizer.clone(), ADMIN);
        }
        for moderator in extra {
            power.entry(moderator.clone()).or_insert(MODERATOR);
        }
        power
    };
    // Those invited to a private room: `[provision] invite` and the room's moderators.
    let invite = |extra: &[String]| {
        let mut users: Vec<String> = Vec::new();
        for user in options.invite.iter().chain(extra) {
            if *user != options.bot && !users.contains(user) {
                users.push(user.clone());
            }
        }
        users
    };
    let room = |key: String, kind: Kind, alias: String, name: String, parent: Option<&str>| RoomSpec {
        key,
        kind,
        place: None,
        alias,
        name,
        topic: None,
        parent: parent.map(str::to_string),
        power: admins(&[]),
        sessions: Vec::new(),
        invite: Vec::new(),
    };
    let mut rooms = vec![
        RoomSpec {
            topic: Some(format!("The rooms of {conference}")),
            ..room(
                "space".into(),
                Kind::Space,
                aliases.take(&options.alias_prefix, "space"),
                conference.clone(),
                None,
            )
        },
        room(
            "announcements".into(),
            Kind::Announcements,
            aliases.take(&options.alias_prefix, "announcements"),
            format!("{conference}: announcements"),
            Some("space"),
        ),
    ];
    let all_moderators: Vec<String> = (options.conference_moderators.iter())
        .chain(options.moderators.values().flatten())
        .cloned()
        .collect();
    for (kind, word) in [(Kind::Moderators, "moderators"), (Kind::Speakers, "speakers")] {
        rooms.push(RoomSpec {
            power: admins(&all_moderators),
            invite: invite(&all_moderators),
            ..room(
                word.into(),
                kind,
                aliases.take(&options.alias_prefix, word),
                format!("{conference}: {word}"),
                Some("space"),
            )
        });
    }
    let places = places(schedule, options.per);
    let tracks: Vec<&str> = {
        let mut tracks: Vec<&str> = places.iter().filter_map(|(_, track)| *track).collect();
        tracks.sort_unstable();
        tracks.dedup();
        tracks
    };
    let sessions = |matches: &dyn Fn(&crate::schedule::Session) -> bool| -> Vec<String> {
        schedule
            .sessions()
            .iter()
            .filter(|s| matches(s))
            .map(|s| s.id.clone())
            .collect()
    };
    for track in &tracks {
        rooms.push(RoomSpec {
            place: Some(track.to_string()),
            power: admins(moderators_of(options, &[track])),
            sessions: sessions(&|s| s.track.as_deref() == Some(track)),
            ..room(
                format!("track-space:{track}"),
                Kind::TrackSpace,
                aliases.take(&options.alias_prefix, &format!("{}-track", slug(track))),
                format!("{conference}: {track}"),
                Some("space"),
            )
        });
    }
    for (place, track) in &places {
        let parent = match track {
            Some(track) => format!("track-space:{track}"),
            None => "space".to_string(),
        };
        let keys: Vec<&str> = std::iter::once(*place).chain(*track).collect();
        let moderators = moderators_of(options, &keys);
        let served = match options.per {
            Per::Room => sessions(&|s| s.room.as_deref() == Some(place)),
            Per::Track if track.is_some() => sessions(&|s| s.track.as_deref() == Some(place)),
            Per::Track => sessions(&|s| s.track.is_none() && s.room.as_deref() == Some(place)),
        };
        let public = aliases.take(&options.alias_prefix, &slug(place));
        let backstage = aliases.take(&options.alias_prefix, &format!("{}-backstage", slug(place)));
        rooms.push(RoomSpec {
            place: Some(place.to_string()),
            power: admins(moderators),
            sessions: served.clone(),
            ..room(
                format!("public:{place}"),
                Kind::Public,
                public,
                place.to_string(),
                Some(&parent),
            )
        });
        rooms.push(RoomSpec {
            place: Some(place.to_string()),
            power: admins(moderators),
            sessions: served.clone(),
            invite: invite(moderators),
            ..room(
                format!("backstage:{place}"),
                Kind::Backstage,
                backstage,
                format!("{place}: backstage"),
                Some(&parent),
            )
        });
        if !moderators.is_empty() {
            rooms.push(RoomSpec {
                place: Some(place.to_string()),
                power: admins(moderators),
                invite: invite(moderators),
                sessions: served,
                ..room(
                    format!("moderators:{place}"),
                    Kind::PlaceModerators,
                    aliases.take(&options.alias_prefix, &format!("{}-moderators", slug(place))),
                    format!("{place}: moderators"),
                    Some(&parent),
                )
            });
        }
    }
    Plan { rooms }
}

/// The moderators `options` lists for any of `places` (however they are cased).
fn moderators_of<'o>(options: &'o Options, places: &[&str]) -> &'o [String] {
    (options.moderators.iter())
        .find(|(name, _)| places.iter().any(|p| p.eq_ignore_ascii_case(name)))
        .map_or(&[], |(_, users)| users.as_slice())
}

/// The places that get a public room, in order, each with its track when it has one
/// (per room: the track of most of its sessions).
fn places(schedule: &Schedule, per: Per) -> Vec<(&str, Option<&str>)> {
    let mut places: Vec<(&str, Option<&str>)> = Vec::new();
    match per {
        Per::Room => {
            for room in schedule.rooms() {
                let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
                let in_room = schedule.sessions().iter().filter(|s| s.room.as_deref() == Some(room));
                for track in in_room.filter_map(|s| s.track.as_deref()) {
                    *counts.entry(track).or_default() += 1;
                }
                let track = counts.into_iter().max_by_key(|(_, n)| *n).map(|(t, _)| t);
                places.push((room, track));
            }
        }
        Per::Track => {
            for session in schedule.sessions() {
                let place = match (&session.track, &session.room) {
                    (Some(track), _) => (track.as_str(), Some(track.as_str())),
                    (None, Some(room)) => (room.as_str(), None),
                    (None, None) => continue,
                };
                if !places.contains(&place) {
                    places.push(place);
                }
            }
            places.sort_unstable();
        }
    }
    places
}

/// The aliases handed out so far: a slug taken twice gets "-2", "-3", …
#[derive(Default)]
struct Aliases(Vec<String>);

impl Aliases {
    fn take(&mut self, prefix: &str, slug: &str) -> String {
        let base = format!("{prefix}{slug}");
        let mut alias = base.clone();
        let mut n = 2;
        while self.0.contains(&alias) {
            alias = format!("{base}-{n}");
            n += 1;
        }
        self.0.push(alias.clone());
        alias
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::schedule::native;

    pub(crate) fn two_tracks() -> Schedule {
        native::parse(include_str!("../../../../tests/fixtures/two-tracks.toml"), "two", None)
            .unwrap()
            .schedule
    }

    pub(crate) fn options(per: Per) -> Options {
        Options {
            per,
            alias_prefix: "two23-".into(),
            bot: "@bot:x".into(),
            organizers: vec!["@org:x".into()],
            conference_moderators: vec!["@mod:x".into()],
            moderators: BTreeMap::from([("kernel".into(), vec!["@kmod:x".into()])]),
            conference: "two23".into(),
            invite: vec!["@org:x".into()],
        }
    }

    #[test]
    fn a_slug_keeps_letters_and_digits_and_folds_the_rest() {
        assert_eq!(slug("UB2.252A (Lameere)"), "ub2-252a-lameere");
        assert_eq!(slug("  Fernández / Mancera!! "), "fernandez-mancera");
        assert_eq!(slug("???"), "room");
        assert_eq!(slug(&"a".repeat(500)).len(), MAX_SLUG_CHARS);
    }

    #[test]
    fn per_room_a_public_room_and_a_backstage_under_the_tracks_subspace() {
        let plan = plan(&two_tracks(), &options(Per::Room));
        let keys: Vec<&str> = plan.rooms.iter().map(|r| r.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "space",
                "announcements",
                "moderators",
                "speakers",
                "track-space:Kernel",
                "track-space:Web",
                "public:Hall A",
                "backstage:Hall A",
                "moderators:Hall A",
                "public:Hall B",
                "backstage:Hall B"
            ]
        );
        let hall_a = plan.room("public:Hall A").unwrap();
        assert_eq!(
            (hall_a.alias.as_str(), hall_a.parent.as_deref()),
            ("two23-hall-a", Some("track-space:Kernel"))
        );
        assert_eq!(plan.room("backstage:Hall A").unwrap().alias, "two23-hall-a-backstage");
        assert!(!Kind::Backstage.public() && Kind::Public.public());
    }

    #[test]
    fn a_tracks_moderators_get_50_only_in_its_rooms_and_the_bot_and_organizers_100() {
        let plan = plan(&two_tracks(), &options(Per::Room));
        let power = |key: &str| plan.room(key).unwrap().power.clone();
        assert_eq!(
            power("backstage:Hall A"),
            BTreeMap::from([("@bot:x".into(), 100), ("@kmod:x".into(), 50), ("@org:x".into(), 100)])
        );
        assert_eq!(
            power("public:Hall B").get("@kmod:x"),
            None,
            "not in the web track's rooms"
        );
        assert_eq!(
            power("moderators").get("@kmod:x"),
            Some(&50),
            "the conference's moderators room"
        );
        assert_eq!(power("space").get("@kmod:x"), None);
    }

    #[test]
    fn the_options_come_from_the_config_with_the_conference_as_the_default_prefix() {
        let config = crate::config::Config::from_toml(
            "[schedule]\nsource = \"x.toml\"\n[access]\norganizers = [\"@org:x\"]\n[provision]\nper = \"track\"\n",
            "c.toml",
        )
        .unwrap();
        let options = Options::from_config(&config, &two_tracks(), "@bot:x");
        assert_eq!(
            (options.per, options.alias_prefix.as_str()),
            (Per::Track, "two-tracks-day-2023-")
        );
        assert_eq!(options.organizers, ["@org:x"]);
    }

    #[test]
    fn per_track_one_public_room_per_track_and_aliases_never_repeat() {
        let plan = plan(&two_tracks(), &options(Per::Track));
        assert!(plan.room("public:Kernel").is_some() && plan.room("public:Web").is_some());
        // The lunch has no track: its schedule room gets a public room of its own.
        let lunch = plan.room("public:Hall A").expect("the room of the trackless lunch");
        assert_eq!(lunch.parent.as_deref(), Some("space"));
        assert!(plan.room("public:Hall B").is_none());
        let mut aliases: Vec<&str> = plan.rooms.iter().map(|r| r.alias.as_str()).collect();
        let count = aliases.len();
        aliases.sort_unstable();
        aliases.dedup();
        assert_eq!(aliases.len(), count);
        let mut taken = Aliases::default();
        assert_eq!(
            [taken.take("p-", "a"), taken.take("p-", "a"), taken.take("p-", "a")],
            ["p-a", "p-a-2", "p-a-3"]
        );
    }
}
