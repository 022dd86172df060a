//! Importing a FOSDEM-size schedule (about 950 events, 2 MB of Pentabarf XML).
//! Reads ../shared/schedules/fosdem-2025-pentabarf-pretalx.xml when present, else a
//! generated file of the same size. Goal: under 50 ms. `cargo bench --bench import`.

use chrono_tz::Europe::Brussels;
use confbot::schedule::xml;
use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use std::path::Path;

fn fosdem_size_xml() -> (String, String) {
    let real = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/schedules/fosdem-2025-pentabarf-pretalx.xml");
    if let Ok(text) = std::fs::read_to_string(&real) {
        return ("fosdem-2025-pentabarf-pretalx.xml".to_string(), text);
    }
    let mut text = String::from("<?xml version=\"1.0\"?>\n<schedule><conference><title>Generated</title><time_zone_name>Europe/Brussels</time_zone_name></conference>\n");
    for day in 0..2 {
        text.push_str(&format!("<day index=\"{}\" date=\"2025-02-0{}\">\n", day + 1, day + 1));
        for room in 0..40 {
            text.push_str(&format!("<room name=\"Room {room}\">\n"));
            for slot in 0..12 {
                let id = day * 10_000 + room * 100 + slot;
                text.push_str(&format!(
                    "<event id=\"{id}\"><start>{:02}:{:02}</start><duration>00:40</duration><room>Room {room}</room>\
                     <title>Talk {id} about things</title><track>Track {}</track><type>devroom</type>\
                     <abstract>&lt;p&gt;{}&lt;/p&gt;</abstract><persons><person id=\"{}\">Speaker {}</person></persons></event>\n",
                    9 + slot * 45 / 60,
                    slot * 45 % 60,
                    room % 20,
                    "An abstract of moderate length, as schedules have. ".repeat(30),
                    id % 700,
                    id % 700
                ));
            }
            text.push_str("</room>\n");
        }
        text.push_str("</day>\n");
    }
    text.push_str("</schedule>\n");
    ("generated".to_string(), text)
}

fn import(c: &mut Criterion) {
    let (name, text) = fosdem_size_xml();
    let sessions = xml::parse(&text, &name, Some(Brussels))
        .expect("imports")
        .schedule
        .sessions()
        .len();
    println!("{name}: {} bytes, {sessions} sessions", text.len());
    c.bench_function("import FOSDEM-size Pentabarf XML", |b| {
        b.iter(|| xml::parse(black_box(&text), &name, Some(Brussels)).expect("imports"))
    });
}

criterion_group!(benches, import);
criterion_main!(benches);
