//! The arguments of the commands that take more than words: announcements, questions,
//! delays, question numbers, and the quoting every command's arguments may use.

use super::{AnnounceWhen, Command, Spec, UsageError, MAX_ANNOUNCEMENT_CHARS, MAX_ARGUMENT_CHARS};
use crate::duration;

/// `!announce [in DURATION | at TIME] [to ROOM] TEXT`.
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
    let mut room = None;
    if let [word, value, tail @ ..] = rest {
        if word.eq_ignore_ascii_case("to") {
            room = Some(value.clone());
            rest = tail;
        }
    }
    if rest.is_empty() {
        return Err(UsageError::MissingArgument(spec));
    }
    let value = match &when {
        AnnounceWhen::At(value) => Some(value),
        _ => None,
    };
    if [value, room.as_ref()]
        .into_iter()
        .flatten()
        .any(|word| word.chars().nth(MAX_ARGUMENT_CHARS).is_some())
    {
        return Err(UsageError::TooLong(spec));
    }
    let text = rest.join(" ");
    if text.chars().nth(MAX_ANNOUNCEMENT_CHARS).is_some() {
        return Err(UsageError::AnnouncementTooLong);
    }
    Ok(Command::Announce { when, room, text })
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
