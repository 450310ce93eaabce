//! Requests and responses, and parsing a request's head.

use std::net::SocketAddr;

use serde::de::DeserializeOwned;
use serde::Serialize;

/// A request as the handler sees it.
#[derive(Debug, Clone)]
pub struct Request {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The path, without the query string, percent-decoding not applied.
    pub path: String,
    /// The query string's `key=value` pairs, in order (percent-decoded).
    pub query: Vec<(String, String)>,
    /// Header names (lower case) and values.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
    /// The client's address.
    pub peer: SocketAddr,
}

impl Request {
    /// A header's value (name in any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The bearer token of the `Authorization` header.
    pub fn bearer(&self) -> Option<&str> {
        self.header("authorization")?
            .strip_prefix("Bearer ")
            .map(str::trim)
    }

    /// A query parameter.
    pub fn query(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The body parsed as JSON into `T`; a 400 response naming the field at fault otherwise
    /// (415 when the content type says it is not JSON).
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, Response> {
        if let Some(kind) = self.header("content-type") {
            if !kind.trim_start().starts_with("application/json") {
                return Err(Response::error(
                    415,
                    &format!("expected Content-Type application/json, got \"{kind}\""),
                    None,
                ));
            }
        }
        let mut de = serde_json::Deserializer::from_slice(&self.body);
        let parsed: Result<T, _> = serde_path_to_error(&mut de);
        parsed.map_err(|(e, field)| Response::error(400, &e, field.as_deref()))
    }
}

/// Deserializes, keeping what serde says about the failing field (its name appears in the
/// message for unknown and missing fields; the JSON path otherwise is not tracked).
fn serde_path_to_error<'de, T: DeserializeOwned>(
    de: &mut serde_json::Deserializer<serde_json::de::SliceRead<'de>>,
) -> Result<T, (String, Option<String>)> {
    let value = T::deserialize(&mut *de).and_then(|v| de.end().map(|_| v));
    value.map_err(|e| {
        let msg = e.to_string();
        let field = field_in_message(&msg);
        (format!("invalid JSON body: {msg}"), field)
    })
}

/// The field serde names in `unknown field `x``, `missing field `x`` or `invalid ... for key `x``.
fn field_in_message(msg: &str) -> Option<String> {
    for marker in ["unknown field `", "missing field `", "duplicate field `"] {
        if let Some(rest) = msg.split(marker).nth(1) {
            return rest.split('`').next().map(str::to_string);
        }
    }
    None
}

/// Whether the request carries `token` as its bearer token (compared in constant time); always
/// true when no token is required.
pub fn token_matches(req: &Request, token: Option<&str>) -> bool {
    let Some(want) = token else { return true };
    let Some(got) = req.bearer() else {
        return false;
    };
    let (a, b) = (want.as_bytes(), got.as_bytes());
    let mut diff = (a.len() != b.len()) as u8;
    for (i, x) in a.iter().enumerate() {
        diff |= x ^ b.get(i).copied().unwrap_or(0);
    }
    diff == 0
}

/// A response.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Its `Content-Type`.
    pub content_type: String,
    /// The body.
    pub body: Vec<u8>,
}

impl Response {
    /// `v` as JSON.
    pub fn json<T: Serialize>(status: u16, v: &T) -> Response {
        let body = serde_json::to_vec(v).unwrap_or_else(|e| {
            format!("{{\"error\":\"cannot serialize the answer: {e}\"}}").into_bytes()
        });
        Response {
            status,
            content_type: "application/json".into(),
            body,
        }
    }

    /// A JSON error body `{"error": msg, "field": field}`.
    pub fn error(status: u16, msg: &str, field: Option<&str>) -> Response {
        let mut v = serde_json::json!({ "error": msg });
        if let Some(f) = field {
            v["field"] = serde_json::Value::String(f.to_string());
        }
        Response::json(status, &v)
    }

    /// Plain text.
    pub fn text(status: u16, s: &str) -> Response {
        Response::with_type(status, "text/plain; charset=utf-8", s)
    }

    /// A body of the given content type.
    pub fn with_type(status: u16, content_type: &str, s: &str) -> Response {
        Response {
            status,
            content_type: content_type.into(),
            body: s.as_bytes().to_vec(),
        }
    }
}

/// The reason phrase of a status code.
pub(super) fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        411 => "Length Required",
        413 => "Content Too Large",
        415 => "Unsupported Media Type",
        422 => "Unprocessable Content",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

/// A request's head: method, target, headers.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Head {
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, String)>,
}

