//! `GET /` server-rendered for an organization's whole status table, as its admin sees it.

use anyhow::bail;
use serde::Serialize;

use crate::load::clock::{now_ns, ns_to_ms};
use crate::load::stats::{summarize, Summary};

#[derive(Debug, Clone, Serialize)]
pub struct PageResult {
    pub users: usize,
    pub bytes: usize,
    pub latency: Summary,
}

/// `warmup` unmeasured requests, then `requests` measured ones, one at a time. `expect` must
/// appear in the page (a user's name), proving the table was rendered.
pub async fn run(
    http: &reqwest::Client,
    base: &str,
    session_token: &str,
    users: usize,
    expect: &str,
    warmup: usize,
    requests: usize,
) -> anyhow::Result<PageResult> {
    let mut latencies = Vec::new();
    let mut bytes = 0;
    for i in 0..warmup + requests {
        let sent = now_ns();
        let res = http
            .get(format!("{base}/"))
            .header("cookie", format!("ph_session={session_token}"))
            .send()
            .await?;
        let status = res.status();
        let body = res.text().await?;
        let took = ns_to_ms(now_ns() - sent);
        if status != 200 || !body.contains(expect) {
            bail!("GET / answered {status} without {expect:?}");
        }
        bytes = body.len();
        if i >= warmup {
            latencies.push(took);
        }
    }
    Ok(PageResult {
        users,
        bytes,
        latency: summarize(latencies),
    })
}
