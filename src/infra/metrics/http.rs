//! The operators' endpoint: `GET /metrics` and `GET /healthz` over hyper's HTTP/1.1
//! server, one task per connection, so a slow or silent client stalls nobody.

use super::{Health, Metrics};
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{HeaderValue, ALLOW, CONNECTION, CONTENT_TYPE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use prometheus_client::encoding::prometheus_text;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::timeout;

/// The longest request head (request line and headers) read; a longer one gets 431. The
/// least hyper accepts.
const MAX_HEAD: usize = 8 * 1024;
/// How long a client has to send its whole request head, and to take the response.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(5);

const TEXT: &str = "text/plain; charset=utf-8";

/// Serves `GET /metrics` ([`Metrics::render`], with `questions()` counted at each scrape)
/// and `GET /healthz` ([`Metrics::health`]: 200 `ok`, or 503 and the reason) on `listener`
/// until `shutdown` turns true or its sender is dropped. HEAD works too.
///
/// One request per connection, each connection in its own task with a deadline for the
/// request head and one for the whole exchange. Connections still open at shutdown are
/// dropped.
pub async fn serve(
    listener: TcpListener,
    metrics: Arc<Metrics>,
    questions: impl Fn() -> Vec<(String, u64)> + Send + Sync + 'static,
    mut shutdown: watch::Receiver<bool>,
) {
    let questions: Arc<dyn Fn() -> Vec<(String, u64)> + Send + Sync> = Arc::new(questions);
    let mut connections = JoinSet::new();
    loop {
        let accepted = tokio::select! {
            _ = shutdown.wait_for(|&stop| stop) => break,
            accepted = listener.accept() => accepted,
        };
        while connections.try_join_next().is_some() {}
        match accepted {
            Ok((stream, _peer)) => {
                let metrics = Arc::clone(&metrics);
                let questions = Arc::clone(&questions);
                let service = service_fn(move |request: Request<Incoming>| {
                    let metrics = Arc::clone(&metrics);
                    let questions = Arc::clone(&questions);
                    async move { Ok::<_, Infallible>(respond(&request, &metrics, questions).await) }
                });
                connections.spawn(async move {
                    let connection = http1::Builder::new()
                        .timer(TokioTimer::new())
                        .header_read_timeout(CLIENT_TIMEOUT)
                        .max_buf_size(MAX_HEAD)
                        .keep_alive(false)
                        .serve_connection(TokioIo::new(stream), service);
                    match timeout(2 * CLIENT_TIMEOUT, connection).await {
                        Ok(Ok(())) => {}
                        Ok(Err(err)) => tracing::debug!("metrics endpoint: {err}"),
                        Err(_elapsed) => tracing::debug!("metrics endpoint: a client took too long; dropped"),
                    }
                });
            }
            Err(err) => {
                // Out of file descriptors, most likely: give connections time to close.
                tracing::warn!("metrics endpoint: accepting a connection: {err}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// What the endpoint serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Page {
    Health,
    Metrics,
}

/// The page a request asks for, or the status that says why there is none.
fn route(method: &Method, path: &str) -> Result<Page, StatusCode> {
    let page = match path {
        "/healthz" => Page::Health,
        "/metrics" => Page::Metrics,
        _ => return Err(StatusCode::NOT_FOUND),
    };
    if method == Method::GET || method == Method::HEAD {
        Ok(page)
    } else {
        Err(StatusCode::METHOD_NOT_ALLOWED)
    }
}

/// The response to `request`. hyper leaves the body out for HEAD, keeping its length.
async fn respond(
    request: &Request<Incoming>,
    metrics: &Metrics,
    questions: Arc<dyn Fn() -> Vec<(String, u64)> + Send + Sync>,
) -> Response<Full<Bytes>> {
    match route(request.method(), request.uri().path()) {
        Ok(Page::Health) => match metrics.health(Instant::now()) {
            Health::Ok => {
                let device = match metrics.cross_signed() {
                    Some(true) => "device: cross-signed\n",
                    _ => "",
                };
                text(StatusCode::OK, TEXT, format!("ok\n{device}"))
            }
            Health::Unhealthy(reason) => text(StatusCode::SERVICE_UNAVAILABLE, TEXT, format!("{reason}\n")),
        },
        // Counting the questions reads the store: off the async threads.
        Ok(Page::Metrics) => match tokio::task::spawn_blocking(move || questions()).await {
            Ok(questions) => text(
                StatusCode::OK,
                prometheus_text::CONTENT_TYPE,
                metrics.render(Instant::now(), &questions),
            ),
            Err(err) => {
                tracing::warn!("metrics endpoint: counting the questions: {err}");
                text(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    TEXT,
                    "counting the questions failed\n".to_string(),
                )
            }
        },
        Err(StatusCode::METHOD_NOT_ALLOWED) => {
            let mut response = text(StatusCode::METHOD_NOT_ALLOWED, TEXT, "only GET and HEAD\n".to_string());
            response
                .headers_mut()
                .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
            response
        }
        Err(status) => text(status, TEXT, "not found: try /metrics or /healthz\n".to_string()),
    }
}

fn text(status: StatusCode, content_type: &'static str, body: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(CONNECTION, HeaderValue::from_static("close"));
    response
}

#[cfg(test)]
mod tests {
    use super::super::tests::{has_line, MS};
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;

    #[test]
    fn requests_are_routed_by_path_then_method() {
        assert_eq!(route(&Method::GET, "/metrics"), Ok(Page::Metrics));
        assert_eq!(route(&Method::HEAD, "/healthz"), Ok(Page::Health));
        assert_eq!(route(&Method::GET, "/"), Err(StatusCode::NOT_FOUND));
        assert_eq!(route(&Method::POST, "/metrics"), Err(StatusCode::METHOD_NOT_ALLOWED));
        assert_eq!(route(&Method::POST, "/nothing"), Err(StatusCode::NOT_FOUND));
    }

    /// A response as the client saw it.
    struct Reply {
        status: u16,
        headers: Vec<(String, String)>,
        body: String,
    }

    impl Reply {
        fn header(&self, name: &str) -> Option<&str> {
            let found = self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name));
            found.map(|(_, value)| value.as_str())
        }
    }

    /// Sends `request` as it is and reads the response until the server closes.
    async fn send(addr: std::net::SocketAddr, request: &[u8]) -> Reply {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream.write_all(request).await.unwrap();
        let mut bytes = Vec::new();
        stream.read_to_end(&mut bytes).await.unwrap();
        let text = String::from_utf8(bytes).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").expect("a blank line after the headers");
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap();
        let status = status_line.split(' ').nth(1).unwrap().parse().unwrap();
        let headers = lines
            .map(|l| {
                let (name, value) = l.split_once(": ").unwrap();
                (name.to_string(), value.to_string())
            })
            .collect();
        let reply = Reply {
            status,
            headers,
            body: body.to_string(),
        };
        assert_eq!(reply.header("Connection"), Some("close"));
        if !request.starts_with(b"HEAD") {
            assert_eq!(reply.header("Content-Length"), Some(&*reply.body.len().to_string()));
        }
        reply
    }

    async fn get(addr: std::net::SocketAddr, path: &str) -> Reply {
        send(
            addr,
            format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n").as_bytes(),
        )
        .await
    }

    struct Server {
        addr: std::net::SocketAddr,
        metrics: Arc<Metrics>,
        stop: watch::Sender<bool>,
        task: tokio::task::JoinHandle<()>,
    }

    async fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let metrics = Arc::new(Metrics::new());
        let (stop, shutdown) = watch::channel(false);
        let questions = || vec![("pending".to_string(), 3), ("approved".to_string(), 1)];
        let task = tokio::spawn(serve(listener, Arc::clone(&metrics), questions, shutdown));
        Server {
            addr,
            metrics,
            stop,
            task,
        }
    }

    impl Server {
        /// Stops the server and waits for it to return.
        async fn stop(self) {
            self.stop.send(true).unwrap();
            timeout(Duration::from_secs(5), self.task)
                .await
                .expect("serve returns on shutdown")
                .unwrap();
        }
    }

    #[tokio::test]
    async fn healthz_says_503_until_the_first_sync_then_ok() {
        let server = start().await;
        let reply = get(server.addr, "/healthz").await;
        assert_eq!(reply.status, 503);
        assert_eq!(reply.header("Content-Type"), Some("text/plain; charset=utf-8"));
        assert_eq!(reply.body, "not yet synced\n");

        server.metrics.sync_ok(Instant::now());
        let reply = get(server.addr, "/healthz").await;
        assert_eq!((reply.status, reply.body.as_str()), (200, "ok\n"));
        server.metrics.device_cross_signed(true);
        let reply = get(server.addr, "/healthz").await;
        assert_eq!((reply.status, reply.body.as_str()), (200, "ok\ndevice: cross-signed\n"));

        server
            .metrics
            .sync_failed("M_UNKNOWN_TOKEN: logged out", Instant::now());
        let reply = get(server.addr, "/healthz").await;
        assert_eq!(reply.status, 503);
        assert!(
            reply.body.ends_with("s: M_UNKNOWN_TOKEN: logged out\n"),
            "{}",
            reply.body
        );
        server.stop().await;
    }

    #[tokio::test]
    async fn metrics_are_served_in_the_exposition_format() {
        let server = start().await;
        server.metrics.command("next", MS);
        let reply = get(server.addr, "/metrics").await;
        assert_eq!(reply.status, 200);
        assert_eq!(
            reply.header("Content-Type"),
            Some("text/plain; version=0.0.4; charset=utf-8")
        );
        has_line(&reply.body, "confbot_commands_total{command=\"next\"} 1");
        has_line(&reply.body, "confbot_questions{status=\"pending\"} 3");
        has_line(&reply.body, "confbot_up 0");

        let head = send(server.addr, b"HEAD /metrics HTTP/1.1\r\n\r\n").await;
        assert_eq!(head.status, 200);
        assert_eq!(head.body, "");
        assert_eq!(head.header("Content-Length"), Some(&*reply.body.len().to_string()));

        let reply = get(server.addr, "/").await;
        assert_eq!(
            (reply.status, reply.body.as_str()),
            (404, "not found: try /metrics or /healthz\n")
        );
        let reply = send(server.addr, b"DELETE /metrics HTTP/1.1\r\n\r\n").await;
        assert_eq!(reply.status, 405);
        assert_eq!(reply.header("Allow"), Some("GET, HEAD"));
        let reply = send(server.addr, &[b'x'; 9000]).await;
        assert_eq!(reply.status, 431);
        for garbled in [&b"GET /metrics\r\n\r\n"[..], b"GET /metrics SPDY/3\r\n\r\n"] {
            let reply = send(server.addr, garbled).await;
            assert_eq!(reply.status, 400, "{}", String::from_utf8_lossy(garbled));
        }
        server.stop().await;
    }

    #[tokio::test]
    async fn a_silent_client_does_not_hold_up_the_next_one() {
        let server = start().await;
        let silent = TcpStream::connect(server.addr).await.unwrap();
        // Serving one connection at a time would keep this waiting for the silent one's
        // whole CLIENT_TIMEOUT.
        let reply = timeout(CLIENT_TIMEOUT / 2, get(server.addr, "/healthz"))
            .await
            .expect("an answer while another client says nothing");
        assert_eq!(reply.status, 503);
        server.stop().await;
        drop(silent);
    }
}
