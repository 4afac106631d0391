//! PostgreSQL restarted during force-ends, and the bus's LISTEN connections terminated: nothing acknowledged is lost, no event is missed.

use super::*;

/// One user's side of the stream: their agent's node and where their calls go.
#[derive(Clone)]
struct Lane {
    user: ApiSession,
    /// Where the member starts sessions (the agent's node).
    start_url: String,
    /// Where the admin ends them (another node).
    end_url: String,
}

/// An end that the hub acknowledged with 2xx.
#[derive(Debug, Clone)]
struct Acked {
    lane: usize,
    session_id: i64,
    sent: Instant,
}

/// A write that did not succeed.
#[derive(Debug, Clone)]
struct Refused {
    at: Instant,
    call: String,
    status: Option<u16>,
    body: String,
    /// The body is SPEC §5's JSON error (`{"error":{"code":…,"message":…}}`).
    json_error: bool,
}

#[derive(Debug, Default)]
struct StreamReport {
    acked: Vec<Acked>,
    refused: Vec<Refused>,
    /// Ends answered with a failure whose session turned out ended anyway (409 "already
    /// ended" on the retry): applied but never acknowledged.
    applied_unacked: Vec<i64>,
    calls: usize,
}

/// Runs start → force-end cycles on every lane until `stop` is set. A failed end is retried on
/// the next cycle before anything new is started.
async fn force_end_stream(
    admin: ApiSession,
    lanes: Vec<Lane>,
    stop: Arc<AtomicBool>,
) -> StreamReport {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(25))
        .build()
        .expect("http client");
    let tasks: Vec<_> = lanes
        .into_iter()
        .enumerate()
        .map(|(lane, l)| {
            let (admin, http, stop) = (admin.clone(), http.clone(), stop.clone());
            tokio::spawn(async move {
                let mut report = StreamReport::default();
                let mut pending: Option<i64> = None;
                while !stop.load(Ordering::Relaxed) {
                    let failed = match pending {
                        None => {
                            let r = call(
                                &http,
                                &l.user.token,
                                &l.start_url,
                                "/api/sessions/start",
                                json!({"note": "stream"}),
                            )
                            .await;
                            report.calls += 1;
                            match r {
                                Ok((201, body)) => {
                                    pending = body["id"].as_i64();
                                    false
                                }
                                Ok((409, _)) => {
                                    // A start that failed for us but was saved: find it.
                                    pending = active_session(
                                        &http,
                                        &admin.token,
                                        &l.end_url,
                                        l.user.user_id,
                                    )
                                    .await;
                                    false
                                }
                                other => {
                                    report.refused.push(refused("start", other));
                                    true
                                }
                            }
                        }
                        Some(session_id) => {
                            let sent = Instant::now();
                            let r = call(
                                &http,
                                &admin.token,
                                &l.end_url,
                                &format!("/api/sessions/{session_id}/end"),
                                json!({"reason": "stream"}),
                            )
                            .await;
                            report.calls += 1;
                            match r {
                                Ok((200..=299, _)) => {
                                    report.acked.push(Acked {
                                        lane,
                                        session_id,
                                        sent,
                                    });
                                    pending = None;
                                    false
                                }
                                Ok((409, body)) if body.to_string().contains("already ended") => {
                                    report.applied_unacked.push(session_id);
                                    pending = None;
                                    false
                                }
                                other => {
                                    report
                                        .refused
                                        .push(refused(&format!("end {session_id}"), other));
                                    true
                                }
                            }
                        }
                    };
                    let pause = if failed { 200 } else { 20 };
                    tokio::time::sleep(Duration::from_millis(pause)).await;
                }
                report
            })
        })
        .collect();
    let mut all = StreamReport::default();
    for t in tasks {
        let r = t.await.expect("stream task");
        all.acked.extend(r.acked);
        all.refused.extend(r.refused);
        all.applied_unacked.extend(r.applied_unacked);
        all.calls += r.calls;
    }
    all
}

