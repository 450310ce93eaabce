//! The runner's HTTP health probe: one `GET` of a path (`/health` for the runner) with a timeout,
//! returning the status code (std only; the checks are this simple on purpose).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// Sends `GET /health` to `addr` and returns the response's status code. Connect, write and read
/// each time out after `timeout`; a malformed answer is an `InvalidData` error.
pub fn probe_health(addr: SocketAddr, timeout: Duration) -> std::io::Result<u16> {
    probe_path(addr, "/health", timeout)
}

/// Sends `GET path` to `addr` and returns the response's status code, as [`probe_health`]. The
/// path must start with `/` and hold no whitespace or control character (it goes into the
/// request line as is).
pub fn probe_path(addr: SocketAddr, path: &str, timeout: Duration) -> std::io::Result<u16> {
    if !is_request_path(path) {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("\"{path}\" is not an HTTP path (it must start with '/' and hold no space)"),
        ));
    }
    let mut s = TcpStream::connect_timeout(&addr, timeout)?;
    s.set_read_timeout(Some(timeout))?;
    s.set_write_timeout(Some(timeout))?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )?;
    let mut out = Vec::new();
    s.read_to_end(&mut out)?;
    parse_status_line(&out).ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "not an HTTP response from {addr}: {:?}",
                String::from_utf8_lossy(&out[..out.len().min(80)])
            ),
        )
    })
}

/// Whether `path` can go into a request line: starts with `/`, at most 1024 bytes of visible
/// ASCII.
pub fn is_request_path(path: &str) -> bool {
    path.starts_with('/') && path.len() <= 1024 && path.bytes().all(|b| b.is_ascii_graphic())
}

/// The status code of an HTTP/1.x response (`HTTP/1.1 200 OK` -> 200).
pub fn parse_status_line(response: &[u8]) -> Option<u16> {
    let text = std::str::from_utf8(response.get(..response.len().min(64))?).ok()?;
    let mut parts = text.split_whitespace();
    parts.next().filter(|v| v.starts_with("HTTP/1."))?;
    parts.next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_line_is_parsed() {
        assert_eq!(parse_status_line(b"HTTP/1.1 500 Internal"), Some(500));
        assert_eq!(parse_status_line(b"HTTP/1.0 200 OK\r\n\r\nok"), Some(200));
        assert_eq!(parse_status_line(b"SSH-2.0-OpenSSH"), None);
        assert_eq!(parse_status_line(b""), None);
    }

    #[test]
    fn only_plain_paths_are_requested() {
        assert!(is_request_path("/health?x=1"));
        for bad in ["health", "/a b", "/a\r\nHost: x", ""] {
            assert!(!is_request_path(bad), "{bad:?}");
        }
        let addr: SocketAddr = "127.0.0.1:9".parse().unwrap();
        let e = probe_path(addr, "/a b", Duration::from_millis(10)).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput);
    }
}
