//! Text folding for lookups: attendees type "fernandez" and expect "Fernández" to match,
//! so comparisons ignore case and accents.

use unicode_normalization::{char::is_combining_mark, UnicodeNormalization};

/// Lower-cases `s` and strips accents: "Fernández Mancera" → "fernandez mancera".
pub fn fold(s: &str) -> String {
    s.nfd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The folded words of `s`, split on anything that is not a letter or digit.
pub fn folded_words(s: &str) -> Vec<String> {
    fold(s)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// Text from HTML pages and schedules keeps its line breaks and indentation; in a chat
/// message one line reads better.
pub fn collapse_whitespace(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `s` whole when it has at most `max_chars` characters, else its first `max_chars` and
/// "…": for names quoted in messages, whose length the sender chose.
pub fn clip(s: &str, max_chars: usize) -> std::borrow::Cow<'_, str> {
    match s.char_indices().nth(max_chars) {
        Some((cut, _)) => format!("{}…", &s[..cut]).into(),
        None => s.into(),
    }
}

/// Levenshtein distance, for "did you mean" hints on short names.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1).min(row[j] + 1).min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

/// The longest text a "did you mean" hint is looked for: a typo of a name is short, and an
/// edit distance costs the product of the two lengths.
pub const TYPO_MAX_CHARS: usize = 100;

/// The candidate closest to `wanted` (ignoring case), if it is close enough to be a typo.
/// Nothing is close to a `wanted` over [`TYPO_MAX_CHARS`] characters, nor to a candidate
/// whose length alone differs by more than the typos allowed, so the work stays bounded.
pub fn closest<'a>(wanted: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    if wanted.chars().nth(TYPO_MAX_CHARS).is_some() {
        return None;
    }
    let wanted = wanted.to_lowercase();
    let allowed = 3.max(wanted.len() / 4);
    let length = wanted.chars().count();
    candidates
        .into_iter()
        .filter(|c| c.chars().count().abs_diff(length) <= allowed)
        .map(|c| (edit_distance(&wanted, &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= allowed)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_ignores_case_and_accents() {
        assert_eq!(fold("Fernández MANCERA"), "fernandez mancera");
        assert_eq!(fold("Ærø Straße"), "ærø straße");
        assert_eq!(
            folded_words("Kmods SIG-Update, 2023!"),
            ["kmods", "sig", "update", "2023"]
        );
    }

    #[test]
    fn typos_find_their_intended_name() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(
            closest("Europe/Brusels", ["Europe/Brussels", "Europe/Berlin"]),
            Some("Europe/Brussels")
        );
        assert_eq!(closest("zzz", ["Europe/Brussels"]), None);
    }
}
