//! No input may panic the json schedule reader: it returns a schedule or errors.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = confbot_core::schedule::frab_json::parse(text, "fuzz", Some(chrono_tz::Europe::Berlin));
        let _ = confbot_core::schedule::frab_json::parse(text, "fuzz", None);
    }
});
