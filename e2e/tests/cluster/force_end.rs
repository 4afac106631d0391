//! An admin's force-end on one node reaches the agent connected to another, once.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "cluster: needs PostgreSQL and HAProxy; cargo test -p e2e --test cluster -- --ignored"]
async fn a_force_end_on_one_node_reaches_the_agent_on_another_once() {
    run("cluster-force-end", async |c: &mut Cluster| {
        const ROUNDS: usize = 30;
        let admin = login(&c.lb_url(), "admin@demo.test").await?;
        let members = new_members(&admin, &c.lb_url(), "fe", 6).await?;
        // Member k's agent on node k % 3 + 1: two agents on every node.
        let mut agents = Vec::new();
        for (k, m) in members.iter().enumerate() {
            let node = k % 3 + 1;
            agents.push(Agent::connect(m, &c.node_ws_url(node, "/ws/agent"), Some(c.node_name(node))).await?);
        }

        let mut latencies = Vec::new();
        let mut missing = Vec::new();
        let mut ended: Vec<(usize, i64)> = Vec::new();
        for round in 0..ROUNDS {
            let k = round % members.len();
            let agent_node = k % 3 + 1;
            let admin_node = agent_node % 3 + 1;
            // The member starts on the agent's node; the admin ends it on the next one.
            let session = start_session(&members[k], &c.node_url(agent_node)).await?;
            let sent = Instant::now();
            let (status, body) =
                force_end(&admin, &c.node_url(admin_node), session, "cluster e2e").await?;
            ensure!(status == 200, "force-end of {session} on hub-{admin_node}: {status} {body}");
            ended.push((k, session));
            match agents[k]
                .wait_for(DELIVERY_TIMEOUT, |m| is_session_ended(m, session))
                .await
            {
                Some((at, m)) => {
                    ensure!(m["reason"] == "cluster e2e", "{m}");
                    ensure!(m["ended_by"] == admin.user_id, "{m}");
                    latencies.push(at.saturating_duration_since(sent));
                }
                None => {
                    missing.push(format!(
                        "session {session} of {} ended on hub-{admin_node}: its agent on hub-{agent_node} got no session_ended within {DELIVERY_TIMEOUT:?}",
                        agents[k].who
                    ));
                    if missing.len() >= 3 {
                        break;
                    }
                }
            }
        }
        ensure!(
            missing.is_empty(),
            "cross-node force-end lost {} of {} events (stopped after 3):\n  {}",
            missing.len(),
            ended.len(),
            missing.join("\n  ")
        );

        // Once each, and only to its own user's agent.
        tokio::time::sleep(QUIET).await;
        let mut problems = Vec::new();
        for (k, session) in &ended {
            for (j, agent) in agents.iter_mut().enumerate() {
                let n = agent.count(|m| is_session_ended(m, *session));
                let want = usize::from(j == *k);
                if n != want {
                    problems.push(format!(
                        "{}'s agent on {} got session_ended of session {session} {n} times (want {want})",
                        agent.who, agent.node
                    ));
                }
            }
        }
        ensure!(problems.is_empty(), "{}", listing(&problems));
        println!(
            "[cluster] cross-node force-end: {}/{ROUNDS} delivered once, {} (request sent → agent)",
            latencies.len(),
            summary(&latencies)
        );
        Ok(())
    })
    .await;
}
