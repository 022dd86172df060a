//! The reminder plan: which posts fall due when, computed from the schedule and the
//! configured lead times. Pure; the timers that act on it live in the adapters.

use crate::schedule::{Schedule, Session, SessionKind};
use chrono::{DateTime, TimeDelta};
use chrono_tz::Tz;

/// One reminder: `lead` before `session` starts, due at `due`.
#[derive(Debug, Clone, PartialEq)]
pub struct Reminder<'s> {
    pub session: &'s Session,
    pub lead: TimeDelta,
    pub due: DateTime<Tz>,
}

/// Every reminder of the schedule, ordered by due instant, then schedule order.
pub fn reminders<'s>(
    schedule: &'s Schedule,
    leads: &[TimeDelta],
    skip_kinds: &[SessionKind],
) -> Vec<Reminder<'s>> {
    let mut plan: Vec<Reminder<'s>> = schedule
        .sessions()
        .iter()
        .filter(|session| !skip_kinds.contains(&session.kind))
        .flat_map(|session| {
            leads.iter().map(move |&lead| Reminder {
                session,
                lead,
                due: session.start - lead,
            })
        })
        .collect();
    plan.sort_by_key(|r| r.due);
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::native;

    #[test]
    fn each_session_gets_one_reminder_per_lead_in_due_order() {
        let doc = r#"
[conference]
name = "C"
timezone = "Europe/Brussels"
[[sessions]]
id = "coffee"
title = "Coffee"
kind = "break"
start = "2023-02-03T08:30"
[[sessions]]
id = "a"
title = "A"
start = "2023-02-03T09:00"
[[sessions]]
id = "b"
title = "B"
start = "2023-02-03T09:05"
end = "2023-02-03T10:00"
"#;
        let schedule = native::parse(doc, "c.toml", None).unwrap().schedule;
        let leads = [TimeDelta::minutes(10), TimeDelta::zero()];
        let plan = reminders(&schedule, &leads, &[]);
        let seen: Vec<String> = plan
            .iter()
            .map(|r| format!("{} {}", r.due.format("%H:%M"), r.session.id))
            .collect();
        assert_eq!(
            seen,
            [
                "08:20 coffee",
                "08:30 coffee",
                "08:50 a",
                "08:55 b",
                "09:00 a",
                "09:05 b"
            ]
        );
        let no_breaks = reminders(&schedule, &leads, &[SessionKind::Break]);
        assert_eq!(no_breaks.len(), 4);
    }
}
