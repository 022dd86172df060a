//! `confbot import` and the schedule sources: every format converts to TOML and reads back
//! to the same normalized schedule; a URL source is fetched, and a failed refresh keeps the
//! last good schedule.

mod corpus;

use confbot::infra::source::{Location, Refreshed, Refresher, Source};
use confbot::schedule::format::parse_any;
use confbot::schedule::{native, normalized};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

fn confbot(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_confbot"))
        .args(args)
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")))
        .env_remove("CONFBOT_CONFIG")
        .output()
        .expect("confbot runs")
}

fn ok(output: Output) -> String {
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

/// One fixture per format; those without a zone get one on the command line.
const FIXTURES: [(&str, Option<&str>); 7] = [
    ("tests/fixtures/pentabarf-no-zone.xml", Some("Europe/Brussels")),
    ("tests/fixtures/frab-hub.xml", None),
    ("tests/fixtures/pretalx.xcal", Some("Europe/Berlin")),
    ("tests/fixtures/frab-v1.json", None),
    ("tests/fixtures/pretalx-no-zone.json", Some("Europe/Berlin")),
    ("tests/fixtures/ical-pretalx.ics", None),
    ("tests/fixtures/ical-quirks.ics", None),
];

#[test]
fn every_format_round_trips_through_the_native_toml() {
    let out_dir = tempfile::tempdir().unwrap();
    for (fixture, zone) in FIXTURES {
        let mut read = vec!["schedule", "--schedule", fixture, "--json"];
        let mut import = vec!["import", fixture];
        if let Some(zone) = zone {
            read.extend(["--timezone", zone]);
            import.extend(["--timezone", zone]);
        }
        let direct = ok(confbot(&read));
        let toml_path = out_dir.path().join(format!(
            "{}.toml",
            Path::new(fixture).file_name().unwrap().to_string_lossy()
        ));
        let toml_arg = toml_path.to_str().unwrap();
        import.extend(["-o", toml_arg]);
        let imported = confbot(&import);
        assert!(
            imported.status.success(),
            "{fixture}: {}",
            String::from_utf8_lossy(&imported.stderr)
        );
        let stderr = String::from_utf8_lossy(&imported.stderr);
        assert!(stderr.contains("imported "), "{fixture}: {stderr}");
        let round_trip = ok(confbot(&["schedule", "--schedule", toml_arg, "--json"]));
        assert_eq!(direct, round_trip, "{fixture}");
    }
}

#[test]
fn import_reports_the_counts_and_the_skipped_events() {
    let out = confbot(&[
        "import",
        "tests/fixtures/pentabarf-no-zone.xml",
        "--timezone",
        "Europe/Brussels",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("pentabarf-no-zone.xml:56: warning: session '104': skipped: <duration>"),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "imported 4 sessions and 3 speakers from tests/fixtures/pentabarf-no-zone.xml; skipped 1 event (see above)"
        ),
        "{stderr}"
    );
    let toml = String::from_utf8(out.stdout).unwrap();
    assert!(
        toml.starts_with("# Imported by confbot from tests/fixtures/pentabarf-no-zone.xml."),
        "{toml}"
    );
    assert!(toml.contains("start = \"2024-02-03T09:30\""), "{toml}");
}

#[test]
fn a_file_without_a_zone_asks_for_one_and_format_can_be_forced() {
    let out = confbot(&["schedule", "--schedule", "tests/fixtures/pretalx.xcal", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("pass --timezone"));
    let out = confbot(&[
        "schedule",
        "--schedule",
        "tests/fixtures/frab-v1.json",
        "--format",
        "ics",
    ]);
    assert_eq!(out.status.code(), Some(1), "JSON read as iCalendar is refused");
    let out = confbot(&[
        "schedule",
        "--schedule",
        "tests/fixtures/frab-v1.json",
        "--format",
        "yaml",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("\"yaml\" is not a schedule format: use one of toml, xml, json, ics"));
}

#[test]
fn every_corpus_schedule_round_trips() {
    let Some(dir) = corpus::dir() else { return };
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if name.contains("schema") || name.ends_with(".xsd") || name.ends_with(".md") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let loaded =
            parse_any(&text, &name, None, Some(chrono_tz::Europe::Berlin)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let written = native::to_toml(&loaded.schedule);
        let again = native::parse(&written, &name, None).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            normalized::to_json(&loaded.schedule),
            normalized::to_json(&again.schedule),
            "{name}"
        );
        assert_eq!(loaded.schedule, again.schedule, "{name}");
        checked += 1;
    }
    assert_eq!(checked, 15, "every schedule file in the corpus");
}

/// Reads an HTTP request's head, up to the blank line.
fn skip_request(stream: &std::net::TcpStream) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    while reader.read_line(&mut line).unwrap_or(0) > 0 && line != "\r\n" {
        line.clear();
    }
}

/// A one-thread HTTP server on loopback that answers each request with the next canned
/// response; it counts the requests it served.
fn serve(responses: Vec<(u16, String)>) -> (String, Arc<Mutex<usize>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/schedule.json", listener.local_addr().unwrap());
    let served = Arc::new(Mutex::new(0));
    let counter = served.clone();
    std::thread::spawn(move || {
        for (status, body) in responses {
            let Ok((mut stream, _)) = listener.accept() else {
                return;
            };
            skip_request(&stream);
            let reason = if status == 200 { "OK" } else { "Internal Server Error" };
            let _ = write!(
                stream,
                "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            *counter.lock().unwrap() += 1;
        }
    });
    (url, served)
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name),
    )
    .unwrap()
}

