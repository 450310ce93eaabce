//! The worker API, served on `--listen` for the manager: `POST /v1/launches` (start, answered
//! 202 at once; a known launch id answers 200 and starts nothing), `DELETE /v1/launches/{id}`
//! (stop), `GET /v1/launches` (the last report of every launch) and `GET /health`. With a
//! token, every route but `/health` needs `Authorization: Bearer <token>`.

use std::sync::Arc;
use std::time::Duration;

use super::agent::Agent;
use super::launch::check_launch;
use super::table::StopOutcome;
use crate::http::{token_matches, HttpServer, Limits, Request, Response};
use crate::orchestrator::wire::Launch;

/// The largest request body: a launch with every argument at its maximum size fits.
pub const MAX_BODY: usize = 1 << 20;

/// Starts serving the worker API of `agent` on its `--listen` address.
pub fn serve(agent: &Arc<Agent>) -> anyhow::Result<HttpServer> {
    let limits = Limits {
        max_body: MAX_BODY,
        read_timeout: Duration::from_secs(5),
        ..Limits::default()
    };
    let a = Arc::clone(agent);
    HttpServer::start(
        &agent.cfg.listen.to_string(),
        limits,
        Arc::new(move |req| handle(&a, &req)),
    )
    .map_err(|e| anyhow::anyhow!("--listen {}: {e}", agent.cfg.listen))
}

/// Answers one request.
pub fn handle(agent: &Arc<Agent>, req: &Request) -> Response {
    if req.path == "/health" {
        return match req.method.as_str() {
            "GET" => Response::json(
                200,
                &serde_json::json!({"status": "ok", "worker": agent.cfg.name}),
            ),
            _ => not_allowed("GET"),
        };
    }
    if !token_matches(req, agent.cfg.token.as_deref()) {
        return Response::error(
            401,
            "a valid bearer token is required",
            Some("authorization"),
        );
    }
    if req.path == "/v1/launches" {
        return match req.method.as_str() {
            "POST" => post_launch(agent, req),
            "GET" => Response::json(200, &agent.table.reports()),
            _ => not_allowed("GET, POST"),
        };
    }
    if let Some(id) = req.path.strip_prefix("/v1/launches/") {
        return match req.method.as_str() {
            "DELETE" => delete_launch(agent, id),
            _ => not_allowed("DELETE"),
        };
    }
    Response::error(404, &format!("no route {}", req.path), None)
}

fn not_allowed(allowed: &str) -> Response {
    Response::error(
        405,
        &format!("method not allowed here (allowed: {allowed})"),
        None,
    )
}

fn post_launch(agent: &Arc<Agent>, req: &Request) -> Response {
    let launch: Launch = match req.json() {
        Ok(l) => l,
        Err(r) => return r,
    };
    if let Err(e) = check_launch(&launch, &agent.cfg.capacity) {
        return Response::error(400, &format!("{}: {}", e.field, e.message), Some(e.field));
    }
    let id = launch.launch;
    if !agent.table.insert(&launch) {
        return Response::json(200, &serde_json::json!({ "launch": id, "duplicate": true }));
    }
    agent.start_launch(launch);
    Response::json(202, &serde_json::json!({ "launch": id }))
}

fn delete_launch(agent: &Arc<Agent>, id: &str) -> Response {
    let Ok(id) = id.parse::<u64>() else {
        return Response::error(400, &format!("\"{id}\" is not a launch id"), Some("id"));
    };
    match agent.stop_launch(id) {
        StopOutcome::Unknown => Response::error(404, &format!("no launch {id}"), None),
        _ => Response::json(
            200,
            &serde_json::json!({ "launch": id, "state": "stopped" }),
        ),
    }
}
