//! No schedule input may panic a reader: every fixture, cut short at many points and with
//! bytes flipped, must give a schedule or an error. (The fuzz targets in fuzz/ go further.)

use chrono_tz::Europe::Berlin;
use confbot::schedule::format::{parse_any, Format};
use std::path::Path;

const FIXTURES: [(&str, Format); 6] = [
    ("pentabarf-no-zone.xml", Format::Xml),
    ("frab-hub.xml", Format::Xml),
    ("pretalx.xcal", Format::Xml),
    ("frab-v1.json", Format::Json),
    ("ical-pretalx.ics", Format::Ical),
    ("fall-summit-2023.toml", Format::Toml),
];

fn fixture(name: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name))
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn every_fixture_reads_as_its_own_format_and_is_recognised() {
    for (name, format) in FIXTURES {
        let text = fixture(name);
        assert_eq!(Format::detect(&text, "no-extension"), Some(format), "{name}");
        let loaded = parse_any(&text, name, None, Some(Berlin)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!loaded.schedule.sessions().is_empty(), "{name}");
    }
}

#[test]
fn truncated_input_never_panics() {
    for (name, format) in FIXTURES {
        let text = fixture(name);
        for cut in (0..text.len()).step_by(13).filter(|&i| text.is_char_boundary(i)) {
            let _ = parse_any(&text[..cut], name, Some(format), Some(Berlin));
            let _ = parse_any(&text[..cut], name, None, None);
        }
    }
}

#[test]
fn flipped_bytes_never_panic() {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for (name, format) in FIXTURES {
        let original = fixture(name).into_bytes();
        for _ in 0..300 {
            let mut bytes = original.clone();
            for _ in 0..4 {
                let at = (next() % bytes.len() as u64) as usize;
                let noise = b"<>&\"':;\\\n{}[]=0123456789TZ-+ ";
                bytes[at] = noise[(next() % noise.len() as u64) as usize];
            }
            let text = String::from_utf8_lossy(&bytes);
            let _ = parse_any(&text, name, Some(format), Some(Berlin));
        }
    }
}
