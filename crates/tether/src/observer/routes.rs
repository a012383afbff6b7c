//! The observer's HTTP routes: the page, its JSON endpoints, the event stream and
//! `/metrics`.
//!
//! | Route | Answer |
//! |---|---|
//! | `GET /` | the page (one HTML file with its CSS and JS inline) |
//! | `GET /api/system` | the system figures now |
//! | `GET /api/history` | the charts' samples, oldest first |
//! | `GET /api/events` | server-sent events: a `tick` (system figures and the new sample) after each sample, about once a second |
//! | `GET /api/processes?sort=&desc=&offset=&limit=&search=` | one page of the process table, sorted and searched on the server |
//! | `GET /api/process/{pid}` | the process page (`pid` as `0.42.0`); 404 if it is not alive |
//! | `POST /api/process/{pid}/kill` | `exit(Pid, kill)`; needs the header `x-tether-observer: kill` |
//! | `GET /api/trees` | the supervision trees |
//! | `GET /api/connections` | the node's connections |
//! | `GET /metrics` | Prometheus text format |
//!
//! The routes that walk the process table (`/api/system`, `/api/processes`,
//! `/metrics`: O(processes) each) run it on tokio's blocking pool.
//!
//! The kill route asks for a custom header so that another web page cannot make a
//! browser post it: a cross-origin request with that header needs a CORS preflight,
//! which the observer never grants.

use std::convert::Infallible;
use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use tether_term::{Node, Pid};
use tokio_stream::StreamExt;
use tokio_stream::wrappers::BroadcastStream;

use super::history::History;
use super::source;
use super::view::ProcessQuery;

/// The page, embedded at build time.
const PAGE: &str = include_str!("page.html");

/// The header the kill route needs, and its value.
pub(crate) const KILL_HEADER: (&str, &str) = ("x-tether-observer", "kill");

pub(crate) fn router(history: Arc<History>) -> Router {
    Router::new()
        .route("/", get(|| async { Html(PAGE) }))
        .route(
            "/api/system",
            get(|| async { Json(off_worker(source::system).await) }),
        )
        .route("/api/history", get(history_samples))
        .route("/api/events", get(events))
        .route("/api/processes", get(processes))
        .route("/api/process/{pid}", get(process))
        .route("/api/process/{pid}/kill", post(kill))
        .route(
            "/api/trees",
            get(|| async { Json(source::supervision_trees().await) }),
        )
        .route(
            "/api/connections",
            get(|| async { Json(source::connections()) }),
        )
        .route("/metrics", get(metrics))
        .with_state(history)
}

async fn history_samples(State(h): State<Arc<History>>) -> impl IntoResponse {
    Json(h.samples())
}

async fn events(State(h): State<Arc<History>>) -> impl IntoResponse {
    // A page too slow to take every tick skips the ones it missed.
    let stream = BroadcastStream::new(h.subscribe()).filter_map(|tick| {
        let data = serde_json::to_string(&*tick.ok()?).ok()?;
        Some(Ok::<_, Infallible>(
            Event::default().event("tick").data(data),
        ))
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}

async fn processes(
    q: Result<Query<ProcessQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    match q {
        Ok(Query(q)) => {
            let q = q.normalized();
            Json(off_worker(move || source::processes(&q)).await).into_response()
        }
        Err(e) => bad_request(format!("bad query: {e}")),
    }
}

async fn process(Path(pid): Path<String>) -> Response {
    let pid = match parse_pid(&pid) {
        Ok(p) => p,
        Err(e) => return bad_request(e),
    };
    match source::process(pid).await {
        Some(d) => Json(d).into_response(),
        None => not_found(pid),
    }
}

async fn kill(headers: HeaderMap, Path(pid): Path<String>) -> Response {
    let (name, value) = KILL_HEADER;
    if headers.get(name).and_then(|v| v.to_str().ok()) != Some(value) {
        return (
            StatusCode::FORBIDDEN,
            format!("the kill route needs the header `{name}: {value}`\n"),
        )
            .into_response();
    }
    let pid = match parse_pid(&pid) {
        Ok(p) => p,
        Err(e) => return bad_request(e),
    };
    if source::kill(pid) {
        tracing::info!(%pid, "observer: killed on request");
        Json(serde_json::json!({ "killed": pid.to_string() })).into_response()
    } else {
        not_found(pid)
    }
}

async fn metrics() -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        off_worker(source::metrics).await,
    )
}

/// Runs `f`, a walk of the process table (O(processes)), on tokio's blocking pool, so
/// that a page asking for it never holds up the processes of a worker thread. The
/// runtime's blocking threads belong to it as its workers do.
async fn off_worker<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    match tokio::task::spawn_blocking(f).await {
        Ok(v) => v,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}

fn bad_request(msg: String) -> Response {
    (StatusCode::BAD_REQUEST, msg + "\n").into_response()
}

fn not_found(pid: Pid) -> Response {
    (StatusCode::NOT_FOUND, format!("{pid} is not alive\n")).into_response()
}

/// A local pid as the page writes it: `0.42.0` or `<0.42.0>`.
pub(crate) fn parse_pid(s: &str) -> Result<Pid, String> {
    let bad = || format!("bad pid {s:?}: expected a local pid such as 0.42.0");
    let inner = s.trim().trim_start_matches('<').trim_end_matches('>');
    let parts: Vec<&str> = inner.split('.').collect();
    let [node, id, serial] = parts[..] else {
        return Err(bad());
    };
    if node != "0" {
        return Err(format!("{s:?} is not a pid of this node"));
    }
    let id = id.parse().map_err(|_| bad())?;
    let serial = serial.parse().map_err(|_| bad())?;
    Ok(Pid::new(Node::local(), id, serial, 0))
}
