//! A small HTTP endpoint: `GET /metrics` answers the Prometheus text format, `GET /` a page with
//! the same figures that refreshes itself every two seconds, anything else 404 (405 for other
//! methods). One thread serves one connection at a time; requests are read with a timeout and at
//! most 16 KiB, so a slow or oversized client cannot hold the runner up.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use super::exposition::{render, Family};

/// The most a request may be, headers included.
const MAX_REQUEST: usize = 16 * 1024;

/// What the endpoint serves, replaced as a whole by [`MetricsServer::publish`].
#[derive(Default)]
struct Shared {
    metrics: String,
    page: String,
}

/// A running endpoint; it stops when dropped.
pub struct MetricsServer {
    addr: SocketAddr,
    shared: Arc<Mutex<Shared>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl MetricsServer {
    /// Listens on `addr` (`127.0.0.1:9184`; port 0 picks a free one).
    pub fn start(addr: &str) -> Result<MetricsServer, String> {
        let listener = TcpListener::bind(addr)
            .map_err(|e| format!("--metrics {addr}: cannot listen there: {e}"))?;
        let addr = listener
            .local_addr()
            .map_err(|e| format!("--metrics {addr}: {e}"))?;
        listener
            .set_nonblocking(true)
            .map_err(|e| format!("--metrics {addr}: {e}"))?;
        let shared = Arc::new(Mutex::new(Shared::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let (s, st) = (shared.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            while !st.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((stream, _)) => serve(stream, &s),
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                        std::thread::sleep(Duration::from_millis(20))
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        });
        Ok(MetricsServer {
            addr,
            shared,
            stop,
            thread: Some(thread),
        })
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Serves `families` from now on; `title` heads the live page.
    pub fn publish(&self, families: &[Family], title: &str) {
        let metrics = render(families);
        let page = page(families, title);
        let mut s = self.shared.lock().unwrap_or_else(|p| p.into_inner());
        s.metrics = metrics;
        s.page = page;
    }
}

impl Drop for MetricsServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Answers one request.
fn serve(mut stream: TcpStream, shared: &Mutex<Shared>) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(2)));
    let mut buf = Vec::new();
    let mut chunk = [0u8; 2048];
    let complete = loop {
        if buf.windows(4).any(|w| w == b"\r\n\r\n") {
            break true;
        }
        if buf.len() > MAX_REQUEST {
            break false;
        }
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => break false,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    let line = String::from_utf8_lossy(&buf);
    let mut parts = line.lines().next().unwrap_or("").split_whitespace();
    let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let (status, kind, body) = if !complete {
        ("400 Bad Request", "text/plain", "bad request\n".to_string())
    } else if method != "GET" {
        (
            "405 Method Not Allowed",
            "text/plain",
            "only GET\n".to_string(),
        )
    } else {
        let s = shared.lock().unwrap_or_else(|p| p.into_inner());
        match path {
            "/metrics" => (
                "200 OK",
                "text/plain; version=0.0.4; charset=utf-8",
                s.metrics.clone(),
            ),
            "/" => ("200 OK", "text/html; charset=utf-8", s.page.clone()),
            _ => ("404 Not Found", "text/plain", "not found\n".to_string()),
        }
    };
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body.as_bytes());
}

/// Text for HTML.
fn html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The live page: every sample in a table, refreshed every two seconds.
fn page(families: &[Family], title: &str) -> String {
    let mut rows = String::new();
    for f in families {
        for s in &f.samples {
            let labels: Vec<String> = s.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
            rows += &format!(
                "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td>{}</td></tr>\n",
                html(f.name),
                html(&labels.join(", ")),
                s.value,
                html(f.help)
            );
        }
    }
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"2\">\
         <title>{t}</title><style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}\
         td,th{{border-bottom:1px solid #ddd;padding:4px 10px;text-align:left}}td.n{{text-align:right;font-variant-numeric:tabular-nums}}</style>\
         </head><body><h1>{t}</h1><p>Refreshes every 2 s; the same figures as <a href=\"/metrics\">/metrics</a>.</p>\
         <table><tr><th>metric</th><th>labels</th><th>value</th><th>what it is</th></tr>\n{rows}</table></body></html>\n",
        t = html(title)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monitor::exposition::Kind;

    fn get(addr: SocketAddr, request: &[u8]) -> String {
        let mut s = TcpStream::connect(addr).unwrap();
        s.write_all(request).unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        out
    }

    #[test]
    fn serves_metrics_the_page_and_refuses_the_rest() {
        let server = MetricsServer::start("127.0.0.1:0").unwrap();
        let fam = Family::new("simctl_nodes_up", Kind::Gauge, "Nodes <up>.").with(&[], 2.0);
        server.publish(&[fam], "run <x>");
        let a = server.addr();
        let m = get(a, b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
        assert!(m.starts_with("HTTP/1.1 200 OK"), "{m}");
        assert!(
            m.contains("version=0.0.4") && m.ends_with("simctl_nodes_up 2\n"),
            "{m}"
        );
        let p = get(a, b"GET / HTTP/1.1\r\n\r\n");
        assert!(p.contains("<title>run &lt;x&gt;</title>") && p.contains("Nodes &lt;up&gt;."));
        assert!(get(a, b"GET /nope HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 404"));
        assert!(get(a, b"POST /metrics HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 405"));
        let huge = vec![b'a'; MAX_REQUEST + 10];
        assert!(get(a, &huge).starts_with("HTTP/1.1 400"));
        // Still serving after the bad requests.
        assert!(get(a, b"GET /metrics HTTP/1.1\r\n\r\n").contains("simctl_nodes_up 2"));
    }
}
