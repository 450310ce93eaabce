//! The client: one request per connection to an `http://host:port` base URL, with a bearer token
//! when one is set and a timeout on connecting, writing and reading.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;

/// A client of one server.
#[derive(Debug, Clone)]
pub struct Client {
    addr: SocketAddr,
    host: String,
    token: Option<String>,
    timeout: Duration,
}

/// Largest response read, bytes.
const MAX_RESPONSE: u64 = 64 * 1024 * 1024;

impl Client {
    /// A client of `base_url` (`http://127.0.0.1:7878`; `https` is not supported).
    pub fn new(base_url: &str, token: Option<String>, timeout: Duration) -> Result<Client, String> {
        let rest = base_url.strip_prefix("http://").ok_or_else(|| {
            format!("expected a URL like http://127.0.0.1:7878, got \"{base_url}\"")
        })?;
        let host = rest.trim_end_matches('/');
        if host.is_empty() || host.contains('/') {
            return Err(format!(
                "expected a URL like http://127.0.0.1:7878 (no path), got \"{base_url}\""
            ));
        }
        let addr = host
            .to_socket_addrs()
            .map_err(|e| format!("cannot resolve \"{host}\" of {base_url}: {e}"))?
            .next()
            .ok_or_else(|| format!("\"{host}\" of {base_url} resolves to no address"))?;
        Ok(Client {
            addr,
            host: host.to_string(),
            token,
            timeout,
        })
    }

    /// The server's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `GET path`: the status and body.
    pub fn get(&self, path: &str) -> Result<(u16, Vec<u8>), String> {
        self.send("GET", path, None)
    }

    /// `POST path` with `body` as JSON.
    pub fn post_json<T: Serialize>(&self, path: &str, body: &T) -> Result<(u16, Vec<u8>), String> {
        let bytes = serde_json::to_vec(body).map_err(|e| format!("cannot encode: {e}"))?;
        self.send("POST", path, Some(&bytes))
    }

    /// `DELETE path`.
    pub fn delete(&self, path: &str) -> Result<(u16, Vec<u8>), String> {
        self.send("DELETE", path, None)
    }

    /// A request whose 2xx answer is JSON of type `T`; any other status is an error carrying the
    /// server's message.
    pub fn call<T: DeserializeOwned>(
        &self,
        method: &str,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<T, String> {
        let bytes = body.map(|b| b.to_string().into_bytes());
        let (status, out) = self.send(method, path, bytes.as_deref())?;
        if !(200..300).contains(&status) {
            return Err(error_message(status, &out));
        }
        serde_json::from_slice(&out).map_err(|e| {
            format!(
                "{method} {path}: unexpected answer ({e}): {}",
                String::from_utf8_lossy(&out[..out.len().min(200)])
            )
        })
    }

    /// Sends one request and reads the whole answer.
    pub fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<&[u8]>,
    ) -> Result<(u16, Vec<u8>), String> {
        let fail = |e: std::io::Error| format!("{method} http://{}{path}: {e}", self.host);
        let mut s = TcpStream::connect_timeout(&self.addr, self.timeout).map_err(fail)?;
        s.set_read_timeout(Some(self.timeout)).map_err(fail)?;
        s.set_write_timeout(Some(self.timeout)).map_err(fail)?;
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nAccept: application/json\r\n",
            self.host
        );
        if let Some(t) = &self.token {
            head += &format!("Authorization: Bearer {t}\r\n");
        }
        if let Some(b) = body {
            head += &format!(
                "Content-Type: application/json\r\nContent-Length: {}\r\n",
                b.len()
            );
        }
        head += "\r\n";
        s.write_all(head.as_bytes()).map_err(fail)?;
        if let Some(b) = body {
            s.write_all(b).map_err(fail)?;
        }
        let mut out = Vec::new();
        s.take(MAX_RESPONSE).read_to_end(&mut out).map_err(fail)?;
        parse_response(&out).map_err(|e| format!("{method} http://{}{path}: {e}", self.host))
    }
}

/// The status and body of a whole `Connection: close` response.
fn parse_response(bytes: &[u8]) -> Result<(u16, Vec<u8>), String> {
    let end = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("incomplete HTTP response")?;
    let status = crate::runner::probe::parse_status_line(bytes).ok_or("not an HTTP response")?;
    Ok((status, bytes[end + 4..].to_vec()))
}

/// The message of an error answer: the JSON `error` (and `field`) when there is one.
pub fn error_message(status: u16, body: &[u8]) -> String {
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(v) if v.get("error").is_some() => {
            let msg = v["error"].as_str().unwrap_or("").to_string();
            match v.get("field").and_then(|f| f.as_str()) {
                Some(f) => format!("{status}: {msg} (field {f})"),
                None => format!("{status}: {msg}"),
            }
        }
        _ => format!(
            "{status}: {}",
            String::from_utf8_lossy(&body[..body.len().min(200)]).trim()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::{HttpServer, Limits, Request, Response};
    use std::sync::Arc;

    #[test]
    fn round_trips_json_and_tokens() {
        let server = HttpServer::start(
            "127.0.0.1:0",
            Limits::default(),
            Arc::new(|r: Request| {
                if !crate::http::token_matches(&r, Some("t0k")) {
                    return Response::error(401, "missing or wrong bearer token", None);
                }
                let v: serde_json::Value = match r.json() {
                    Ok(v) => v,
                    Err(e) => return e,
                };
                Response::json(201, &serde_json::json!({"got": v, "path": r.path}))
            }),
        )
        .unwrap();
        let url = format!("http://{}", server.addr());
        let c = Client::new(&url, Some("t0k".into()), Duration::from_secs(5)).unwrap();
        let v: serde_json::Value = c
            .call("POST", "/a", Some(&serde_json::json!({"x": 1})))
            .unwrap();
        assert_eq!(v["got"]["x"], 1);
        assert_eq!(v["path"], "/a");
        let anon = Client::new(&url, None, Duration::from_secs(5)).unwrap();
        let e = anon
            .call::<serde_json::Value>("POST", "/a", Some(&serde_json::json!({})))
            .unwrap_err();
        assert!(e.starts_with("401: missing or wrong bearer token"), "{e}");
        assert!(Client::new("https://x:1", None, Duration::from_secs(1)).is_err());
        assert!(Client::new("http://127.0.0.1:1/api", None, Duration::from_secs(1)).is_err());
    }
}
