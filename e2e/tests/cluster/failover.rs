//! Nodes that die, freeze past their lease or restart: their users go offline elsewhere and their agents come back through HAProxy.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "cluster: needs PostgreSQL and HAProxy; cargo test -p e2e --test cluster -- --ignored"]
async fn d_killed_node_users_go_offline_and_its_agents_fail_over_through_haproxy() {
    run("cluster-kill", async |c: &mut Cluster| {
        const VICTIM: usize = 1;
        let lb = c.lb_url();
        let admin = login(&lb, "admin@demo.test").await?;
        let lead = login(&lb, "lead@demo.test").await?;
        // Two members only on the victim (straight to it; they do not come back) …
        let stranded = new_members(&admin, &lb, "kill-direct", 2).await?;
        // … and six through HAProxy, each with a running session, who reconnect when cut off.
        let roaming = new_members(&admin, &lb, "kill-lb", 6).await?;
        let mut direct_agents = Vec::new();
        for m in &stranded {
            direct_agents.push(
                Agent::connect(m, &c.node_ws_url(VICTIM, "/ws/agent"), Some(c.node_name(VICTIM)))
                    .await?,
            );
        }
        let mut sessions = HashMap::new();
        let mut lb_agents = Vec::new();
        for (k, m) in roaming.iter().enumerate() {
            let started_on = k % 3 + 1;
            let session = start_session(m, &c.node_url(started_on)).await?;
            sessions.insert(m.user_id, session);
            let agent = Agent::connect(m, &c.lb_ws_url("/ws/agent"), None).await?;
            ensure!(
                agent.socket.hello["active_session"]["id"] == session,
                "the hello on {} must carry the running session {session} (started on hub-{started_on}): {}",
                agent.node,
                agent.socket.hello
            );
            lb_agents.push(agent);
        }
        let on_victim: Vec<usize> = (0..lb_agents.len())
            .filter(|&k| lb_agents[k].node == c.node_name(VICTIM))
            .collect();
        ensure!(
            !on_victim.is_empty(),
            "HAProxy put none of 6 agents on {}: {:?}",
            c.node_name(VICTIM),
            lb_agents.iter().map(|a| &a.node).collect::<Vec<_>>()
        );
        let mut tabs = Vec::new();
        for i in (1..=3).filter(|&i| i != VICTIM) {
            tabs.push((i, TabSocket::connect(&c.node_ws_url(i, "/ws/tab"), &lead.token).await?));
        }
        for (i, tab) in tabs.iter_mut() {
            for m in &stranded {
                tab.wait_status(
                    m.user_id,
                    &format!("precondition: a user connected to hub-{VICTIM} online on hub-{i}"),
                    DELIVERY_TIMEOUT,
                    online,
                )
                .await
                .context("presence did not cross nodes")?;
            }
        }

        let killed = Instant::now();
        c.kill9(VICTIM);

        // Agents cut off reconnect through HAProxy (as the real agent does, with a short retry).
        let mut reconnects = Vec::new();
        for &k in &on_victim {
            let (token, who, user_id) = (
                roaming[k].token.clone(),
                lb_agents[k].who.clone(),
                roaming[k].user_id,
            );
            let url = c.lb_ws_url("/ws/agent");
            reconnects.push(tokio::spawn(async move {
                let deadline = Instant::now() + DEAD_WITHIN;
                loop {
                    match AgentSocket::connect(&url, &token, Some(Duration::from_secs(2))).await {
                        Ok(s) => return Ok((who, user_id, s, killed.elapsed())),
                        Err(e) if Instant::now() > deadline => {
                            return Err(e.context(format!("{who} could not reconnect through HAProxy")))
                        }
                        Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
                    }
                }
            }));
        }

        // The stranded users: offline on both survivors within 15 s.
        let mut offline_after = Vec::new();
        for (i, tab) in tabs.iter_mut() {
            for m in &stranded {
                let left = DEAD_WITHIN.saturating_sub(killed.elapsed());
                tab.wait_status(
                    m.user_id,
                    &format!("a user of the killed hub-{VICTIM} offline on hub-{i}"),
                    left,
                    offline,
                )
                .await?;
                offline_after.push(killed.elapsed());
            }
        }
        let haproxy_down = c
            .wait_backend(&c.node_name(VICTIM), "HAProxy takes the dead hub out", Duration::from_secs(10), |s| {
                s.is_down()
            })
            .await
            .map(|_| killed.elapsed())?;

        // Every cut-off agent is back on a survivor with the right hello.
        let mut back = Vec::new();
        for r in reconnects {
            let (who, user_id, socket, after) = r.await??;
            let node = served_by(&socket.handshake_headers).unwrap_or_else(|| "?".into());
            ensure!(node != c.node_name(VICTIM), "{who} reconnected to the dead {node}");
            let hello = &socket.hello;
            ensure!(hello["user"]["id"] == user_id, "{who}'s hello: {hello}");
            ensure!(
                hello["active_session"]["id"] == sessions[&user_id],
                "{who}'s hello on {node} must carry the running session {}: {hello}",
                sessions[&user_id]
            );
            back.push(format!("{who}→{node} {:.0} ms", after.as_secs_f64() * 1e3));
        }
        // The survivors now see one node dead; the roaming users are online.
        for (i, _) in &tabs {
            let alive = health_field(c, *i, "cluster.alive", |h| h.alive()).await?;
            ensure!(alive == 2, "hub-{i} sees {alive} nodes alive after the kill, want 2");
        }
        for (i, tab) in tabs.iter_mut() {
            for m in &roaming {
                tab.wait_status(m.user_id, &format!("roaming user online on hub-{i}"), DELIVERY_TIMEOUT, online)
                    .await?;
            }
        }

        // The node comes back on its port and rejoins.
        c.start_node(VICTIM).await?;
        c.wait_backend(&c.node_name(VICTIM), "the restarted hub UP", Duration::from_secs(10), |s| s.is_up())
            .await?;
        let worst = offline_after.iter().max().copied().unwrap_or_default();
        println!(
            "[cluster] kill -9 of hub-{VICTIM}: its {} users offline on the 2 other hubs after {:.1} s at worst (limit {} s); \
             HAProxy took it out after {:.1} s; {} cut-off agents back through HAProxy with the right hello: {}",
            stranded.len(),
            worst.as_secs_f64(),
            DEAD_WITHIN.as_secs(),
            haproxy_down.as_secs_f64(),
            back.len(),
            back.join(", ")
        );
        drop(direct_agents);
        Ok(())
    })
    .await;
}

