//! Checking the raw config into typed values: every problem is collected, each naming
//! its key and what to write instead.

use super::raw::*;
use super::*;
use crate::plan::cues;

#[derive(Default)]
pub(super) struct Checker {
    pub(super) problems: Vec<String>,
    /// The rooms file `confbot provision` writes is not there yet.
    pub(super) rooms_pending: bool,
}

impl Checker {
    fn duration(&mut self, key: &str, value: &str) -> TimeDelta {
        duration::parse(value).unwrap_or_else(|err| {
            self.problems.push(format!("{key}: {err}"));
            TimeDelta::zero()
        })
    }

    pub(super) fn user_id(&mut self, key: &str, value: &str) {
        if !is_user_id(value) {
            self.problems.push(format!(
                "{key}: \"{value}\" is not a Matrix user id: write it as \"@name:server\""
            ));
        }
    }

    pub(super) fn config(&mut self, raw: RawConfig) -> Config {
        let matrix = raw.matrix.map(|m| self.matrix(m));
        let timezone = raw.schedule.timezone.as_deref().and_then(|name| {
            Tz::from_str(name)
                .map_err(|_| {
                    let hint = time::closest_zone(name)
                        .map(|z| format!("did you mean \"{z}\"?"))
                        .unwrap_or_else(|| "use an IANA zone name such as \"Europe/Brussels\"".to_string());
                    self.problems.push(format!(
                        "[schedule] timezone: \"{name}\" is not a known time zone: {hint}"
                    ));
                })
                .ok()
        });
        let rooms = self.rooms(raw.rooms);
        let reminders = self.reminders(raw.reminders);
        let access = self.access(raw.access);
        let questions = self.questions(raw.questions);
        let speakers = self.speakers(raw.speakers);
        let provision = self.provision(raw.provision);
        let commands = CommandsConfig {
            per_user: self.rate_or_off(
                "[commands] per_user",
                raw.commands.per_user.as_deref(),
                DEFAULT_COMMANDS_PER_USER,
            ),
            prefix: self.prefix(raw.commands.prefix),
        };
        let metrics = self.metrics(raw.metrics);
        let announcements = raw
            .announcements
            .into_iter()
            .enumerate()
            .filter_map(|(i, a)| self.announcement(i + 1, a, &rooms))
            .collect();
        Config {
            include: raw.include.iter().map(PathBuf::from).collect(),
            matrix,
            schedule: ScheduleConfig {
                source: {
                    let source = Location::parse(&raw.schedule.source);
                    if let Err(err) = source.check() {
                        self.problems.push(format!("[schedule] source: {err}"));
                    }
                    source
                },
                format: raw.schedule.format.as_deref().and_then(|f| {
                    f.parse::<Format>()
                        .map_err(|err| self.problems.push(format!("[schedule] format: {err}")))
                        .ok()
                }),
                timezone,
                refresh: self.duration("[schedule] refresh", raw.schedule.refresh.as_deref().unwrap_or("10m")),
            },
            rooms,
            reminders,
            access,
            questions,
            speakers,
            provision,
            commands,
            metrics,
            announcements,
        }
    }

    fn speakers(&mut self, raw: RawSpeakers) -> SpeakerCues {
        let invite_before = match raw.invite_before {
            Some(value) => self.duration("[speakers] invite_before", &value),
            None => cues::DEFAULT_INVITE_BEFORE,
        };
        let mut matrix = BTreeMap::new();
        for (speaker, user) in raw.matrix {
            self.user_id(&format!("[speakers.matrix] \"{speaker}\""), &user);
            matrix.insert(text::fold(&speaker), user);
        }
        SpeakerCues {
            enabled: raw.cues.unwrap_or(true),
            invite_before,
            matrix,
        }
    }

