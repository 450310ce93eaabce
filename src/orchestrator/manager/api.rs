//! The manager's HTTP API: routes, authentication, request validation, and the hand-off of each
//! call to the manager's loop (which answers after its store commit).
//!
//! | method and path | body | answer |
//! |---|---|---|
//! | `POST /tasks` | a task ([`TaskRequest`]) | 201 `{"id", "state"}` |
//! | `GET /tasks?state=S&limit=N` | | 200, array of task summaries, newest first |
//! | `GET /tasks/{id}` | | 200, the task with its history and launches |
//! | `DELETE /tasks/{id}` | | 200, the stopped task's summary (409 if it already ended) |
//! | `GET /nodes` | | 200, array of workers |
//! | `GET /metrics` | | Prometheus text exposition |
//! | `GET /health` | | 200 `{"status": "ok", ...}` (503 when the loop does not answer) |
//! | `POST /v1/workers` | [`Register`] | 200 [`crate::orchestrator::wire::Registered`] |
//! | `POST /v1/workers/{name}/heartbeat` | [`Heartbeat`] | 200 heartbeat reply |
//! | `POST /v1/workers/{name}/reports` | array of launch reports | 200 `{}` |

use std::sync::mpsc::{channel, Sender};
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use crate::http::{token_matches, Request, Response};
use crate::orchestrator::request::TaskRequest;
use crate::orchestrator::store::TASK_STATES;
use crate::orchestrator::wire::{Heartbeat, LaunchReport, Register};

use super::state::{unix_ms, ApiError, Msg};

/// Longest a call waits for the manager's loop.
const ANSWER_WITHIN: Duration = Duration::from_secs(30);
/// Largest task listing.
const MAX_LIMIT: u32 = 10_000;

/// The request handler of the manager's server.
pub fn handler(
    tx: Sender<Msg>,
    token: Option<String>,
) -> Arc<dyn Fn(Request) -> Response + Send + Sync> {
    Arc::new(move |req: Request| {
        if !token_matches(&req, token.as_deref()) {
            return Response::error(401, "missing or wrong bearer token", None);
        }
        route(&tx, &req)
    })
}

fn route(tx: &Sender<Msg>, req: &Request) -> Response {
    let segs: Vec<&str> = req.path.trim_end_matches('/').split('/').skip(1).collect();
    let m = req.method.as_str();
    match (m, segs.as_slice()) {
        ("POST", ["tasks"]) => {
            let r: TaskRequest = match req.json() {
                Ok(r) => r,
                Err(e) => return e,
            };
            match r.validate(unix_ms()) {
                Ok(def) => ask(tx, 201, |rep| Msg::Submit(Box::new(def), rep)),
                Err(inv) => Response::error(422, &inv.message, Some(&inv.field)),
            }
        }
        ("GET", ["tasks"]) => {
            let state = req.query("state").map(str::to_string);
            if let Some(s) = &state {
                if !TASK_STATES.contains(&s.as_str()) {
                    return Response::error(
                        400,
                        &format!(
                            "unknown state \"{s}\"; expected one of {}",
                            TASK_STATES.join(", ")
                        ),
                        Some("state"),
                    );
                }
            }
            let limit = match req.query("limit").map(str::parse::<u32>) {
                None => 1000,
                Some(Ok(n)) if (1..=MAX_LIMIT).contains(&n) => n,
                Some(_) => {
                    return Response::error(
                        400,
                        &format!("limit must be 1 to {MAX_LIMIT}"),
                        Some("limit"),
                    )
                }
            };
            ask(tx, 200, |rep| Msg::List(state, limit, rep))
        }
        ("GET", ["tasks", id]) => ask(tx, 200, |rep| Msg::Get(id.to_string(), rep)),
        ("DELETE", ["tasks", id]) => ask(tx, 200, |rep| Msg::Stop(id.to_string(), rep)),
        ("GET", ["nodes"]) => ask(tx, 200, Msg::Nodes),
        ("GET", ["health"]) => ask(tx, 200, Msg::Health),
        ("GET", ["metrics"]) => {
            let (rtx, rrx) = channel();
            if tx.send(Msg::Metrics(rtx)).is_err() {
                return Response::error(503, "the manager is shutting down", None);
            }
            match rrx.recv_timeout(ANSWER_WITHIN) {
                Ok(Ok(text)) => {
                    Response::with_type(200, "text/plain; version=0.0.4; charset=utf-8", &text)
                }
                Ok(Err(e)) => Response::error(e.status, &e.message, e.field.as_deref()),
                Err(_) => Response::error(503, "the manager did not answer in time", None),
            }
        }
        ("POST", ["v1", "workers"]) => match req.json::<Register>() {
            Ok(r) => ask(tx, 200, |rep| Msg::Register(Box::new(r), rep)),
            Err(e) => e,
        },
        ("POST", ["v1", "workers", name, "heartbeat"]) => match req.json::<Heartbeat>() {
            Ok(h) => ask(tx, 200, |rep| {
                Msg::Heartbeat(name.to_string(), Box::new(h), rep)
            }),
            Err(e) => e,
        },
        ("POST", ["v1", "workers", name, "reports"]) => match req.json::<Vec<LaunchReport>>() {
            Ok(r) => match ask_value(tx, |rep| Msg::Reports(name.to_string(), r, rep)) {
                Ok(()) => Response::json(200, &serde_json::json!({})),
                Err(e) => e,
            },
            Err(e) => e,
        },
        (
            _,
            ["tasks"]
            | ["tasks", _]
            | ["nodes"]
            | ["health"]
            | ["metrics"]
            | ["v1", "workers"]
            | ["v1", "workers", _, _],
        ) => Response::error(405, &format!("{m} is not allowed on {}", req.path), None),
        _ => Response::error(404, &format!("no such endpoint {}", req.path), None),
    }
}

/// Sends the message made by `make` to the loop and answers its result with `status`.
fn ask<T: Serialize + Send + 'static>(
    tx: &Sender<Msg>,
    status: u16,
    make: impl FnOnce(Sender<Result<T, ApiError>>) -> Msg,
) -> Response {
    match ask_value(tx, make) {
        Ok(v) => Response::json(status, &v),
        Err(r) => r,
    }
}

fn ask_value<T: Send + 'static>(
    tx: &Sender<Msg>,
    make: impl FnOnce(Sender<Result<T, ApiError>>) -> Msg,
) -> Result<T, Response> {
    let (rtx, rrx) = channel();
    if tx.send(make(rtx)).is_err() {
        return Err(Response::error(503, "the manager is shutting down", None));
    }
    match rrx.recv_timeout(ANSWER_WITHIN) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(Response::error(e.status, &e.message, e.field.as_deref())),
        Err(_) => Err(Response::error(
            503,
            "the manager did not answer in time",
            None,
        )),
    }
}
