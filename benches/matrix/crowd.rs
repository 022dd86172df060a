//! A crowd: attendees as a real event has them, by the thousand, registered and joined
//! over plain HTTP without a syncing client each (two cores could not run 2,000 clients),
//! and a few of them sending commands. What they are sent back is read by other clients.

use super::*;
use futures_util::StreamExt as _;
use matrix_sdk::reqwest;
use matrix_sdk::ruma::{OwnedEventId, OwnedRoomId, OwnedUserId};

/// Requests under way at once while the crowd registers and joins.
const AT_ONCE: usize = 8;

/// One attendee of the crowd: a user and its access token.
pub(super) struct Member {
    pub user: OwnedUserId,
    token: String,
}

fn http() -> &'static reqwest::Client {
    static CLIENT: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    CLIENT.get_or_init(reqwest::Client::new)
}

/// A path segment: room ids and aliases carry `!`, `#` and `:`.
fn segment(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Sends `body` (JSON) with `method` to the client-server API path `path`, as `token`;
/// the answer's JSON, or the status and body of a refusal.
async fn call(
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    body: serde_json::Value,
) -> Result<serde_json::Value, String> {
    let mut request = http()
        .request(method, format!("{}/_matrix/client/v3/{path}", support::homeserver()))
        .header("content-type", "application/json")
        .body(body.to_string());
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.map_err(|e| e.to_string())?;
    let status = response.status();
    let text = response.text().await.map_err(|e| e.to_string())?;
    if !status.is_success() {
        return Err(format!("{status} {text}"));
    }
    serde_json::from_str(&text).map_err(|e| e.to_string())
}

/// Registers `count` attendees, `AT_ONCE` at a time.
pub(super) async fn register(count: usize) -> Vec<Member> {
    futures_util::stream::iter(0..count)
        .map(|_| async {
            let name = support::unique("crowd");
            let body = serde_json::json!({
                "username": name,
                "password": "crowd-password",
                "auth": {"type": "m.login.dummy"},
            });
            let answer = call(reqwest::Method::POST, "register", None, body)
                .await
                .unwrap_or_else(|err| panic!("registering {name}: {err}"));
            Member {
                user: OwnedUserId::try_from(answer["user_id"].as_str().unwrap()).unwrap(),
                token: answer["access_token"].as_str().unwrap().to_string(),
            }
        })
        .buffer_unordered(AT_ONCE)
        .collect()
        .await
}

/// Each member joins its room, the `n`th member `rooms[n % rooms.len()]`, `AT_ONCE` at a
/// time; the room each member is in.
pub(super) async fn join(members: &[Member], rooms: &[OwnedRoomId]) -> Vec<OwnedRoomId> {
    // Owned, each join's parts: a future borrowing from the crowd would not be `Send` for
    // every lifetime, as a task's must be.
    let joins: Vec<(OwnedUserId, String, OwnedRoomId)> = (members.iter().enumerate())
        .map(|(n, m)| (m.user.clone(), m.token.clone(), rooms[n % rooms.len()].clone()))
        .collect();
    futures_util::stream::iter(joins)
        .map(|(user, token, room)| async move {
            call(
                reqwest::Method::POST,
                &format!("join/{}", segment(room.as_str())),
                Some(&token),
                serde_json::json!({}),
            )
            .await
            .unwrap_or_else(|err| panic!("{user} joining {room}: {err}"));
            room
        })
        .buffered(AT_ONCE)
        .collect()
        .await
}

static TXN: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

impl Member {
    /// Says `text` in `room`: the event's id and the instant the send began.
    pub(super) async fn say(&self, room: &OwnedRoomId, text: &str) -> (OwnedEventId, Instant) {
        let txn = format!(
            "crowd{}-{}",
            std::process::id(),
            TXN.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        );
        let sent = Instant::now();
        let answer = call(
            reqwest::Method::PUT,
            &format!("rooms/{}/send/m.room.message/{txn}", segment(room.as_str())),
            Some(&self.token),
            serde_json::json!({"msgtype": "m.text", "body": text}),
        )
        .await
        .unwrap_or_else(|err| panic!("{} saying {text:?}: {err}", self.user));
        (
            OwnedEventId::try_from(answer["event_id"].as_str().unwrap()).unwrap(),
            sent,
        )
    }
}
