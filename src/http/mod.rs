//! A small HTTP/1.1 server and client on the standard library, for the orchestrator's JSON APIs
//! (manager and worker) and the live metrics endpoint. One request per connection
//! (`Connection: close`), bodies sized by `Content-Length` only (no chunked uploads), with limits
//! on the head, the body, the time a client may take and the connections served at once, so a
//! slow, oversized or malformed client gets a 4xx and cannot hold a server up.

mod client;
mod message;
mod server;

pub use client::{error_message, Client};
pub use message::{token_matches, Request, Response};
pub use server::{HttpServer, Limits};