    /// `[commands] prefix`: one to three marks, no letter, digit or space, and not a sign
    /// that starts something else in a message (`#` a room or a session, `@` a user, `>`
    /// a quote, `/` a client's own command).
    fn prefix(&mut self, raw: Option<String>) -> String {
        let Some(prefix) = raw else {
            return DEFAULT_PREFIX.to_string();
        };
        let wrong = || {
            let count = prefix.chars().count();
            if count == 0 || count > MAX_PREFIX_CHARS {
                return Some(format!("write 1 to {MAX_PREFIX_CHARS} characters"));
            }
            let odd = |c: &char| c.is_alphanumeric() || c.is_whitespace() || c.is_control();
            if let Some(c) = prefix.chars().find(odd) {
                return Some(format!("{c:?} is not allowed: use marks such as \"!\", \"?\" or \".\""));
            }
            let first = prefix.chars().next().filter(|c| matches!(c, '#' | '@' | '>' | '/'));
            first.map(|c| format!("it cannot start with \"{c}\", which starts something else in a message"))
        };
        if let Some(why) = wrong() {
            self.problems.push(format!(
                "[commands] prefix: \"{}\" will not do: {why}",
                prefix.escape_debug()
            ));
            return DEFAULT_PREFIX.to_string();
        }
        prefix
    }

    fn matrix(&mut self, raw: RawMatrix) -> MatrixConfig {
        if !(raw.homeserver.starts_with("http://") || raw.homeserver.starts_with("https://")) {
            self.problems.push(format!(
                "[matrix] homeserver: \"{}\" is not a URL: write it as \"https://matrix.example.org\"",
                raw.homeserver
            ));
        }
        self.user_id("[matrix] user", &raw.user);
        let command_max_age = match raw.command_max_age.as_deref() {
            Some(written) => self.duration("[matrix] command_max_age", written),
            None => DEFAULT_COMMAND_MAX_AGE,
        };
        MatrixConfig {
            homeserver: raw.homeserver,
            user: raw.user,
            device_name: raw.device_name.unwrap_or_else(|| "confbot".to_string()),
            state_dir: raw.state_dir.unwrap_or_else(|| PathBuf::from("state")),
            password_file: raw.password_file,
            recovery_key_file: raw.recovery_key_file,
            command_max_age,
        }
    }

    fn reminders(&mut self, raw: RawReminders) -> Reminders {
        let lead_strings: Vec<String> = raw
            .lead
            .unwrap_or_else(|| DEFAULT_LEAD.iter().map(|s| s.to_string()).collect());
        let mut lead: Vec<TimeDelta> = lead_strings
            .iter()
            .map(|l| self.duration("[reminders] lead", l))
            .collect();
        lead.sort_by(|a, b| b.cmp(a));
        lead.dedup();
        let grace = self.duration("[reminders] grace", raw.grace.as_deref().unwrap_or("2m"));
        let msgtypes = self.per_lead("[reminders] msgtype", raw.msgtype, &lead, &["notice", "text"]);
        let as_notice = msgtypes.all.as_deref() != Some("text");
        let notice_at = (msgtypes.leads.into_iter())
            .map(|(lead, word)| (lead, word == "notice"))
            .collect();
        let notify = self.per_lead("[reminders] notify", raw.notify, &lead, &["none", "room"]);
        let notify_room = match notify.all.as_deref() {
            Some("room") => lead.clone(),
            _ => (notify.leads.into_iter())
                .filter(|(_, word)| word == "room")
                .map(|(lead, _)| lead)
                .collect(),
        };
        let mut templates = BTreeMap::new();
        for (key, template) in raw.templates {
            match duration::parse(&key) {
                Ok(lead_time) => {
                    if !lead.contains(&lead_time) {
                        self.problems.push(format!(
                            "[reminders.templates] \"{key}\": not one of the lead times in [reminders] lead"
                        ));
                    }
                    for name in crate::present::posts::unknown_placeholders(&template) {
                        self.problems.push(format!(
                            "[reminders.templates] \"{key}\": unknown placeholder {{{name}}}; use {}",
                            crate::present::posts::PLACEHOLDERS
                                .map(|p| format!("{{{p}}}"))
                                .join(", ")
                        ));
                    }
                    templates.insert(duration::Compact(lead_time).to_string(), template);
                }
                Err(err) => self.problems.push(format!("[reminders.templates] \"{key}\": {err}")),
            }
        }
        Reminders {
            lead,
            grace,
            skip_kinds: raw.skip_kinds,
            as_notice,
            notice_at,
            notify_room,
            templates,
        }
    }

