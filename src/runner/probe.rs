//! The runner's HTTP health probe: one `GET /health` with a timeout, returning the status code
//! (std only; the runner's checks are this simple on purpose).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// Sends `GET /health` to `addr` and returns the response's status code. Connect, write and read
/// each time out after `timeout`; a malformed answer is an `InvalidData` error.
pub fn probe_health(addr: SocketAddr, timeout: Duration) -> std::io::Result<u16> {
    let mut s = TcpStream::connect_timeout(&addr, timeout)?;
    s.set_read_timeout(Some(timeout))?;
    s.set_write_timeout(Some(timeout))?;
    write!(
        s,
        "GET /health HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
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
}
