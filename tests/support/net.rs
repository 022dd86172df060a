//! Plain HTTP to the bot's metrics endpoint, and a proxy that cuts the bot off from the
//! homeserver and restores it.

use super::*;

/// A free TCP port on loopback (bound, read, released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `GET path` on `127.0.0.1:port`: the status code and the body.
pub async fn http_get(port: u16, path: &str) -> std::io::Result<(u16, String)> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
    stream
        .write_all(format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").as_bytes())
        .await?;
    let mut response = String::new();
    stream.read_to_string(&mut response).await?;
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    let body = response.split_once("\r\n\r\n").map_or("", |(_, body)| body).to_string();
    Ok((status, body))
}

/// Polls `GET path` until `accept(status, body)` holds; the last answer, or a panic
/// naming `what` and showing `log()` after `WAIT`.
pub async fn http_until(
    port: u16,
    path: &str,
    what: &str,
    accept: impl Fn(u16, &str) -> bool,
    log: impl Fn() -> String,
) -> (u16, String) {
    let deadline = Instant::now() + WAIT + WAIT;
    let mut last = (0, String::new());
    while Instant::now() < deadline {
        if let Ok((status, body)) = http_get(port, path).await {
            if accept(status, &body) {
                return (status, body);
            }
            last = (status, body);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{what}: GET {path} last answered {} {:?}\n{}", last.0, last.1, log());
}

/// A TCP forwarder on loopback in front of the homeserver, which a test can cut (every
/// connection dropped, new ones refused) and restore on the same port: an outage.
pub struct Proxy {
    pub port: u16,
    up: tokio::sync::watch::Sender<bool>,
}

impl Proxy {
    pub async fn start() -> Proxy {
        let target = homeserver()
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_string();
        let port = free_port();
        let (up, mut is_up) = tokio::sync::watch::channel(true);
        tokio::spawn(async move {
            loop {
                let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
                    .await
                    .expect("the proxy port is free again");
                let mut connections = tokio::task::JoinSet::new();
                loop {
                    tokio::select! {
                        accepted = listener.accept() => {
                            let Ok((mut client, _)) = accepted else { continue };
                            let target = target.clone();
                            connections.spawn(async move {
                                if let Ok(mut server) = tokio::net::TcpStream::connect(target).await {
                                    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                                }
                            });
                        }
                        changed = is_up.changed() => {
                            if changed.is_err() {
                                return;
                            }
                            break;
                        }
                    }
                }
                // Down: drop the listener and every connection, until told to come back.
                drop(listener);
                connections.shutdown().await;
                if is_up.wait_for(|up| *up).await.is_err() {
                    return;
                }
            }
        });
        Proxy { port, up }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn cut(&self) {
        self.up.send_replace(false);
    }

    pub fn restore(&self) {
        self.up.send_replace(true);
    }
}
