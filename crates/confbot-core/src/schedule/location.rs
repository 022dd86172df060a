//! Where a schedule is read from, as the config names it: a file or a URL. Reading it is
//! the infrastructure's job (the `source` module of the infrastructure); the rules about what may be read are here.

use std::path::PathBuf;

/// A schedule's location: a file path or an `http(s)://` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    File(PathBuf),
    Url(String),
}

impl Location {
    /// `https://…` and `http://…` are URLs; anything else is a path.
    pub fn parse(s: &str) -> Location {
        if s.starts_with("https://") || s.starts_with("http://") {
            Location::Url(s.to_string())
        } else {
            Location::File(PathBuf::from(s))
        }
    }

    /// Whether the bot may fetch from this URL: `https://` anywhere, plain `http://` only
    /// from this machine (a test server, a local proxy); the error says what to write.
    pub fn check(&self) -> Result<(), String> {
        let Location::Url(url) = self else {
            return Ok(());
        };
        let Some(rest) = url.strip_prefix("http://") else {
            return Ok(());
        };
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        let authority = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
        let host = if let Some(bracketed) = authority.strip_prefix('[') {
            bracketed.split(']').next().unwrap_or_default()
        } else {
            authority.split(':').next().unwrap_or_default()
        };
        let loopback =
            host.eq_ignore_ascii_case("localhost") || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
        if loopback {
            Ok(())
        } else {
            Err(format!(
                "\"{url}\" is plain http, which anyone on the way can read and change: write https://, or use http:// only for this machine (localhost, 127.0.0.1, [::1])"
            ))
        }
    }

    /// The location as messages name it.
    pub fn name(&self) -> String {
        match self {
            Location::File(path) => path.display().to_string(),
            Location::Url(url) => url.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_is_for_this_machine_only() {
        for url in [
            "https://pretalx.example.org/conf/schedule/export/schedule.json",
            "http://localhost:8080/schedule.json",
            "http://127.0.0.1/schedule.xml",
            "http://[::1]:9000/s.ics",
            "schedule.toml",
        ] {
            assert_eq!(Location::parse(url).check(), Ok(()), "{url}");
        }
        for url in [
            "http://pretalx.example.org/schedule.json",
            "http://127.0.0.1.example.org/s.json",
            "http://localhost@evil.example.org/s.json",
            "http://10.0.0.1/s.json",
        ] {
            let err = Location::parse(url).check().unwrap_err();
            assert!(err.contains("is plain http"), "{url}: {err}");
        }
    }
}