    /// A setting given once for all leads (`"room"`) or per lead (`{ "0m" = "room" }`),
    /// each value one of `words` ("m.notice" reads as "notice").
    fn per_lead(&mut self, key: &str, raw: Option<toml::Value>, leads: &[TimeDelta], words: &[&str]) -> PerLead {
        let word = |this: &mut Self, at: &str, value: &toml::Value| -> Option<String> {
            let given = value.as_str().map(|w| w.strip_prefix("m.").unwrap_or(w));
            match given {
                Some(w) if words.contains(&w) => Some(w.to_string()),
                _ => {
                    let quoted: Vec<String> = words.iter().map(|w| format!("\"{w}\"")).collect();
                    this.problems
                        .push(format!("{at}: {value} is not one of {}", quoted.join(", ")));
                    None
                }
            }
        };
        let mut per_lead = PerLead::default();
        match raw {
            None => {}
            Some(toml::Value::Table(table)) => {
                for (lead, value) in table {
                    let at = format!("{key} \"{lead}\"");
                    let Ok(lead_time) = duration::parse(&lead) else {
                        self.problems.push(format!("{at}: not a lead time such as \"10m\""));
                        continue;
                    };
                    if !leads.contains(&lead_time) {
                        self.problems
                            .push(format!("{at}: not one of the lead times in [reminders] lead"));
                        continue;
                    }
                    if let Some(w) = word(self, &at, &value) {
                        per_lead.leads.push((lead_time, w));
                    }
                }
            }
            Some(value) => per_lead.all = word(self, key, &value),
        }
        per_lead
    }

    fn questions(&mut self, raw: RawQuestions) -> QuestionsConfig {
        let max_length = raw.max_length.unwrap_or(questions::DEFAULT_MAX_LENGTH);
        if max_length == 0 {
            self.problems
                .push("[questions] max_length: must be at least 1".to_string());
        }
        let per_user = self.rate_or_off(
            "[questions] per_user",
            raw.per_user.as_deref(),
            questions::DEFAULT_PER_USER,
        );
        QuestionsConfig {
            enabled: raw.enabled.unwrap_or(true),
            max_length,
            notify_asker: raw.notify_asker.unwrap_or(false),
            per_user,
        }
    }

    /// A rate ("3/1m"), or `None` for "off"; `default` when not written.
    fn rate_or_off(&mut self, key: &str, value: Option<&str>, default: Rate) -> Option<Rate> {
        match value.map(str::trim) {
            None => Some(default),
            Some(off) if off.eq_ignore_ascii_case("off") => None,
            Some(rate) => rate
                .parse::<Rate>()
                .map_err(|err| self.problems.push(format!("{key}: {err}, or \"off\"")))
                .ok(),
        }
    }

    fn metrics(&mut self, raw: RawMetrics) -> MetricsConfig {
        let listen = raw.listen.and_then(|listen| {
            listen
                .trim()
                .parse::<SocketAddr>()
                .map_err(|_| {
                    self.problems.push(format!(
                        "[metrics] listen: \"{listen}\" is not an address and port: write it like \"127.0.0.1:9187\" or \"[::1]:9187\""
                    ))
                })
                .ok()
        });
        MetricsConfig { listen }
    }

