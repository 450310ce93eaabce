//! The server: an accept thread, one thread per connection up to a limit (a client beyond it is
//! answered 503 at once), each reading one request with a deadline and answering it.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::message::{parse_head, reason, split_target, Request, Response};

/// What a server accepts.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest request head (request line and headers), bytes (431 beyond).
    pub max_head: usize,
    /// Largest body, bytes (413 beyond).
    pub max_body: usize,
    /// Time a client has to send its whole request (408 after).
    pub read_timeout: Duration,
    /// Connections served at once (503 beyond).
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_head: 16 * 1024,
            max_body: 1024 * 1024,
            read_timeout: Duration::from_secs(10),
            max_connections: 64,
        }
    }
}

/// The function that answers requests.
pub type Handler = Arc<dyn Fn(Request) -> Response + Send + Sync>;

/// A running server; it stops accepting when dropped (requests being answered finish).
pub struct HttpServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl HttpServer {
    /// Listens on `addr` (`127.0.0.1:7878`; port 0 picks a free one) and answers every request
    /// with `handler`.
    pub fn start(addr: &str, limits: Limits, handler: Handler) -> Result<HttpServer, String> {
        let listener =
            TcpListener::bind(addr).map_err(|e| format!("cannot listen on {addr}: {e}"))?;
        let addr = listener.local_addr().map_err(|e| format!("{addr}: {e}"))?;
        listener
            .set_nonblocking(true)
            .map_err(|e| format!("{addr}: {e}"))?;
        let stop = Arc::new(AtomicBool::new(false));
        let st = stop.clone();
        let active = Arc::new(AtomicUsize::new(0));
        let thread = std::thread::Builder::new()
            .name(format!("http {addr}"))
            .spawn(move || {
                while !st.load(Ordering::SeqCst) {
                    match listener.accept() {
                        Ok((stream, peer)) => {
                            if active.load(Ordering::SeqCst) >= limits.max_connections {
                                refuse_busy(stream);
                                continue;
                            }
                            active.fetch_add(1, Ordering::SeqCst);
                            let (h, a) = (handler.clone(), active.clone());
                            let spawned = std::thread::Builder::new()
                                .name("http conn".into())
                                .spawn(move || {
                                    serve(stream, peer, &limits, &h);
                                    a.fetch_sub(1, Ordering::SeqCst);
                                });
                            if spawned.is_err() {
                                active.fetch_sub(1, Ordering::SeqCst);
                            }
                        }
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                            std::thread::sleep(Duration::from_millis(5))
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(20)),
                    }
                }
            })
            .map_err(|e| format!("cannot start the server thread: {e}"))?;
        Ok(HttpServer {
            addr,
            stop,
            thread: Some(thread),
        })
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Answers 503 to a client beyond the connection limit.
fn refuse_busy(mut stream: TcpStream) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_write_timeout(Some(Duration::from_secs(1)));
    write_response(
        &mut stream,
        &Response::error(503, "too many connections; retry", None),
    );
}

/// Reads one request from `stream` and answers it.
fn serve(
    mut stream: TcpStream,
    peer: SocketAddr,
    limits: &Limits,
    handler: &super::server::Handler,
) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_write_timeout(Some(limits.read_timeout));
    let response = match read_request(&mut stream, peer, limits) {
        Ok(req) => {
            let method = req.method.clone();
            let mut r = handler(req);
            if method == "HEAD" {
                r.body.clear();
            }
            r
        }
        Err(r) => {
            write_response(&mut stream, &r);
            linger(&mut stream);
            return;
        }
    };
    write_response(&mut stream, &response);
}

/// After refusing a request whose body was not read: stops writing and reads what the client
/// still sends (for at most a second and 4 MiB), so closing does not reset the connection before
/// the client has read the answer.
fn linger(stream: &mut TcpStream) {
    let _ = stream.shutdown(std::net::Shutdown::Write);
    let end = Instant::now() + Duration::from_secs(1);
    let mut sink = [0u8; 16 * 1024];
    let mut total = 0usize;
    while total < 4 << 20 {
        let left = end.saturating_duration_since(Instant::now());
        if left.is_zero() || stream.set_read_timeout(Some(left)).is_err() {
            break;
        }
        match stream.read(&mut sink) {
            Ok(0) | Err(_) => break,
            Ok(n) => total += n,
        }
    }
}

