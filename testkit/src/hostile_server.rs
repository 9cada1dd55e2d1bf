//! A hostile HTTP endpoint on `127.0.0.1:0` for the dispatcher's limits: raw TCP, every
//! connection answered the same bad way (an endless body, a trickle, silence, endless headers).
//!
//! Raw bytes rather than an HTTP server library, because a library would refuse to misbehave.
//! Dropping the [`HostileServer`] stops the accept loop and closes every connection.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio_util::sync::{CancellationToken, DropGuard};

/// How the server treats every connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Behaviour {
    /// Reads the request, answers `200 OK` without a length, then sends bytes as fast as the
    /// client takes them, never ending the body.
    EndlessBody,
    /// Reads the request, sends `200 OK` and its headers at once, then one body byte a second.
    TrickleBody,
    /// Reads the request, then sends the status line and headers one byte a second.
    TrickleHeaders,
    /// Reads the request and never answers.
    Silent,
    /// Accepts the connection and never reads from it or writes to it (also: a TLS handshake
    /// that never gets an answer).
    Unread,
    /// Reads the request, sends `HTTP/1.1 200 OK`, then 1 KiB headers without end.
    EndlessHeaders,
}

/// What one endless write sends at a time.
const BLOCK: [u8; 16 * 1024] = [b'x'; 16 * 1024];
/// The gap of the trickles.
const TRICKLE_EVERY: Duration = Duration::from_secs(1);

struct Shared {
    behaviour: Behaviour,
    /// Connections accepted so far.
    connections: watch::Sender<usize>,
    /// Bytes written to clients so far (all connections).
    written: AtomicU64,
    stop: CancellationToken,
}

/// A running hostile server. Dropping it stops the server.
pub struct HostileServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    _stop: DropGuard,
}

impl HostileServer {
    pub async fn start(behaviour: Behaviour) -> HostileServer {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the hostile server on 127.0.0.1:0");
        let addr = listener.local_addr().expect("hostile server address");
        let stop = CancellationToken::new();
        let shared = Arc::new(Shared {
            behaviour,
            connections: watch::Sender::new(0),
            written: AtomicU64::new(0),
            stop: stop.clone(),
        });
        tokio::spawn(accept_loop(listener, shared.clone()));
        HostileServer {
            addr,
            shared,
            _stop: stop.drop_guard(),
        }
    }

    /// `http://127.0.0.1:PORT/hook`.
    pub fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    /// `https://127.0.0.1:PORT/hook`: the server speaks no TLS, so with [`Behaviour::Unread`]
    /// the handshake never completes.
    pub fn https_url(&self) -> String {
        format!("https://{}/hook", self.addr)
    }

    /// `smtp://127.0.0.1:PORT`.
    pub fn smtp_url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        *self.shared.connections.borrow()
    }

    /// Bytes written to clients so far.
    pub fn written(&self) -> u64 {
        self.shared.written.load(Ordering::Relaxed)
    }

    /// Waits until at least `count` connections were accepted; panics after `timeout`.
    pub async fn wait_for_connections(&self, count: usize, timeout: Duration) {
        let mut seen = self.shared.connections.subscribe();
        let reached = tokio::time::timeout(timeout, seen.wait_for(|n| *n >= count))
            .await
            .is_ok();
        assert!(
            reached,
            "hostile server {}: expected {count} connections within {timeout:?}, got {}",
            self.addr,
            self.connections()
        );
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        let accepted = tokio::select! {
            () = shared.stop.cancelled() => return,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, _)) => {
                shared.connections.send_modify(|n| *n += 1);
                let shared = shared.clone();
                tokio::spawn(async move {
                    let stop = shared.stop.clone();
                    tokio::select! {
                        () = stop.cancelled() => {}
                        () = misbehave(stream, &shared) => {}
                    }
                });
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(5)).await,
        }
    }
}

/// Treats one connection the server's way until the client goes away (or forever).
async fn misbehave(mut stream: TcpStream, shared: &Shared) {
    if shared.behaviour == Behaviour::Unread {
        return std::future::pending().await;
    }
    if read_request(&mut stream).await.is_none() {
        return;
    }
    let sent = |n: usize| {
        shared.written.fetch_add(n as u64, Ordering::Relaxed);
    };
    let result: std::io::Result<()> = async {
        match shared.behaviour {
            Behaviour::EndlessBody => {
                let head = b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\n";
                stream.write_all(head).await?;
                loop {
                    stream.write_all(&BLOCK).await?;
                    sent(BLOCK.len());
                }
            }
            Behaviour::TrickleBody => {
                let head = b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\n";
                stream.write_all(head).await?;
                trickle(&mut stream, std::iter::repeat(b'x'), &sent).await
            }
            Behaviour::TrickleHeaders => {
                let head = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nx-slow: yes\r\n\r\n";
                trickle(&mut stream, head.iter().copied(), &sent).await?;
                std::future::pending().await
            }
            Behaviour::EndlessHeaders => {
                stream.write_all(b"HTTP/1.1 200 OK\r\n").await?;
                for n in 0u64.. {
                    let line = format!("x-junk-{n}: {}\r\n", "a".repeat(1000));
                    stream.write_all(line.as_bytes()).await?;
                    sent(line.len());
                }
                Ok(())
            }
            Behaviour::Silent | Behaviour::Unread => std::future::pending().await,
        }
    }
    .await;
    // The client closed the connection: what it was meant to do.
    drop(result);
}

/// Writes `bytes` one at a time, [`TRICKLE_EVERY`] apart.
async fn trickle(
    stream: &mut TcpStream,
    bytes: impl Iterator<Item = u8>,
    sent: &impl Fn(usize),
) -> std::io::Result<()> {
    for byte in bytes {
        stream.write_all(&[byte]).await?;
        sent(1);
        tokio::time::sleep(TRICKLE_EVERY).await;
    }
    Ok(())
}

/// Reads one request head and its `content-length` body; `None` when the client went away
/// first or the head is not HTTP.
async fn read_request(stream: &mut TcpStream) -> Option<()> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        if buffer.len() > 64 * 1024 {
            return None;
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|line| line.strip_prefix("content-length:"))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or(0);
    let mut body = buffer.len() - head_end;
    while body < length {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        body += n;
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_endless_body_keeps_coming_after_a_200() {
        let server = HostileServer::start(Behaviour::EndlessBody).await;
        let mut response = reqwest::Client::new()
            .post(server.url())
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let mut read = 0;
        while read < 1024 * 1024 {
            read += response.chunk().await.unwrap().unwrap().len();
        }
        assert_eq!(server.connections(), 1);
        assert!(server.written() >= 1024 * 1024);
    }

    #[tokio::test]
    async fn a_silent_server_accepts_and_never_answers() {
        let server = HostileServer::start(Behaviour::Silent).await;
        let client = reqwest::Client::new();
        let sent = client
            .post(server.url())
            .body("{}")
            .timeout(Duration::from_millis(300))
            .send()
            .await;
        assert!(sent.unwrap_err().is_timeout());
        server.wait_for_connections(1, Duration::from_secs(1)).await;
        assert_eq!(server.written(), 0);
    }
}