// ---------------------------------------------------------------------------------------------
// (e) SIGSTOP past the lease, then SIGCONT

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "cluster: needs PostgreSQL and HAProxy; cargo test -p e2e --test cluster -- --ignored"]
async fn e_node_frozen_past_its_lease_rejoins_with_a_new_incarnation() {
    run("cluster-pause", async |c: &mut Cluster| {
        const FROZEN: usize = 1;
        const WATCHER: usize = 2;
        let lb = c.lb_url();
        let admin = login(&lb, "admin@demo.test").await?;
        let lead = login(&lb, "lead@demo.test").await?;
        let users = new_members(&admin, &lb, "pause", 2).await?;
        let mut agents = Vec::new();
        for u in &users {
            agents.push(Agent::connect(u, &c.node_ws_url(FROZEN, "/ws/agent"), Some(c.node_name(FROZEN))).await?);
        }
        let mut tab = TabSocket::connect(&c.node_ws_url(WATCHER, "/ws/tab"), &lead.token).await?;
        for u in &users {
            tab.wait_status(u.user_id, "precondition: a user of hub-1 online on hub-2", DELIVERY_TIMEOUT, online)
                .await
                .context("presence did not cross nodes")?;
        }
        let before = health_field(c, FROZEN, "incarnation", |h| h.incarnation()).await?;

        // Frozen: declared dead by the others, its users offline there.
        let paused = Instant::now();
        c.pause(FROZEN);
        for u in &users {
            let left = DEAD_WITHIN.saturating_sub(paused.elapsed());
            tab.wait_status(u.user_id, "a user of the frozen hub-1 offline on hub-2", left, offline)
                .await?;
        }
        let offline_after = paused.elapsed();
        let frozen_name = c.node_name(FROZEN);
        let cc: &Cluster = c;
        let name = frozen_name.as_str();
        until(
            "hub-2 lists hub-1 as not alive",
            DEAD_WITHIN.saturating_sub(paused.elapsed()) + Duration::from_secs(1),
            || async move { sees_alive(cc, WATCHER, name).await.map(|alive| !alive) },
        )
        .await?;
        // Stay frozen a little past the lease so that it is surely behind.
        let past_lease = Duration::from_millis(LEASE_MS + 1_000);
        if let Some(rest) = past_lease.checked_sub(paused.elapsed()) {
            tokio::time::sleep(rest).await;
        }

        let resumed = Instant::now();
        c.resume(FROZEN);
        let mut last = None;
        let (rejoined, after) = loop {
            if let Ok(h) = c.healthz(FROZEN).await {
                let now = h.incarnation().unwrap_or(before);
                if h.http_status == 200 && now > before {
                    break (resumed.elapsed(), now);
                }
                last = Some(h);
            }
            if resumed.elapsed() > Duration::from_secs(15) {
                bail!(
                    "hub-1 did not come back with an incarnation above {before} within 15 s of SIGCONT; \
                     its /healthz: {}",
                    last.map_or("no answer".into(), |h| h.to_string())
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        let mut back = Duration::ZERO;
        for u in &users {
            tab.wait_status(u.user_id, "the users of hub-1 online again on hub-2", Duration::from_secs(15), online)
                .await?;
            back = resumed.elapsed();
        }
        let cc: &Cluster = c;
        let name = frozen_name.as_str();
        until("hub-2 lists hub-1 alive again", Duration::from_secs(15), || {
            sees_alive(cc, WATCHER, name)
        })
        .await?;
        c.wait_backend(&frozen_name, "HAProxy has hub-1 UP again", Duration::from_secs(10), |s| s.is_up())
            .await?;
        let still_open = agents.iter().filter(|a| !a.socket.is_closed()).count();
        println!(
            "[cluster] SIGSTOP of hub-1 for {:.1} s: its users offline on hub-2 after {:.1} s; SIGCONT → \
             incarnation {before} → {after} after {:.0} ms, users online on hub-2 again after {:.0} ms; \
             {still_open}/{} of its agent sockets survived",
            resumed.duration_since(paused).as_secs_f64(),
            offline_after.as_secs_f64(),
            rejoined.as_secs_f64() * 1e3,
            back.as_secs_f64() * 1e3,
            agents.len()
        );
        Ok(())
    })
    .await;
}

// ---------------------------------------------------------------------------------------------
// (f) and (g): a stream of force-ends while the database or the bus is disturbed

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "cluster: needs PostgreSQL and HAProxy; cargo test -p e2e --test cluster -- --ignored"]
async fn f_a_restarted_node_tells_its_agents_1012_and_they_come_back_through_haproxy() {
    run("cluster-restart", async |c: &mut Cluster| {
        const VICTIM: usize = 2;
        const MEMBERS: usize = 45;
        let lb = c.lb_url();
        let admin = login(&lb, "admin@demo.test").await?;
        let members = new_members(&admin, &lb, "restart", MEMBERS).await?;
        let mut sessions = Vec::new();
        for (k, m) in members.iter().enumerate() {
            sessions.push(start_session(m, &c.node_url(k % 3 + 1)).await?);
        }
        // The desktop agent's own socket code (reconnection with backoff and jitter), one agent
        // per member, all through HAProxy.
        let tokens: Vec<String> = members.iter().map(|m| m.token.clone()).collect();
        let mut swarm = e2e::swarm::Swarm::start(
            "cluster-restart-swarm",
            &lb,
            "restart-1@demo.test",
            DEMO_PASSWORD,
            &tokens,
            240,
        )
        .await?;
        swarm
            .wait_until(
                Duration::from_secs(60),
                "every agent's first hello",
                |logs| logs.iter().all(|l| !l.hellos().is_empty()),
            )
            .await?;

        let stopped_at = Instant::now();
        let stop_ms = chrono::Utc::now().timestamp_millis();
        c.stop_node(VICTIM)?;
        let down = stopped_at.elapsed();
        // Every agent that was on the victim was told 1012 and is back (on any node).
        swarm
            .wait_until(
                Duration::from_secs(30),
                "the victim's agents back",
                |logs| {
                    logs.iter()
                        .all(|l| l.first_close_reason().is_none() || l.hellos().len() >= 2)
                },
            )
            .await?;
        let logs = swarm.logs();
        let told: Vec<usize> = (0..logs.len())
            .filter(|&k| logs[k].first_close_reason().is_some())
            .collect();
        ensure!(
            !told.is_empty(),
            "HAProxy put none of {MEMBERS} agents on {}",
            c.node_name(VICTIM)
        );
        for &k in &told {
            let reason = logs[k].first_close_reason().unwrap_or_default();
            ensure!(
                reason.contains("1012 service restart"),
                "agent {k} was cut off with {reason:?}, not 1012"
            );
            let (_, user_id, session) = logs[k].hellos()[1];
            ensure!(
                user_id == members[k].user_id && session == Some(sessions[k]),
                "agent {k}'s hello after the restart: user {user_id}, session {session:?}"
            );
        }
        let mut back: Vec<i64> = told.iter().map(|&k| logs[k].hellos()[1].0).collect();
        back.sort_unstable();
        let rank = (back.len() * 99).div_ceil(100).max(1);
        let p99 = (back[rank - 1] - stop_ms) as f64 / 1000.0;
        c.start_node(VICTIM).await?;
        println!(
            "[cluster] restart of {}: {} of {MEMBERS} agents were on it, all told 1012 and back \
             through HAProxy with their session, 99 % within {p99:.2} s of the stop (the stop \
             itself took {} ms); the other {} agents never disconnected",
            c.node_name(VICTIM),
            told.len(),
            down.as_millis(),
            MEMBERS - told.len()
        );
        ensure!(p99 <= 15.0, "99 % back within 15 s, not {p99:.2} s");
        Ok(())
    })
    .await;
}
