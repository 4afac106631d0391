//! A webhook delivery outlives the node delivering it and arrives once.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "cluster: needs PostgreSQL and HAProxy; cargo test -p e2e --test cluster -- --ignored"]
async fn h_a_webhook_delivery_outlives_the_delivering_node_and_arrives_once() {
    let mut opts = options("cluster-webhooks");
    opts.env
        .push(("HUB_WEBHOOK_RETRY_BASE_MS".into(), "1500".into()));
    let mut cluster = Cluster::start(opts)
        .await
        .unwrap_or_else(|e| panic!("the cluster did not start: {e:#}"));
    let outcome = webhook_scenario(&mut cluster).await;
    if let Err(e) = outcome {
        let logs = cluster.logs_tail(25);
        drop(cluster);
        panic!("{e:#}\n\nlogs (tails; full logs in e2e/output/cluster-webhooks-*.log):\n{logs}");
    }
}

async fn webhook_scenario(c: &mut Cluster) -> anyhow::Result<()> {
    use e2e::WebhookReceiver;
    let receiver = WebhookReceiver::start(0).await?;
    // The node that delivers: the first alive node by name (the one that leads background
    // work). The webhook and the events go through the others.
    let leader = 1;
    ensure!(
        c.node_name(leader) == "hub-1",
        "nodes: {}",
        c.node_name(leader)
    );
    let other = c.node_url(2);
    let admin = login(&other, "admin@demo.test").await?;
    let member = login(&c.node_url(3), "alice@demo.test").await?;
    let (status, created) = admin
        .send_json(
            Method::POST,
            &other,
            "/api/webhooks",
            &json!({"url": receiver.url(), "events": ["status.changed"]}),
        )
        .await?;
    ensure!(status == 201, "webhook: {status} {created}");
    let webhook_id = created["webhook"]["id"].as_i64().context("webhook id")?;
    let secret = created["secret"].as_str().context("secret")?.to_string();

    // The receiver fails; after its first 500 the delivering node dies mid-retry.
    receiver.fail_next(1_000);
    let set = |text: &str| json!({"text": text});
    let (status, body) = member
        .send_json(
            Method::PUT,
            &c.node_url(3),
            "/api/me/status",
            &set("Step 1"),
        )
        .await?;
    ensure!(status == 200, "status: {status} {body}");
    receiver
        .wait_until(Duration::from_secs(15), "a first (failed) attempt", |l| {
            !l.is_empty()
        })
        .await;
    let killed = Instant::now();
    c.kill9(leader);
    receiver.fail_next(0);
    for text in ["Step 2", "Step 3"] {
        let (status, body) = member
            .send_json(Method::PUT, &c.node_url(3), "/api/me/status", &set(text))
            .await?;
        ensure!(status == 200, "status: {status} {body}");
    }
    let log = receiver
        .wait_until(Duration::from_secs(40), "three accepted", |l| {
            l.iter().filter(|r| r.status == 200).count() >= 3
        })
        .await;
    let took = killed.elapsed();
    tokio::time::sleep(QUIET).await;
    let accepted = receiver.accepted();
    let texts: Vec<String> = accepted
        .iter()
        .map(|r| {
            r.json()["data"]["status"]["text"]
                .as_str()
                .unwrap_or("?")
                .to_string()
        })
        .collect();
    ensure!(
        texts == ["Step 1", "Step 2", "Step 3"],
        "each event once, in order: {texts:?} (all: {:?})",
        receiver
            .received()
            .iter()
            .map(|r| (r.status, r.delivery.clone()))
            .collect::<Vec<_>>()
    );
    for r in &receiver.received() {
        ensure!(
            r.signature == server::domain::webhooks::signature(&secret, r.body.as_bytes()),
            "unsigned: {r:?}"
        );
    }
    ensure!(
        log.iter()
            .filter(|r| r.delivery == accepted[0].delivery)
            .count()
            >= 2,
        "the first delivery was retried under the same id"
    );
    let page = admin
        .get_json(&other, &format!("/api/webhooks/{webhook_id}/deliveries"))
        .await?;
    let states: Vec<&str> = page["items"]
        .as_array()
        .context("items")?
        .iter()
        .filter_map(|d| d["state"].as_str())
        .collect();
    ensure!(states == ["delivered"; 3], "delivery log: {page}");
    println!(
        "[cluster] webhooks: the delivering node killed mid-retry; the next leader delivered \
         the 3 events once each, in order, {} ms after the kill",
        took.as_millis()
    );
    Ok(())
}