/// Parses a request head (the bytes before the blank line) or says what is wrong with it.
pub(super) fn parse_head(bytes: &[u8]) -> Result<Head, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "request head is not UTF-8".to_string())?;
    let mut lines = text.split("\r\n");
    let first = lines.next().unwrap_or("");
    let mut parts = first.split(' ');
    let (method, target, version) = match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(m), Some(t), Some(v), None) => (m, t, v),
        _ => return Err(format!("malformed request line \"{}\"", clip(first))),
    };
    if method.is_empty() || !method.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(format!("malformed method \"{}\"", clip(method)));
    }
    if !target.starts_with('/') {
        return Err(format!(
            "request target must start with /, got \"{}\"",
            clip(target)
        ));
    }
    if version != "HTTP/1.1" && version != "HTTP/1.0" {
        return Err(format!("unsupported protocol \"{}\"", clip(version)));
    }
    let mut headers = Vec::new();
    for line in lines.filter(|l| !l.is_empty()) {
        let (k, v) = line
            .split_once(':')
            .ok_or_else(|| format!("malformed header line \"{}\"", clip(line)))?;
        if k.is_empty()
            || k.bytes()
                .any(|b| b.is_ascii_whitespace() || b.is_ascii_control())
        {
            return Err(format!("malformed header name \"{}\"", clip(k)));
        }
        headers.push((k.to_ascii_lowercase(), v.trim().to_string()));
    }
    Ok(Head {
        method: method.to_string(),
        target: target.to_string(),
        headers,
    })
}

/// Splits a target into its path and decoded query pairs.
pub(super) fn split_target(target: &str) -> (String, Vec<(String, String)>) {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let pairs = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect();
    (path.to_string(), pairs)
}

/// Decodes `%XX` escapes and `+` (as a space); malformed escapes are kept as they are.
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                match u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("zz"), 16)
                {
                    Ok(v) => {
                        out.push(v);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// At most 60 characters of `s`, for error messages.
fn clip(s: &str) -> String {
    s.chars().take(60).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_parse_and_bad_ones_say_why() {
        let h =
            parse_head(b"POST /tasks?state=running HTTP/1.1\r\nContent-Length: 3\r\nX-A:  b \r\n")
                .unwrap();
        assert_eq!(h.method, "POST");
        assert_eq!(
            h.headers,
            vec![
                ("content-length".to_string(), "3".to_string()),
                ("x-a".to_string(), "b".to_string())
            ]
        );
        let (p, q) = split_target(&h.target);
        assert_eq!(p, "/tasks");
        assert_eq!(q, vec![("state".to_string(), "running".to_string())]);
        assert!(parse_head(b"GARBAGE").unwrap_err().contains("request line"));
        assert!(parse_head(b"get / HTTP/1.1")
            .unwrap_err()
            .contains("method"));
        assert!(parse_head(b"GET x HTTP/1.1")
            .unwrap_err()
            .contains("target"));
        assert!(parse_head(b"GET / SPDY/3")
            .unwrap_err()
            .contains("protocol"));
        assert!(parse_head(b"GET / HTTP/1.1\r\nno colon")
            .unwrap_err()
            .contains("header"));
        assert!(parse_head(&[0xff, 0xfe]).unwrap_err().contains("UTF-8"));
    }

    #[test]
    fn percent_decoding_keeps_malformed_escapes() {
        assert_eq!(percent_decode("a%20b+c"), "a b c");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz"), "%zz");
    }

    #[test]
    fn tokens_compare_whole() {
        let req = |auth: Option<&str>| Request {
            method: "GET".into(),
            path: "/".into(),
            query: vec![],
            headers: auth
                .map(|a| vec![("authorization".to_string(), a.to_string())])
                .unwrap_or_default(),
            body: vec![],
            peer: "127.0.0.1:1".parse().unwrap(),
        };
        assert!(token_matches(&req(None), None));
        assert!(!token_matches(&req(None), Some("s3cret")));
        assert!(!token_matches(&req(Some("Bearer s3cre")), Some("s3cret")));
        assert!(!token_matches(&req(Some("Bearer s3cret!")), Some("s3cret")));
        assert!(!token_matches(&req(Some("Basic s3cret")), Some("s3cret")));
        assert!(token_matches(&req(Some("Bearer s3cret")), Some("s3cret")));
    }

    #[test]
    fn json_errors_name_the_field() {
        #[derive(serde::Deserialize, Debug)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct T {
            cpu: f64,
        }
        let mk = |body: &str| Request {
            method: "POST".into(),
            path: "/".into(),
            query: vec![],
            headers: vec![],
            body: body.as_bytes().to_vec(),
            peer: "127.0.0.1:1".parse().unwrap(),
        };
        let e = mk(r#"{"cpu": 1, "gpu": 2}"#).json::<T>().unwrap_err();
        assert_eq!(e.status, 400);
        assert!(String::from_utf8_lossy(&e.body).contains("\"field\":\"gpu\""));
        let e = mk("{}").json::<T>().unwrap_err();
        assert!(String::from_utf8_lossy(&e.body).contains("\"field\":\"cpu\""));
        assert_eq!(mk("{not json").json::<T>().unwrap_err().status, 400);
        assert!(mk(r#"{"cpu": 1}"#).json::<T>().is_ok());
    }
}
