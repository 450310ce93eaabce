//! The tiny `/health` HTTP server of `simctl burn` (std only, one short-lived connection at a
//! time): `GET /health` answers 200 until `unhealthy_after` has passed since the start, then 500;
//! any other path answers 404. It is enough for the runner's health probe, not a web server.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

/// A running health server (its accept loop is a detached thread that lives as long as the
/// process).
#[derive(Debug)]
pub struct HealthServer {
    /// The address actually bound (useful with port 0).
    pub addr: SocketAddr,
}

/// The status `GET /health` answers at `elapsed` since the start.
pub fn health_status(elapsed: Duration, unhealthy_after: Option<Duration>) -> u16 {
    match unhealthy_after {
        Some(after) if elapsed >= after => 500,
        _ => 200,
    }
}

impl HealthServer {
    /// Binds `addr` and serves on a background thread. `started` is the instant health is
    /// measured from.
    pub fn spawn(
        addr: SocketAddr,
        started: Instant,
        unhealthy_after: Option<Duration>,
    ) -> std::io::Result<HealthServer> {
        let listener = TcpListener::bind(addr)?;
        let addr = listener.local_addr()?;
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let status = health_status(started.elapsed(), unhealthy_after);
                // A broken client must not stop the server.
                let _ = answer(stream, status);
            }
        });
        Ok(HealthServer { addr })
    }
}

/// Reads the request head (up to 2 KiB) and writes the response for its path.
fn answer(mut stream: TcpStream, health: u16) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(2)))?;
    let mut head = Vec::new();
    let mut buf = [0u8; 512];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 2048 {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
    }
    let line = String::from_utf8_lossy(&head);
    let status = if line.starts_with("GET /health ") || line.starts_with("GET /health?") {
        health
    } else {
        404
    };
    let (reason, body) = match status {
        200 => ("OK", "ok\n"),
        500 => ("Internal Server Error", "unhealthy\n"),
        _ => ("Not Found", "not found\n"),
    };
    write!(
        stream,
        "HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    stream.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::probe::probe_health;

    #[test]
    fn status_turns_500_once_unhealthy_after_has_passed() {
        let after = Some(Duration::from_secs(5));
        assert_eq!(health_status(Duration::from_secs(4), after), 200);
        assert_eq!(health_status(Duration::from_secs(5), after), 500);
        assert_eq!(health_status(Duration::from_secs(999), None), 200);
    }

    #[test]
    fn server_answers_200_then_500_over_loopback() {
        let loopback: SocketAddr = "127.0.0.1:0".parse().unwrap();
        let healthy = HealthServer::spawn(loopback, Instant::now(), None).unwrap();
        let timeout = Duration::from_secs(5);
        assert_eq!(probe_health(healthy.addr, timeout).unwrap(), 200);
        // Started "an hour ago" with unhealthy_after of a minute: already unhealthy, so the test
        // needs no sleep and no timing assumption.
        let long_ago = Instant::now() - Duration::from_secs(3600);
        let sick = HealthServer::spawn(loopback, long_ago, Some(Duration::from_secs(60))).unwrap();
        assert_eq!(probe_health(sick.addr, timeout).unwrap(), 500);
        assert!(sick.addr.ip().is_loopback());
    }

    #[test]
    fn other_paths_are_not_found() {
        let server =
            HealthServer::spawn("127.0.0.1:0".parse().unwrap(), Instant::now(), None).unwrap();
        let mut s = TcpStream::connect(server.addr).unwrap();
        s.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        assert!(out.starts_with("HTTP/1.1 404 "), "{out}");
    }
}
