//! A policy change through HAProxy reaches every agent on every node, once.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "cluster: needs PostgreSQL and HAProxy; cargo test -p e2e --test cluster -- --ignored"]
async fn b_policy_change_through_haproxy_reaches_every_agent_once() {
    run("cluster-policy", async |c: &mut Cluster| {
        const CHANGES: i64 = 3;
        let lb = c.lb_url();
        let owner = login(&lb, "owner@demo.test").await?;
        let admin = login(&lb, "admin@demo.test").await?;
        let members = new_members(&admin, &lb, "pol", 6).await?;
        // Two agents per member, all through HAProxy: it spreads them over the hubs.
        let mut agents = Vec::new();
        for m in members.iter().chain(members.iter()) {
            agents.push(Agent::connect(m, &c.lb_ws_url("/ws/agent"), None).await?);
        }
        let mut spread: BTreeMap<String, usize> = BTreeMap::new();
        for a in &agents {
            *spread.entry(a.node.clone()).or_default() += 1;
        }
        ensure!(
            spread.len() == 3 && !spread.contains_key("?"),
            "HAProxy should spread 12 agent sockets over the 3 hubs: {spread:?}"
        );

        let config = owner.get_json(&lb, "/api/config").await?;
        let mut interval = config["config"]["screenshot_interval_seconds"]
            .as_i64()
            .context("config without screenshot_interval_seconds")?;
        let mut fan_out = Vec::new();
        let mut versions = Vec::new();
        for change in 0..CHANGES {
            interval = if interval >= 3000 { 600 } else { interval + 60 };
            let sent = Instant::now();
            let res = reqwest::Client::new()
                .put(format!("{lb}/api/policy"))
                .bearer_auth(&owner.token)
                .json(&json!({ "screenshot_interval_seconds": interval }))
                .send()
                .await?;
            let node = served_by(res.headers()).unwrap_or_else(|| "?".into());
            let status = res.status();
            let body: Value = res.json().await.unwrap_or(Value::Null);
            ensure!(status == 200, "policy change {change} on {node}: {status} {body}");
            let version = body["config_version"]
                .as_i64()
                .with_context(|| format!("policy answer without config_version: {body}"))?;
            versions.push(version);
            let mut last = Duration::ZERO;
            let mut missing = Vec::new();
            for a in agents.iter_mut() {
                match a.wait_for(DELIVERY_TIMEOUT, |m| is_config_version(m, version)).await {
                    Some((at, m)) => {
                        ensure!(m["config"]["screenshot_interval_seconds"] == interval, "{m}");
                        last = last.max(at.saturating_duration_since(sent));
                    }
                    None => missing.push(format!("{} on {}", a.who, a.node)),
                }
            }
            ensure!(
                missing.is_empty(),
                "policy version {version} saved on {node}: {} of {} agents got no config_updated within {DELIVERY_TIMEOUT:?}: {}",
                missing.len(),
                agents.len(),
                listing(&missing)
            );
            fan_out.push(last);
        }

        tokio::time::sleep(QUIET).await;
        let mut problems = Vec::new();
        for a in agents.iter_mut() {
            for &v in &versions {
                let n = a.count(|m| is_config_version(m, v));
                if n != 1 {
                    problems.push(format!("{} on {}: config_updated v{v} {n} times", a.who, a.node));
                }
            }
            a.pump();
            let order: Vec<i64> = a
                .inbox
                .iter()
                .filter(|(_, m)| m["type"] == "config_updated")
                .filter_map(|(_, m)| m["config_version"].as_i64())
                .collect();
            if !order.windows(2).all(|w| w[0] < w[1]) {
                problems.push(format!("{} on {}: versions out of order {order:?}", a.who, a.node));
            }
        }
        ensure!(problems.is_empty(), "{}", listing(&problems));
        println!(
            "[cluster] policy change through HAProxy: {CHANGES} changes × {} agents (spread {spread:?}), \
             every agent once per change, in order; last agent after {}",
            agents.len(),
            summary(&fan_out)
        );
        Ok(())
    })
    .await;
}
