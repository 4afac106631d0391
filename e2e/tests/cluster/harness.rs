//! The harness itself: three hubs behind HAProxy start, and the failures it injects work.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "cluster: needs PostgreSQL and HAProxy; cargo test -p e2e --test cluster -- --ignored"]
async fn harness_starts_three_hubs_behind_haproxy_and_injects_failures() {
    run("cluster-harness", async |c: &mut Cluster| {
        // Requests through HAProxy reach every hub, and HAProxy says which.
        let mut seen: BTreeMap<String, usize> = BTreeMap::new();
        let http = reqwest::Client::new();
        for _ in 0..12 {
            let res = http.get(format!("{}/healthz", c.lb_url())).send().await?;
            ensure!(res.status() == 200, "GET /healthz through HAProxy: {}", res.status());
            let node = served_by(res.headers()).context("no X-Presence-Node from HAProxy")?;
            *seen.entry(node).or_default() += 1;
        }
        ensure!(seen.len() == 3, "HAProxy spread 12 requests over {seen:?}");
        let admin = login(&c.lb_url(), "admin@demo.test").await?;
        admin.get_json(&c.lb_url(), "/api/config").await?;
        let agent = Agent::connect(&admin, &c.lb_ws_url("/ws/agent"), None).await?;
        ensure!(agent.socket.hello["type"] == "hello");
        ensure!(c.node_index(&agent.node).is_some(), "socket served by {:?}", agent.node);
        for i in 1..=3 {
            let h = c.healthz(i).await?;
            ensure!(h.http_status == 200, "{}: {h}", c.node_name(i));
        }

        // kill -9: HAProxy takes the hub out, requests go to the others; it comes back.
        let killed = Instant::now();
        c.kill9(3);
        let down = c
            .wait_backend("hub-3", "hub-3 DOWN", Duration::from_secs(10), |s| s.is_down())
            .await?;
        for _ in 0..6 {
            let res = http.get(format!("{}/healthz", c.lb_url())).send().await?;
            ensure!(res.status() == 200, "through HAProxy with hub-3 dead: {}", res.status());
            ensure!(served_by(res.headers()).as_deref() != Some("hub-3"));
        }
        c.start_node(3).await?;
        let up = c
            .wait_backend("hub-3", "hub-3 UP again", Duration::from_secs(10), |s| s.is_up())
            .await?;
        let after_kill = killed.elapsed();

        // SIGSTOP: the hub stops answering its checks; SIGCONT brings it back.
        c.pause(2);
        let paused_down = c
            .wait_backend("hub-2", "hub-2 DOWN while frozen", Duration::from_secs(15), |s| {
                s.is_down()
            })
            .await?;
        ensure!(c.healthz(2).await.is_err(), "a frozen hub answered /healthz");
        c.resume(2);
        let resumed_up = c
            .wait_backend("hub-2", "hub-2 UP after SIGCONT", Duration::from_secs(10), |s| {
                s.is_up()
            })
            .await?;

        // SIGTERM: a clean stop; then the same node again.
        c.stop_node(1)?;
        c.start_node(1).await?;
        c.wait_backends("all UP after the restart of hub-1", Duration::from_secs(10), |s| {
            s.is_up()
        })
        .await?;

        // PostgreSQL outage: /healthz says 503, HAProxy has no hub and answers its JSON 503.
        let sessions = c
            .psql("SELECT count(*) FROM pg_stat_activity WHERE datname = 'presence'")
            .await?;
        ensure!(sessions.parse::<u32>()? > 0, "no hub connection in pg_stat_activity");
        // A socket through HAProxy, open across the outage (HAProxy does not cut it when its hub
        // goes DOWN; whether the hub keeps it is the hub's business: reported, not asserted).
        let through = Agent::connect(&admin, &c.lb_ws_url("/ws/agent"), None).await?;
        c.stop_postgres().await?;
        let pg_down = Instant::now();
        // The contract is a quick 503; a hub that only answers after its pool gives up (today:
        // 10 s) counts as "no answer" here, as it does for HAProxy's 2 s check.
        let cc: &Cluster = c;
        until("no hub's /healthz 200", Duration::from_secs(20), || async move {
            for i in 1..=cc.len() {
                if cc.healthz(i).await.is_ok_and(|h| h.http_status == 200) {
                    return Ok(false);
                }
            }
            Ok(true)
        })
        .await?;
        let mut outage_health = Vec::new();
        for i in 1..=3 {
            outage_health.push(match c.healthz(i).await {
                Ok(h) => format!("hub-{i} {}", h.http_status),
                Err(_) => format!("hub-{i} no answer in 2 s"),
            });
        }
        c.wait_backends("every hub DOWN in HAProxy", Duration::from_secs(10), |s| {
            s.is_down()
        })
        .await?;
        let res = http.get(format!("{}/api/config", c.lb_url())).send().await?;
        ensure!(res.status() == 503, "HAProxy without hubs: {}", res.status());
        let body: Value = res.json().await.context("HAProxy's 503 is not JSON")?;
        ensure!(body["error"]["code"] == "unavailable", "HAProxy's 503: {body}");
        let outage_seen = pg_down.elapsed();
        c.start_postgres().await?;
        let pg_up = Instant::now();
        c.wait_backends("every hub UP after PostgreSQL is back", Duration::from_secs(40), |s| {
            s.is_up()
        })
        .await?;
        let recovered = pg_up.elapsed();
        let socket_kept = if through.socket.is_closed() { "was closed" } else { "stayed open" };
        c.restart_postgres().await?;
        c.wait_backends("every hub UP after an instant restart", Duration::from_secs(40), |s| {
            s.is_up()
        })
        .await?;
        let pids: Vec<_> = (1..=3).map(|i| c.pid(i)).collect();
        ensure!(pids.iter().all(Option::is_some), "a hub went away: {pids:?}");
        ensure!((1..=3).all(|i| c.is_running(i)), "a hub exited during the outage");
        admin.get_json(&c.lb_url(), "/api/config").await?;

        println!(
            "[cluster] harness: requests through HAProxy spread {seen:?}; kill -9 → DOWN in {:.1} s, \
             restarted and UP in {:.1} s more ({:.1} s in all); SIGSTOP → DOWN in {:.1} s, SIGCONT → UP in {:.1} s; \
             PostgreSQL down → /healthz {outage_health:?}, all DOWN in HAProxy within {:.1} s, back → all UP in {:.1} s; \
             an agent socket through HAProxy (on {}) {socket_kept} meanwhile",
            down.as_secs_f64(),
            up.as_secs_f64(),
            after_kill.as_secs_f64(),
            paused_down.as_secs_f64(),
            resumed_up.as_secs_f64(),
            outage_seen.as_secs_f64(),
            recovered.as_secs_f64(),
            through.node
        );
        Ok(())
    })
    .await;
}
