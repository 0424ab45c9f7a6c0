//! The agent's HTTP API: outputs for the consumer, capacity checks for the
//! oracle, the agent's status.
//!
//! ```text
//! GET  /v1/results/{job}/{task}  the task's output bytes (application/octet-stream)
//! POST /v1/check                 CheckRequest (JSON) → CheckAnswer (JSON): runs a task
//! GET  /v1/status                AgentStatus (JSON)
//! ```
//!
//! Every error is JSON `{"error": {"code", "message"}}` (the node's and the
//! oracle's [`ApiError`]), those axum answers by itself too (a path segment that is
//! not UTF-8, an unknown route, a method a route lacks); request bodies are
//! limited to [`MAX_CHECK_BODY`] bytes.

use crate::agent::Agent;
use crate::check::{CheckAnswer, CheckRequest, MAX_CHECK_BODY};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use plinth_api::server::extract::{json_errors, Path};
use plinth_api::server::ApiError;
use plinth_core::Hash;
use std::sync::Arc;

fn error(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    ApiError::new(status, code, message).into_response()
}

/// The agent's router.
pub fn router(agent: Arc<Agent>) -> Router {
    Router::new()
        .route("/v1/results/{job}/{task}", get(result))
        .route("/v1/check", post(check))
        .route("/v1/status", get(status))
        .fallback(|| async {
            error(
                StatusCode::NOT_FOUND,
                "not_found",
                "no such endpoint: GET /v1/results/{job}/{task}, POST /v1/check, GET /v1/status",
            )
        })
        .layer(DefaultBodyLimit::max(MAX_CHECK_BODY))
        // The net under what axum answers by itself (405, a path that is not
        // UTF-8): JSON too.
        .layer(axum::middleware::from_fn(json_errors))
        .with_state(agent)
}

async fn result(
    State(a): State<Arc<Agent>>,
    Path((job, task)): Path<(String, String)>,
) -> Response {
    let Ok(job) = job.parse::<Hash>() else {
        return error(
            StatusCode::BAD_REQUEST,
            "bad_job",
            format!("`{job}` is not a job id (64 hex digits)"),
        );
    };
    let Ok(task) = task.parse::<u32>() else {
        return error(
            StatusCode::BAD_REQUEST,
            "bad_task",
            format!("`{task}` is not a task index"),
        );
    };
    match tokio::task::spawn_blocking(move || a.output(&job, task)).await {
        Ok(Ok(Some(bytes))) => {
            ([(header::CONTENT_TYPE, "application/octet-stream")], bytes).into_response()
        }
        Ok(Ok(None)) => error(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no output of task {task} of job {job} here"),
        ),
        Ok(Err(e)) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            format!("{e:#}"),
        ),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()),
    }
}

async fn check(
    State(a): State<Arc<Agent>>,
    body: Result<Json<CheckRequest>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let Json(req) = match body {
        Ok(b) => b,
        Err(e) => return error(StatusCode::BAD_REQUEST, "bad_body", e.body_text()),
    };
    if !a.begin_check() {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            "busy",
            "this agent is running as many capacity checks as it takes at once; retry shortly",
        );
    }
    let answer = tokio::task::spawn_blocking(move || {
        let r = a.answer_check(&req);
        a.end_check();
        r
    })
    .await;
    match answer {
        Ok(Ok(answer)) => Json::<CheckAnswer>(answer).into_response(),
        Ok(Err(e)) => error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "check_failed",
            format!("{e:#}"),
        ),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()),
    }
}

async fn status(State(a): State<Arc<Agent>>) -> Response {
    Json(a.status()).into_response()
}

/// A running agent: its loop on a thread of its own and its HTTP API; dropping
/// it stops both.
pub struct RunningAgent {
    /// The agent.
    pub agent: Arc<Agent>,
    /// Where its API listens.
    pub addr: std::net::SocketAddr,
    stop: Arc<std::sync::atomic::AtomicBool>,
    server: tokio::task::JoinHandle<()>,
}

impl RunningAgent {
    /// The API's base URL (`http://ADDR`).
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for RunningAgent {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        self.server.abort();
    }
}

/// Starts `agent`'s loop and serves its API on `listener`.
pub fn start(
    agent: Arc<Agent>,
    listener: tokio::net::TcpListener,
) -> std::io::Result<RunningAgent> {
    let addr = listener.local_addr()?;
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    {
        let (agent, stop) = (agent.clone(), stop.clone());
        std::thread::Builder::new()
            .name("compute-agent".into())
            // The interpreter translates and runs modules on this thread.
            .stack_size(crate::runner::THREAD_STACK_BYTES)
            .spawn(move || agent.run(&stop))?;
    }
    let app = router(agent.clone());
    let server = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "compute agent API stopped");
        }
    });
    Ok(RunningAgent {
        agent,
        addr,
        stop,
        server,
    })
}