#[test]
fn a_url_source_is_fetched_and_a_failed_refresh_keeps_the_last_good_schedule() {
    let good = fixture("frab-v1.json");
    let changed = good.replacen("\"title\": \"Opening\"", "\"title\": \"Renamed: Opening\"", 1);
    assert_ne!(good, changed);
    let (url, served) = serve(vec![
        (200, good.clone()),
        (500, "oops".to_string()),
        (200, "{\"schedule\": {\"conference\": ".to_string()),
        (200, good.clone()),
        (200, changed),
    ]);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let source = Source::new(Location::parse(&url), None, None);
        let mut refresher = Refresher::start(source).await.expect("first fetch");
        let sessions = refresher.current().schedule.sessions().len();
        assert!(sessions > 0);

        let Refreshed::Kept(err) = refresher.refresh().await else {
            panic!("a 500 keeps the schedule")
        };
        assert!(format!("{err:#}").contains("500"), "{err:#}");
        let Refreshed::Kept(err) = refresher.refresh().await else {
            panic!("broken JSON keeps the schedule")
        };
        assert!(format!("{err:#}").contains("not valid JSON"), "{err:#}");
        assert_eq!(refresher.current().schedule.sessions().len(), sessions);

        assert!(matches!(refresher.refresh().await, Refreshed::Unchanged));
        assert!(matches!(refresher.refresh().await, Refreshed::Updated));
        assert!(refresher
            .current()
            .schedule
            .sessions()
            .iter()
            .any(|s| s.title.starts_with("Renamed: ")));
    });
    assert_eq!(*served.lock().unwrap(), 5);
}

/// A one-request HTTP server on loopback that answers with `body`, gzip-compressed.
fn serve_gzip(body: Vec<u8>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/schedule.json", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let Ok((mut stream, _)) = listener.accept() else {
            return;
        };
        skip_request(&stream);
        let _ = write!(
            stream,
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        let _ = stream.write_all(&body);
    });
    url
}

#[test]
fn a_schedule_that_inflates_past_50_mb_is_refused_without_reading_it_all() {
    use flate2::{write::GzEncoder, Compression};
    // 64 MB of spaces, about 64 KB compressed.
    let mut bomb = GzEncoder::new(Vec::new(), Compression::default());
    let spaces = vec![b' '; 1024 * 1024];
    for _ in 0..64 {
        bomb.write_all(&spaces).unwrap();
    }
    let bomb = bomb.finish().unwrap();
    assert!(bomb.len() < 1024 * 1024, "{} bytes compressed", bomb.len());
    let url = serve_gzip(bomb);
    let started = std::time::Instant::now();
    let err = Source::new(Location::parse(&url), None, None)
        .load_blocking()
        .unwrap_err();
    assert_eq!(
        format!("{err:#}"),
        format!("fetching schedule {url}: the schedule is larger than 50 MB (decompressed); no conference needs that much, so it is refused")
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn a_restart_while_the_schedule_server_is_down_runs_on_the_last_good_copy() {
    let good = fixture("frab-v1.json");
    let kept = tempfile::tempdir().unwrap();
    let copy = kept.path().join("state").join("schedule.last-good");
    let (url, _) = serve(vec![
        (200, good.clone()),
        (500, "down".to_string()),
        (500, "down".to_string()),
    ]);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let source = Source::new(Location::parse(&url), None, None).keeping_last_good(copy.clone());
        let first = Refresher::start(source.clone()).await.expect("first fetch");
        assert_eq!(std::fs::read_to_string(&copy).unwrap(), good);
        // The server fails at the next start: the copy stands in.
        let restarted = Refresher::start(source).await.expect("the last good copy");
        assert_eq!(restarted.current().schedule, first.current().schedule);
        // Without a copy, a failed first load is an error, as before.
        let err = Refresher::start(Source::new(Location::parse(&url), None, None))
            .await
            .err()
            .expect("no copy to start on");
        assert!(format!("{err:#}").contains("500"), "{err:#}");
    });
}