    fn access(&mut self, raw: RawAccess) -> Access {
        for (key, users) in [("organizers", &raw.organizers), ("moderators", &raw.moderators)] {
            for user in users {
                self.user_id(&format!("[access] {key}"), user);
            }
        }
        for entry in &raw.invite {
            let server = entry.trim_start_matches(':');
            if !(is_user_id(entry) || is_server_name(server)) {
                self.problems.push(format!(
                    "[access] invite: \"{entry}\" is neither a user (\"@name:server\") nor a server name (\"example.org\")"
                ));
            }
        }
        let organizer_power_level = raw
            .organizer_power_level
            .unwrap_or(access::DEFAULT_ORGANIZER_POWER_LEVEL);
        let moderator_power_level = raw
            .moderator_power_level
            .unwrap_or(access::DEFAULT_MODERATOR_POWER_LEVEL);
        if moderator_power_level > organizer_power_level {
            self.problems.push(format!(
                "[access] moderator_power_level: {moderator_power_level} is above organizer_power_level {organizer_power_level}; organizers are moderators too, so it would never apply: lower it"
            ));
        }
        Access {
            organizers: raw.organizers,
            moderators: raw.moderators,
            invite: raw.invite,
            organizer_power_level,
            moderator_power_level,
        }
    }

    fn announcement(&mut self, number: usize, raw: RawAnnouncement, rooms: &Rooms) -> Option<Announcement> {
        let key = format!("[[announcements]] #{number}");
        let problems_before = self.problems.len();
        if raw.text.trim().is_empty() {
            self.problems.push(format!("{key} text: is empty"));
        }
        if rooms.targets(&raw.room).is_empty() && !self.rooms_pending {
            let names: Vec<&str> = rooms.target_names().collect();
            self.problems.push(format!(
                "{key} room: \"{}\" is not a room configured in [rooms]; use one of: {}",
                raw.room,
                names.join(", ")
            ));
        }
        let chosen = [
            raw.at.is_some(),
            raw.cron.is_some(),
            raw.before.is_some(),
            raw.after.is_some(),
        ]
        .iter()
        .filter(|&&x| x)
        .count();
        if chosen != 1 {
            self.problems.push(format!(
                "{key}: give exactly one of at = \"2023-02-03T08:45\", cron = \"0 9 * * *\", before = \"15m\" or after = \"5m\" (with session = \"ID\")"
            ));
            return None;
        }
        if (raw.before.is_some() || raw.after.is_some()) != raw.session.is_some() {
            self.problems.push(format!(
                "{key} session: before and after need session = \"ID\", and session needs before or after"
            ));
            return None;
        }
        let when = if let Some(written) = raw.at {
            let Some(at) = At::parse(&written) else {
                self.problems.push(format!(
                    "{key} at: \"{written}\" is not a time: write a local time such as \"2023-02-03T08:45\""
                ));
                return None;
            };
            When::At { at, written }
        } else if let Some(written) = raw.cron {
            let cron = match plan::parse_cron(&written) {
                Ok(cron) => Box::new(cron),
                Err(err) => {
                    self.problems
                        .push(format!("{key} cron: \"{written}\" is not a cron expression: {err}"));
                    return None;
                }
            };
            When::Cron { cron, written }
        } else {
            let session = raw.session.unwrap_or_default();
            let offset = match (raw.before, raw.after) {
                (Some(before), _) => -self.duration(&format!("{key} before"), &before),
                (_, Some(after)) => self.duration(&format!("{key} after"), &after),
                _ => unreachable!("exactly one of at, cron, before, after is set"),
            };
            When::Session { session, offset }
        };
        (self.problems.len() == problems_before).then_some(Announcement {
            text: raw.text,
            target: raw.room,
            when,
        })
    }
}

/// A Matrix user ID: "@name:server".
pub(crate) fn is_user_id(s: &str) -> bool {
    s.strip_prefix('@')
        .and_then(|rest| rest.split_once(':'))
        .is_some_and(|(local, server)| !local.is_empty() && is_server_name(server))
}

