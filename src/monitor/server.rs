//! A small HTTP endpoint: `GET /metrics` answers the Prometheus text format, `GET /` a page with
//! the same figures that refreshes itself every two seconds, anything else 404 (405 for other
//! methods). It runs on [`crate::http::HttpServer`], whose limits (head size, time, connections)
//! keep a slow or oversized client from holding the runner up.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::http::{HttpServer, Limits, Request, Response};

use super::exposition::{render, Family};

/// What the endpoint serves, replaced as a whole by [`MetricsServer::publish`].
#[derive(Default)]
struct Shared {
    metrics: String,
    page: String,
}

/// A running endpoint; it stops when dropped.
pub struct MetricsServer {
    shared: Arc<Mutex<Shared>>,
    server: HttpServer,
}

impl MetricsServer {
    /// Listens on `addr` (`127.0.0.1:9184`; port 0 picks a free one).
    pub fn start(addr: &str) -> Result<MetricsServer, String> {
        let shared = Arc::new(Mutex::new(Shared::default()));
        let s = shared.clone();
        let limits = Limits {
            max_head: 16 * 1024,
            max_body: 0,
            read_timeout: Duration::from_secs(2),
            max_connections: 16,
        };
        let server = HttpServer::start(addr, limits, Arc::new(move |r: Request| answer(&r, &s)))
            .map_err(|e| format!("--metrics {addr}: {e}"))?;
        Ok(MetricsServer { shared, server })
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
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

/// Answers one request.
fn answer(r: &Request, shared: &Mutex<Shared>) -> Response {
    if r.method != "GET" && r.method != "HEAD" {
        return Response::text(405, "only GET\n");
    }
    let s = shared.lock().unwrap_or_else(|p| p.into_inner());
    match r.path.as_str() {
        "/metrics" => {
            Response::with_type(200, "text/plain; version=0.0.4; charset=utf-8", &s.metrics)
        }
        "/" => Response::with_type(200, "text/html; charset=utf-8", &s.page),
        _ => Response::text(404, "not found\n"),
    }
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
    use std::io::{Read, Write};
    use std::net::TcpStream;

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
        let huge = vec![b'a'; 17 * 1024];
        assert!(get(a, &huge).starts_with("HTTP/1.1 431"));
        // Still serving after the bad requests.
        assert!(get(a, b"GET /metrics HTTP/1.1\r\n\r\n").contains("simctl_nodes_up 2"));
    }
}
