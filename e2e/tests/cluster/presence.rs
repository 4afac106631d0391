//! Presence crosses nodes: a user on node A shows on node C's dashboards.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "cluster: needs PostgreSQL and HAProxy; cargo test -p e2e --test cluster -- --ignored"]
async fn c_presence_of_a_user_on_node_a_shows_on_node_c() {
    run("cluster-presence", async |c: &mut Cluster| {
        let alice = login(&c.lb_url(), "alice@demo.test").await?;
        let lead = login(&c.lb_url(), "lead@demo.test").await?;
        let mut tab_a = TabSocket::connect(&c.node_ws_url(1, "/ws/tab"), &lead.token).await?;
        let mut tab_c = TabSocket::connect(&c.node_ws_url(3, "/ws/tab"), &lead.token).await?;
        let id = alice.user_id;
        ensure!(
            tab_c.status(id).as_deref() == Some("offline"),
            "hub-3's snapshot before Alice connects: {:?}",
            tab_c.status(id)
        );

        // Alice's agent on hub-1: hub-1's own dashboard first (the single-node path), then hub-3.
        let connected = Instant::now();
        let agent =
            Agent::connect(&alice, &c.node_ws_url(1, "/ws/agent"), Some("hub-1".into())).await?;
        tab_a
            .wait_status(
                id,
                "Alice online on hub-1 (her own node)",
                Duration::from_secs(5),
                online,
            )
            .await?;
        tab_c
            .wait_status(
                id,
                "Alice (agent on hub-1) online on hub-3",
                DELIVERY_TIMEOUT,
                online,
            )
            .await
            .context("presence did not cross nodes")?;
        let online_after = connected.elapsed();

        // A second agent on hub-2: closing the hub-1 one must not turn her offline anywhere.
        let second =
            Agent::connect(&alice, &c.node_ws_url(2, "/ws/agent"), Some("hub-2".into())).await?;
        tokio::time::sleep(Duration::from_millis(300)).await;
        agent.socket.close().await?;
        tokio::time::sleep(OFFLINE_GRACE + Duration::from_secs(2)).await;
        for (tab, node) in [(&mut tab_a, "hub-1"), (&mut tab_c, "hub-3")] {
            let status = tab.status(id);
            ensure!(
                status.as_deref().is_some_and(online),
                "Alice is still connected on hub-2, but {node}'s dashboard shows her {status:?} \
                 (presence must be the most present state of her connections anywhere)"
            );
        }

        // Her last connection closes: offline on hub-3 after the grace period.
        let closed = second.socket.close().await?;
        tab_c
            .wait_status(
                id,
                "Alice offline on hub-3 after her last agent (on hub-2) closed",
                OFFLINE_GRACE + DELIVERY_TIMEOUT,
                offline,
            )
            .await?;
        let offline_after = closed.elapsed();
        tab_a
            .wait_status(
                id,
                "Alice offline on hub-1 too",
                Duration::from_secs(2),
                offline,
            )
            .await?;
        ensure!(
            offline_after >= OFFLINE_GRACE - Duration::from_millis(100),
            "offline after {offline_after:?}, before the {OFFLINE_GRACE:?} grace period"
        );
        println!(
            "[cluster] presence across nodes: agent on hub-1 → online on hub-3 after {:.0} ms; \
             last agent closed → offline on hub-3 after {:.0} ms (grace {} ms)",
            online_after.as_secs_f64() * 1e3,
            offline_after.as_secs_f64() * 1e3,
            OFFLINE_GRACE.as_millis()
        );
        Ok(())
    })
    .await;
}