async fn call(
    http: &reqwest::Client,
    token: &str,
    base: &str,
    path: &str,
    body: Value,
) -> anyhow::Result<(u16, Value)> {
    let res = http
        .post(format!("{base}{path}"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await?;
    let status = res.status().as_u16();
    let text = res.text().await?;
    Ok((
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    ))
}

async fn active_session(
    http: &reqwest::Client,
    token: &str,
    base: &str,
    user_id: i64,
) -> Option<i64> {
    let res = http
        .get(format!("{base}/api/sessions?user_id={user_id}&active=true"))
        .bearer_auth(token)
        .send()
        .await
        .ok()?;
    let body: Value = res.json().await.ok()?;
    body["items"][0]["id"].as_i64()
}

fn refused(call: &str, outcome: anyhow::Result<(u16, Value)>) -> Refused {
    match outcome {
        Ok((status, body)) => Refused {
            at: Instant::now(),
            call: call.to_string(),
            status: Some(status),
            json_error: body["error"]["code"].is_string() && body["error"]["message"].is_string(),
            body: body.to_string(),
        },
        Err(e) => Refused {
            at: Instant::now(),
            call: call.to_string(),
            status: None,
            json_error: false,
            body: format!("{e:#}"),
        },
    }
}

/// Three members, one agent each straight on node 1, 2, 3; each starts on their agent's node
/// and the admin ends on the next node.
async fn stream_setup(
    c: &Cluster,
    prefix: &str,
) -> anyhow::Result<(ApiSession, Vec<Lane>, Vec<Agent>)> {
    let admin = login(&c.lb_url(), "admin@demo.test").await?;
    let members = new_members(&admin, &c.lb_url(), prefix, 3).await?;
    let mut lanes = Vec::new();
    let mut agents = Vec::new();
    for (k, m) in members.into_iter().enumerate() {
        let node = k + 1;
        agents.push(
            Agent::connect(
                &m,
                &c.node_ws_url(node, "/ws/agent"),
                Some(c.node_name(node)),
            )
            .await?,
        );
        lanes.push(Lane {
            user: m,
            start_url: c.node_url(node),
            end_url: c.node_url(node % 3 + 1),
        });
    }
    Ok((admin, lanes, agents))
}

/// Every acknowledged end reached its agent exactly once (waiting up to `timeout` for the
/// late ones); the latencies (request sent → agent).
async fn check_deliveries(
    report: &StreamReport,
    agents: &mut [Agent],
    timeout: Duration,
) -> anyhow::Result<Vec<Duration>> {
    let deadline = Instant::now() + timeout;
    let mut latencies = Vec::new();
    let mut lost = Vec::new();
    for a in &report.acked {
        let left = deadline.saturating_duration_since(Instant::now());
        let agent = &mut agents[a.lane];
        match agent
            .wait_for(left, |m| is_session_ended(m, a.session_id))
            .await
        {
            Some((at, _)) => latencies.push(at.saturating_duration_since(a.sent)),
            None => lost.push(format!(
                "session {} of {} (agent on {})",
                a.session_id, agent.who, agent.node
            )),
        }
    }
    tokio::time::sleep(QUIET).await;
    let mut twice = Vec::new();
    for a in &report.acked {
        let n = agents[a.lane].count(|m| is_session_ended(m, a.session_id));
        if n > 1 {
            twice.push(format!("session {} ×{n}", a.session_id));
        }
    }
    ensure!(
        lost.is_empty() && twice.is_empty(),
        "of {} acknowledged force-ends, {} never reached their agent within {timeout:?} [{}] and {} arrived more than once [{}]",
        report.acked.len(),
        lost.len(),
        listing(&lost),
        twice.len(),
        listing(&twice)
    );
    Ok(latencies)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "cluster: needs PostgreSQL and HAProxy; cargo test -p e2e --test cluster -- --ignored"]
async fn f_postgres_restart_during_force_ends_loses_nothing_acknowledged() {
    run("cluster-pg-restart", async |c: &mut Cluster| {
        // Longer than a write may wait for a database connection (the pool's 3 s), so that
        // writes made early in the outage are answered before it ends.
        const OUTAGE: Duration = Duration::from_secs(8);
        /// After PostgreSQL is back, writes may still fail for this long (pools reconnecting).
        const RECOVERY: Duration = Duration::from_secs(10);
        let (admin, lanes, mut agents) = stream_setup(c, "pg").await?;
        let pids: Vec<_> = (1..=3).map(|i| c.pid(i)).collect();
        let stop = Arc::new(AtomicBool::new(false));
        let stream = tokio::spawn(force_end_stream(admin, lanes, stop.clone()));

        tokio::time::sleep(Duration::from_secs(3)).await;
        let down = Instant::now();
        c.stop_postgres().await?;
        // While it is down: every node's /healthz says 503.
        let mut health_503 = 0;
        while down.elapsed() < OUTAGE {
            for i in 1..=3 {
                if c.healthz(i).await.is_ok_and(|h| h.http_status == 503) {
                    health_503 += 1;
                }
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        c.start_postgres().await?;
        let up = Instant::now();
        let cc: &Cluster = c;
        let healthy_after = until(
            "every node's /healthz 200 again, without a restart",
            Duration::from_secs(30),
            || every_health(cc, 200),
        )
        .await?;
        // Go on past the recovery window: ends acknowledged then show the nodes recovered.
        tokio::time::sleep((up + RECOVERY + Duration::from_secs(3)).saturating_duration_since(Instant::now())).await;
        stop.store(true, Ordering::Relaxed);
        let report = stream.await?;

        // Writes: 2xx, or during the outage (and the recovery right after) 503 with the JSON error.
        let after = up + RECOVERY;
        let mut wrong = Vec::new();
        let mut outage_503 = 0;
        for r in &report.refused {
            let in_outage = r.at >= down && r.at <= after;
            if in_outage && r.status == Some(503) && r.json_error {
                outage_503 += 1;
            } else {
                let when = if r.at < down {
                    "before the outage".to_string()
                } else if in_outage {
                    format!("{:.1} s into the outage", r.at.duration_since(down).as_secs_f64())
                } else {
                    format!("{:.1} s after PostgreSQL was back", r.at.duration_since(up).as_secs_f64())
                };
                wrong.push(format!("{} {when}: {:?} {}", r.call, r.status, r.body));
            }
        }
        let acked_after = report.acked.iter().filter(|a| a.sent > after).count();
        eprintln!(
            "[cluster] PostgreSQL outage: {} writes, {} ends acknowledged ({} after the recovery window), \
             {outage_503} answered 503 with the JSON error during it, {} ends applied unacknowledged; \
             /healthz answered 503 {health_503} times; {} refused otherwise: {}",
            report.calls,
            report.acked.len(),
            acked_after,
            report.applied_unacked.len(),
            wrong.len(),
            listing(&wrong)
        );
        let latencies = check_deliveries(&report, &mut agents, Duration::from_secs(15)).await?;
        ensure!(
            wrong.is_empty(),
            "writes must succeed, or answer 503 with the JSON error while PostgreSQL is away ({} did); {} did not: {}",
            outage_503,
            wrong.len(),
            listing(&wrong)
        );
        ensure!(
            outage_503 > 0,
            "no write answered 503 during a {OUTAGE:?} outage of PostgreSQL (did they hang until it was back?)"
        );
        ensure!(
            acked_after > 0,
            "no force-end was acknowledged {RECOVERY:?} after PostgreSQL was back: the nodes did not recover"
        );
        ensure!(
            health_503 > 0,
            "no /healthz answered 503 within 2 s (HAProxy's check timeout) while PostgreSQL was down"
        );
        for (k, pid) in pids.iter().enumerate() {
            ensure!(c.is_running(k + 1) && c.pid(k + 1) == *pid, "hub-{} was restarted or died", k + 1);
        }
        let closed: Vec<String> = agents.iter().filter(|a| a.socket.is_closed()).map(|a| format!("{} on {}", a.who, a.node)).collect();
        ensure!(closed.is_empty(), "agent sockets must stay open through a PostgreSQL restart; closed: {closed:?}");
        c.wait_backends("every hub UP in HAProxy", Duration::from_secs(10), |s| s.is_up()).await?;
        println!(
            "[cluster] PostgreSQL down {:.1} s during force-ends: {} acknowledged ends all delivered once ({}), \
             {outage_503} writes answered 503 with the JSON error, {} ends applied but not acknowledged; \
             every node healthy {:.1} s after PostgreSQL was back, no restart",
            OUTAGE.as_secs_f64(),
            report.acked.len(),
            summary(&latencies),
            report.applied_unacked.len(),
            healthy_after.as_secs_f64()
        );
        Ok(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "cluster: needs PostgreSQL and HAProxy; cargo test -p e2e --test cluster -- --ignored"]
async fn g_terminated_listen_connections_lose_no_event() {
    run("cluster-listen", async |c: &mut Cluster| {
        /// Connections whose last statement was a LISTEN (the bus's) — or that call themselves
        /// a listener.
        const TERMINATE: &str = "SELECT pid, application_name, pg_terminate_backend(pid) \
             FROM pg_stat_activity WHERE pid <> pg_backend_pid() \
             AND (query ILIKE 'LISTEN%' OR application_name ILIKE '%listen%')";
        let (admin, lanes, mut agents) = stream_setup(c, "listen").await?;
        let stop = Arc::new(AtomicBool::new(false));
        let stream = tokio::spawn(force_end_stream(admin, lanes, stop.clone()));
        let mut terminated = Vec::new();
        for round in 0..4 {
            tokio::time::sleep(Duration::from_millis(1_500)).await;
            let rows = c.psql(TERMINATE).await?;
            let n = rows.lines().filter(|l| !l.is_empty()).count();
            if round == 0 && n < 3 {
                let activity = c
                    .psql("SELECT application_name, state, left(query, 60) FROM pg_stat_activity WHERE datname = 'presence'")
                    .await
                    .unwrap_or_default();
                stop.store(true, Ordering::Relaxed);
                let _ = stream.await;
                bail!(
                    "expected one LISTEN connection per node, found {n} ({rows:?}): no hub listens, or its \
                     listening connection runs other statements too. pg_stat_activity:\n{activity}"
                );
            }
            terminated.push(n);
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
        stop.store(true, Ordering::Relaxed);
        let report = stream.await?;
        let latencies = check_deliveries(&report, &mut agents, Duration::from_secs(15)).await?;
        let refused: Vec<String> = report
            .refused
            .iter()
            .map(|r| format!("{} {:?} {}", r.call, r.status, r.body))
            .collect();
        ensure!(
            refused.is_empty(),
            "{} writes failed while only LISTEN connections were cut: {}",
            refused.len(),
            listing(&refused)
        );
        // Each node listens again.
        let cc: &Cluster = c;
        until("every node's bus listening again", Duration::from_secs(10), || {
            every_listening(cc)
        })
        .await?;
        let mut caught_up = Vec::new();
        for i in 1..=3 {
            let metrics = c.metrics(i).await?;
            let value = metrics
                .lines()
                .find(|l| l.starts_with("presence_hub_bus_events_caught_up_total"))
                .and_then(|l| l.split_whitespace().last())
                .unwrap_or("absent")
                .to_string();
            caught_up.push(format!("hub-{i} {value}"));
        }
        println!(
            "[cluster] LISTEN connections terminated {terminated:?} times during {} acknowledged force-ends: \
             none lost, none twice ({}); events caught up: {}",
            report.acked.len(),
            summary(&latencies),
            caught_up.join(", ")
        );
        Ok(())
    })
    .await;
}