/// A room id or an alias. Room ids of versions 1 to 11 carry a server (`!abc:example.org`);
/// from version 12 (Synapse's default) they are an opaque hash with none
/// (`!4ayXb8jVHBcdNKdgTxg9ObYjGA1oINp7CYnq5AVa8P8`). Aliases always name a server.
pub(super) fn is_server_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    pub(in crate::config) fn problems(text: &str) -> Vec<String> {
        Config::from_toml(text, "bot.toml").unwrap_err().problems
    }

    #[test]
    fn commands_from_one_sender_are_limited_unless_off() {
        let base = "[schedule]\nsource = \"s\"\n";
        let config = Config::from_toml(base, "bot.toml").unwrap();
        assert_eq!(config.commands.per_user, Some(DEFAULT_COMMANDS_PER_USER));
        let off = Config::from_toml(&format!("{base}[commands]\nper_user = \"off\"\n"), "bot.toml").unwrap();
        assert_eq!(off.commands.per_user, None);
        assert_eq!(
            problems(&format!("{base}[commands]\nper_user = \"lots\"\n")),
            ["[commands] per_user: \"lots\" is not a rate: write it as COUNT/DURATION, like \"3/1m\" (3 questions a minute), \"10/1h\" or \"5/30s\", or \"off\""]
        );
    }

    #[test]
    fn the_command_prefix_is_one_to_three_marks_that_start_nothing_else() {
        let base = "[schedule]\nsource = \"s\"\n";
        assert_eq!(Config::from_toml(base, "bot.toml").unwrap().commands.prefix, "!");
        for good in ["?", ".", "!!", "¡", "~>"] {
            let config = Config::from_toml(&format!("{base}[commands]\nprefix = \"{good}\"\n"), "bot.toml").unwrap();
            assert_eq!(config.commands.prefix, good);
        }
        assert_eq!(
            problems(&format!("{base}[commands]\nprefix = \"\"\n")),
            ["[commands] prefix: \"\" will not do: write 1 to 3 characters"]
        );
        assert_eq!(
            problems(&format!("{base}[commands]\nprefix = \"cb \"\n")),
            ["[commands] prefix: \"cb \" will not do: 'c' is not allowed: use marks such as \"!\", \"?\" or \".\""]
        );
        assert_eq!(
            problems(&format!("{base}[commands]\nprefix = \"#\"\n")),
            ["[commands] prefix: \"#\" will not do: it cannot start with \"#\", which starts something else in a message"]
        );
        assert_eq!(problems(&format!("{base}[commands]\nprefix = \"!!!!\"\n")).len(), 1);
    }

    #[test]
    fn a_schedule_url_is_https_or_on_this_machine() {
        let errs = problems("[schedule]\nsource = \"http://pretalx.example.org/schedule.json\"\n");
        assert_eq!(
            errs,
            ["[schedule] source: \"http://pretalx.example.org/schedule.json\" is plain http, which anyone on the way can read and change: write https://, or use http:// only for this machine (localhost, 127.0.0.1, [::1])"]
        );
    }

    #[test]
    fn the_metrics_endpoint_listens_where_configured() {
        let base = "[schedule]\nsource = \"s\"\n[metrics]\n";
        let config = Config::from_toml(&format!("{base}listen = \"127.0.0.1:9187\"\n"), "bot.toml").unwrap();
        assert_eq!(config.metrics.listen, Some(SocketAddr::from(([127, 0, 0, 1], 9187))));
        let v6 = Config::from_toml(&format!("{base}listen = \"[::1]:9187\"\n"), "bot.toml").unwrap();
        assert_eq!(v6.metrics.listen.map(|a| a.to_string()).as_deref(), Some("[::1]:9187"));
        assert_eq!(
            problems(&format!("{base}listen = \"localhost\"\n")),
            ["[metrics] listen: \"localhost\" is not an address and port: write it like \"127.0.0.1:9187\" or \"[::1]:9187\""]
        );
        let errs = problems(&format!("{base}port = 9187\n"));
        assert!(
            errs[0].starts_with("line 4: unknown field `port`, expected `listen`"),
            "{}",
            errs[0]
        );
    }

    #[test]
    fn question_limits_are_read_and_checked() {
        let base = "[schedule]\nsource = \"s\"\n";
        let config = Config::from_toml(
            &format!("{base}[questions]\nper_user = \"10/1h\"\nmax_length = 280\nnotify_asker = true\n[access]\nmoderator_power_level = 25\norganizer_power_level = 100\n"),
            "bot.toml",
        )
        .unwrap();
        assert_eq!(
            config.questions.rules(),
            Rules {
                max_length: 280,
                per_user: Some(Rate {
                    count: 10,
                    window: TimeDelta::hours(1)
                })
            }
        );
        assert!(config.questions.notify_asker);
        assert_eq!(
            (config.access.moderator_power_level, config.access.organizer_power_level),
            (25, 100)
        );
        let off = Config::from_toml(&format!("{base}[questions]\nper_user = \"off\"\n"), "bot.toml").unwrap();
        assert_eq!(off.questions.per_user, None);
        assert_eq!(
            problems(&format!("{base}[questions]\nper_user = \"3 per minute\"\nmax_length = 0\n[access]\nmoderator_power_level = 101\n")),
            [
                "[access] moderator_power_level: 101 is above organizer_power_level 100; organizers are moderators too, so it would never apply: lower it",
                "[questions] max_length: must be at least 1",
                "[questions] per_user: \"3 per minute\" is not a rate: write it as COUNT/DURATION, like \"3/1m\" (3 questions a minute), \"10/1h\" or \"5/30s\", or \"off\"",
            ]
        );
    }

    #[test]
    fn every_bad_value_is_reported_with_its_key() {
        let errs = problems(
            r#"
[matrix]
homeserver = "matrix.example.org"
user = "confbot"
[schedule]
source = "s.toml"
timezone = "Europe/Brusels"
[rooms]
moderators = "mods"
[reminders]
lead = ["10"]
[access]
invite = ["not a server"]
[[announcements]]
text = "Doors open"
room = "lobby"
cron = "every morning"
"#,
        );
        assert_eq!(
            errs,
            [
                "[matrix] homeserver: \"matrix.example.org\" is not a URL: write it as \"https://matrix.example.org\"",
                "[matrix] user: \"confbot\" is not a Matrix user id: write it as \"@name:server\"",
                "[schedule] timezone: \"Europe/Brusels\" is not a known time zone: did you mean \"Europe/Brussels\"?",
                "[rooms] moderators: \"mods\" is not a Matrix room: write a room id (\"!abc…\", as Element shows it in the room's settings) or an alias (\"#name:server\")",
                "[reminders] lead: '10' is not a duration: write it like \"25m\", \"1h30m\", \"90s\" or \"1:30\"",
                "[access] invite: \"not a server\" is neither a user (\"@name:server\") nor a server name (\"example.org\")",
                "[[announcements]] #1 room: \"lobby\" is not a room configured in [rooms]; use one of: announcements, moderators, speakers",
                "[[announcements]] #1 cron: \"every morning\" is not a cron expression: Invalid pattern: Pattern must have between 5 and 7 fields.",
            ]
        );
    }

    #[test]
    fn durations_past_a_year_are_refused_before_they_reach_the_plan() {
        // Accepted, then planning the reminders panicked (shown with the config fuzz target).
        let base = "[schedule]\nsource = \"s\"\n[rooms]\nannouncements = [\"#a:h\"]\n";
        assert_eq!(
            problems(&format!(
                "{base}[reminders]\nlead = [\"100000000d\"]\n[[announcements]]\ntext = \"x\"\nroom = \"announcements\"\nafter = \"100000000d\"\nsession = \"rocky\"\n"
            )),
            [
                "[reminders] lead: '100000000d' is longer than a year: write at most \"365d\"",
                "[[announcements]] #1 after: '100000000d' is longer than a year: write at most \"365d\"",
            ]
        );
    }

    #[test]
    fn announcements_take_one_time_rule() {
        let base = "[schedule]\nsource = \"s\"\n[rooms]\nannouncements = [\"#a:h\"]\n";
        let config = Config::from_toml(
            &format!("{base}[[announcements]]\ntext = \"Backstage!\"\nroom = \"announcements\"\nbefore = \"15m\"\nsession = \"rocky\"\n"),
            "bot.toml",
        )
        .unwrap();
        assert_eq!(
            config.announcements[0].when,
            When::Session {
                session: "rocky".into(),
                offset: TimeDelta::minutes(-15)
            }
        );
        let typed = Config::from_toml(
            &format!(
                "{base}[[announcements]]\ntext = \"Doors\"\nroom = \"announcements\"\nat = \"2023-02-03T08:00\"\n"
            ),
            "bot.toml",
        )
        .unwrap();
        let local = chrono::NaiveDate::from_ymd_opt(2023, 2, 3)
            .unwrap()
            .and_hms_opt(8, 0, 0)
            .unwrap();
        assert_eq!(
            typed.announcements[0].when,
            When::At {
                at: At::Local(local),
                written: "2023-02-03T08:00".into()
            }
        );
        let errs = problems(&format!(
            "{base}[[announcements]]\ntext = \"x\"\nroom = \"announcements\"\ncron = \"0 25 * * *\"\n\
             [[announcements]]\ntext = \"y\"\nroom = \"announcements\"\nat = \"at nine\"\n"
        ));
        assert_eq!(errs.len(), 2, "{errs:?}");
        assert!(
            errs[0].starts_with("[[announcements]] #1 cron: \"0 25 * * *\" is not a cron expression: "),
            "{}",
            errs[0]
        );
        assert_eq!(
            errs[1],
            "[[announcements]] #2 at: \"at nine\" is not a time: write a local time such as \"2023-02-03T08:45\""
        );
        let errs = problems(&format!(
            "{base}[[announcements]]\ntext = \"x\"\nroom = \"announcements\"\nat = \"2023-02-03T08:00\"\ncron = \"0 9 * * *\"\n"
        ));
        assert!(
            errs[0].starts_with("[[announcements]] #1: give exactly one of"),
            "{}",
            errs[0]
        );
    }

    #[test]
    fn a_template_naming_an_unknown_placeholder_is_an_error() {
        let base = "[schedule]\nsource = \"s\"\n[reminders]\nlead = [\"10m\", \"0m\"]\n[reminders.templates]\n";
        let config = Config::from_toml(
            &format!("{base}\"10m\" = \"Soon: {{title}} in {{room}}\"\n"),
            "bot.toml",
        )
        .unwrap();
        assert_eq!(config.reminders.templates["10m"], "Soon: {title} in {room}");
        let errs = problems(&format!("{base}\"10m\" = \"Soon: {{titel}}\"\n\"5m\" = \"x\"\n"));
        assert_eq!(errs.len(), 2, "{errs:?}");
        assert!(
            errs[0].starts_with("[reminders.templates] \"10m\": unknown placeholder {titel}; use {title}"),
            "{}",
            errs[0]
        );
        assert_eq!(
            errs[1],
            "[reminders.templates] \"5m\": not one of the lead times in [reminders] lead"
        );
    }
}

/// A setting read by [`Checker::per_lead`]: one word for every lead, or one per lead.
#[derive(Default)]
struct PerLead {
    all: Option<String>,
    leads: Vec<(TimeDelta, String)>,
}
