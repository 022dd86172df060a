//! The arguments of the commands that take more than words: announcements, questions,
//! delays, question numbers, and the quoting every command's arguments may use.

use super::{AnnounceWhen, Audience, Command, Spec, UsageError, MAX_ANNOUNCEMENT_CHARS, MAX_ARGUMENT_CHARS};
use crate::duration;

/// `!announce [in DURATION | at TIME] [to all | to track NAME | to ROOM[,ROOM…]] TEXT`.
pub(super) fn parse_announce(args: &[String], spec: &'static Spec) -> Result<Command, UsageError> {
    let mut rest = args;
    let mut when = AnnounceWhen::Now;
    match rest {
        [word, value, tail @ ..] if word.eq_ignore_ascii_case("in") => {
            when = AnnounceWhen::In(duration::parse(value).map_err(|_| UsageError::MissingArgument(spec))?);
            rest = tail;
        }
        [word, value, tail @ ..] if word.eq_ignore_ascii_case("at") => {
            when = AnnounceWhen::At(value.clone());
            rest = tail;
        }
        _ => {}
    }
    let mut to = None;
    if let [word, tail @ ..] = rest {
        if word.eq_ignore_ascii_case("to") && !tail.is_empty() {
            let (audience, tail) = audience(tail, spec)?;
            to = Some(audience);
            rest = tail;
        }
    }
    if rest.is_empty() {
        return Err(UsageError::MissingArgument(spec));
    }
    if let AnnounceWhen::At(value) = &when {
        if value.chars().nth(MAX_ARGUMENT_CHARS).is_some() {
            return Err(UsageError::TooLong(spec));
        }
    }
    let text = rest.join(" ");
    if text.chars().nth(MAX_ANNOUNCEMENT_CHARS).is_some() {
        return Err(UsageError::AnnouncementTooLong);
    }
    Ok(Command::Announce { when, to, text })
}

/// The most rooms one `!announce … to ROOM,ROOM…` may list.
pub const MAX_LISTED_ROOMS: usize = 50;

/// The audience after `to`, and the words left: `all`, `track NAME`, or `ROOM[,ROOM…]`
/// (a list may have a space after each comma).
fn audience<'a>(words: &'a [String], spec: &'static Spec) -> Result<(Audience, &'a [String]), UsageError> {
    let too_long = |word: &String| word.chars().nth(MAX_ARGUMENT_CHARS).is_some();
    match words {
        [word, tail @ ..] if word.eq_ignore_ascii_case("all") => Ok((Audience::All, tail)),
        [word, name, tail @ ..] if word.eq_ignore_ascii_case("track") => {
            if too_long(name) {
                return Err(UsageError::TooLong(spec));
            }
            Ok((Audience::Track(name.clone()), tail))
        }
        _ => {
            let mut listed = Vec::new();
            let mut used = 0;
            for word in words {
                used += 1;
                if too_long(word) {
                    return Err(UsageError::TooLong(spec));
                }
                listed.extend(word.split(',').filter(|room| !room.is_empty()).map(str::to_string));
                if !word.ends_with(',') {
                    break;
                }
            }
            if listed.is_empty() {
                return Err(UsageError::MissingArgument(spec));
            }
            if listed.len() > MAX_LISTED_ROOMS {
                return Err(UsageError::TooLong(spec));
            }
            Ok((Audience::Rooms(listed), &words[used..]))
        }
    }
}

/// `!ask [#SESSION] QUESTION`, from the text after the command name, as typed.
pub(super) fn parse_ask(rest: &str, spec: &'static Spec) -> Result<Command, UsageError> {
    let (session, text) = match rest.strip_prefix('#') {
        Some(tail) => {
            let (id, text) = tail.split_once(char::is_whitespace).unwrap_or((tail, ""));
            (Some(id.to_string()), text.trim())
        }
        None => (None, rest),
    };
    if text.is_empty() || session.as_deref() == Some("") {
        return Err(UsageError::MissingArgument(spec));
    }
    Ok(Command::Ask {
        session,
        text: text.to_string(),
    })
}

/// "Q12", "q12", "#12" or "12".
pub fn question_number(word: Option<&String>, spec: &'static Spec) -> Result<u64, UsageError> {
    word.map(|w| w.trim_start_matches(['Q', 'q', '#']))
        .and_then(|n| n.parse().ok())
        .ok_or(UsageError::MissingArgument(spec))
}

/// `!delay [ROOM] DURATION`, DURATION possibly negative ("-5m").
pub(super) fn parse_delay(args: &[String], spec: &'static Spec) -> Result<Command, UsageError> {
    let Some((last, place)) = args.split_last() else {
        return Err(UsageError::MissingArgument(spec));
    };
    let (negative, written) = match last.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, last.trim_start_matches('+')),
    };
    let shift = duration::parse(written).map_err(|_| UsageError::MissingArgument(spec))?;
    Ok(Command::Delay {
        place: (!place.is_empty()).then(|| place.join(" ")),
        shift: if negative { -shift } else { shift },
    })
}

/// Splits on whitespace, keeping "quoted words" and 'quoted words' together.
pub(super) fn split_words(s: &str) -> Result<Vec<String>, UsageError> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut quote: Option<char> = None;
    let mut in_word = false;
    for c in s.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => current.push(c),
            (None, '"' | '\'' | '“' | '”') => {
                quote = Some(if c == '“' { '”' } else { c });
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut current));
                    in_word = false;
                }
            }
            (None, c) => {
                current.push(c);
                in_word = true;
            }
        }
    }
    if let Some(q) = quote {
        return Err(UsageError::UnbalancedQuote(q));
    }
    if in_word {
        words.push(current);
    }
    Ok(words)
}
