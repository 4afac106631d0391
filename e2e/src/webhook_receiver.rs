//! A webhook receiver on loopback for the tests: records every POST (headers and body) and
//! answers 500 to the first `fail_first` of them, then 200.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;

/// One request as received.
#[derive(Debug, Clone)]
pub struct Received {
    pub event: String,
    pub delivery: String,
    pub signature: String,
    pub body: String,
    /// What the receiver answered.
    pub status: u16,
    pub at: Instant,
}

impl Received {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

#[derive(Default)]
struct Inner {
    fail_first: AtomicUsize,
    seen: AtomicUsize,
    log: Mutex<Vec<Received>>,
}

pub struct WebhookReceiver {
    url: String,
    inner: Arc<Inner>,
    task: tokio::task::JoinHandle<()>,
}

impl WebhookReceiver {
    pub async fn start(fail_first: usize) -> std::io::Result<WebhookReceiver> {
        let inner = Arc::new(Inner {
            fail_first: AtomicUsize::new(fail_first),
            ..Inner::default()
        });
        let app = Router::new()
            .route("/hook", post(receive))
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let url = format!("http://{}/hook", listener.local_addr()?);
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(WebhookReceiver { url, inner, task })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// Answer 500 to the next `n` requests.
    pub fn fail_next(&self, n: usize) {
        let seen = self.inner.seen.load(Ordering::SeqCst);
        self.inner.fail_first.store(seen + n, Ordering::SeqCst);
    }

    pub fn received(&self) -> Vec<Received> {
        self.inner.log.lock().map(|l| l.clone()).unwrap_or_default()
    }

    /// The requests answered 200, in arrival order.
    pub fn accepted(&self) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|r| r.status == 200)
            .collect()
    }

    /// Waits until `pred` holds for what was received; panics after `within`.
    pub async fn wait_until(
        &self,
        within: Duration,
        what: &str,
        pred: impl Fn(&[Received]) -> bool,
    ) -> Vec<Received> {
        let deadline = Instant::now() + within;
        loop {
            let log = self.received();
            if pred(&log) {
                return log;
            }
            assert!(
                Instant::now() < deadline,
                "webhook receiver: {what} not within {within:?}; got {:#?}",
                log.iter()
                    .map(|r| (r.status, r.event.clone(), r.delivery.clone()))
                    .collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

impl Drop for WebhookReceiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn receive(State(inner): State<Arc<Inner>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let n = inner.seen.fetch_add(1, Ordering::SeqCst);
    let status = if n < inner.fail_first.load(Ordering::SeqCst) {
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::OK
    };
    if let Ok(mut log) = inner.log.lock() {
        log.push(Received {
            event: header("x-presence-event"),
            delivery: header("x-presence-delivery"),
            signature: header("x-presence-signature"),
            body: String::from_utf8_lossy(&body).into_owned(),
            status: status.as_u16(),
            at: Instant::now(),
        });
    }
    status
}