/// Writes `r` with `Connection: close`.
fn write_response(stream: &mut TcpStream, r: &Response) {
    let head = format!(
        "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\nCache-Control: no-store\r\n\r\n",
        r.status,
        reason(r.status),
        r.content_type,
        r.body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(&r.body);
    let _ = stream.flush();
}

/// Reads a request within the limits, or the error response to send instead.
fn read_request(
    stream: &mut TcpStream,
    peer: SocketAddr,
    limits: &Limits,
) -> Result<Request, Response> {
    let deadline = Instant::now() + limits.read_timeout;
    let mut buf: Vec<u8> = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = find(&buf, b"\r\n\r\n") {
            break i;
        }
        if buf.len() > limits.max_head {
            return Err(Response::error(431, "request head too large", None));
        }
        read_some(stream, &mut chunk, &mut buf, deadline)?;
    };
    if head_end > limits.max_head {
        return Err(Response::error(431, "request head too large", None));
    }
    let head = parse_head(&buf[..head_end]).map_err(|e| Response::error(400, &e, None))?;
    let header = |name: &str| {
        head.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    if header("transfer-encoding").is_some() {
        return Err(Response::error(
            411,
            "chunked bodies are not accepted; send Content-Length",
            None,
        ));
    }
    let lengths: Vec<&str> = head
        .headers
        .iter()
        .filter(|(k, _)| k == "content-length")
        .map(|(_, v)| v.as_str())
        .collect();
    let length = match lengths.as_slice() {
        [] => 0,
        [one] => one
            .parse::<usize>()
            .map_err(|_| Response::error(400, &format!("bad Content-Length \"{one}\""), None))?,
        _ => return Err(Response::error(400, "more than one Content-Length", None)),
    };
    if length > limits.max_body {
        return Err(Response::error(
            413,
            &format!(
                "body of {length} bytes is larger than the limit of {} bytes",
                limits.max_body
            ),
            None,
        ));
    }
    let mut body = buf.split_off(head_end + 4);
    while body.len() < length {
        read_some(stream, &mut chunk, &mut body, deadline)?;
    }
    if body.len() > length {
        return Err(Response::error(
            400,
            "more bytes than Content-Length (pipelining is not supported)",
            None,
        ));
    }
    let (path, query) = split_target(&head.target);
    Ok(Request {
        method: head.method,
        path,
        query,
        headers: head.headers,
        body,
        peer,
    })
}

/// Reads what arrives before `deadline` onto `buf`; an error response on timeout or close.
fn read_some(
    stream: &mut TcpStream,
    chunk: &mut [u8],
    buf: &mut Vec<u8>,
    deadline: Instant,
) -> Result<(), Response> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        return Err(Response::error(408, "request not received in time", None));
    }
    let _ = stream.set_read_timeout(Some(left));
    match stream.read(chunk) {
        Ok(0) => Err(Response::error(400, "connection closed mid-request", None)),
        Ok(n) => {
            buf.extend_from_slice(&chunk[..n]);
            Ok(())
        }
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ) =>
        {
            Err(Response::error(408, "request not received in time", None))
        }
        Err(e) => Err(Response::error(400, &format!("read error: {e}"), None)),
    }
}

/// Position of `needle` in `hay`.
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(addr: SocketAddr, request: &[u8]) -> String {
        let mut s = TcpStream::connect(addr).unwrap();
        s.write_all(request).unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        out
    }

    fn echo() -> HttpServer {
        let limits = Limits {
            max_head: 1024,
            max_body: 64,
            read_timeout: Duration::from_millis(500),
            max_connections: 8,
        };
        HttpServer::start(
            "127.0.0.1:0",
            limits,
            Arc::new(|r: Request| {
                Response::text(
                    200,
                    &format!(
                        "{} {} {:?} {}",
                        r.method,
                        r.path,
                        r.query,
                        String::from_utf8_lossy(&r.body)
                    ),
                )
            }),
        )
        .unwrap()
    }

    #[test]
    fn answers_and_refuses_by_the_limits() {
        let s = echo();
        let a = s.addr();
        let ok = raw(a, b"POST /x?a=1 HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello");
        assert!(ok.starts_with("HTTP/1.1 200 OK"), "{ok}");
        assert!(ok.ends_with("POST /x [(\"a\", \"1\")] hello"), "{ok}");
        let big = raw(a, b"POST / HTTP/1.1\r\nContent-Length: 65\r\n\r\n");
        assert!(big.starts_with("HTTP/1.1 413"), "{big}");
        let mut head = b"GET / HTTP/1.1\r\nX: ".to_vec();
        head.extend(vec![b'a'; 2000]);
        assert!(raw(a, &head).starts_with("HTTP/1.1 431"));
        assert!(raw(a, b"BLAH\r\n\r\n").starts_with("HTTP/1.1 400"));
        assert!(raw(
            a,
            b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
        )
        .starts_with("HTTP/1.1 411"));
        assert!(raw(a, b"POST / HTTP/1.1\r\nContent-Length: x\r\n\r\n").starts_with("HTTP/1.1 400"));
        // A client that stops mid-body gets 408 once its time is up.
        let slow = raw(a, b"POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc");
        assert!(slow.starts_with("HTTP/1.1 408"), "{slow}");
        // Still serving.
        assert!(raw(a, b"GET /y HTTP/1.1\r\n\r\n").contains("GET /y"));
    }
}
