//! Timesheets (SPEC §8): corrections with a reason and tombstones, idle spans and the policy's
//! handling of them, approved weeks that refuse changes (also a replayed start), the live
//! rules that stop sessions at the moment they crossed the rule (also when the hub learns of it
//! late: a replayed start, a restart, a new timezone, a new rule; and once in a cluster),
//! and reports whose totals are the sum of the sessions.

use crate::common;

use chrono::{DateTime, Datelike, Duration as Span, TimeZone, Timelike, Utc};
use common::{on_postgres, wait_for, TestHub};
use futures_util::StreamExt;
use serde_json::{json, Value};
use shared::Role;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn time(v: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v.as_str().expect("a time"))
        .expect("RFC 3339")
        .with_timezone(&Utc)
}

/// Monday 00:00 UTC of the week `weeks_back` weeks before this one, and its ISO name.
fn monday(weeks_back: i64) -> (DateTime<Utc>, String) {
    monday_of(Utc::now().date_naive(), weeks_back)
}

/// The same for the week that holds `today` (a date in the organization's timezone when the
/// week is the organization's: in Berlin, Sunday 23:30 UTC is already Monday).
fn monday_of(today: chrono::NaiveDate, weeks_back: i64) -> (DateTime<Utc>, String) {
    let monday = today
        - Span::days(i64::from(today.weekday().num_days_from_monday()))
        - Span::weeks(weeks_back);
    let iso = monday.iso_week();
    (
        monday.and_hms_opt(0, 0, 0).unwrap().and_utc(),
        format!("{}-W{:02}", iso.year(), iso.week()),
    )
}

struct Team {
    hub: TestHub,
    owner: String,
    admin: String,
    lead: String,
    ann: String,
    bob: String,
    ann_id: i64,
    bob_id: i64,
}

async fn team() -> Team {
    team_with(|_| {}).await
}

async fn team_with(adjust: impl FnOnce(&mut server::Config)) -> Team {
    let hub = TestHub::start_with(adjust).await;
    let (_, users) = hub
        .org(
            "Acme",
            &[
                ("own@a.test", Role::Owner),
                ("adm@a.test", Role::Admin),
                ("lead@a.test", Role::Supervisor),
                ("ann@a.test", Role::Member),
                ("bob@a.test", Role::Member),
            ],
        )
        .await;
    Team {
        owner: hub.login("own@a.test").await,
        admin: hub.login("adm@a.test").await,
        lead: hub.login("lead@a.test").await,
        ann: hub.login("ann@a.test").await,
        bob: hub.login("bob@a.test").await,
        ann_id: users[3].id,
        bob_id: users[4].id,
        hub,
    }
}

impl Team {
    async fn call(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        self.hub.call(method, path, Some(token), body).await
    }

    async fn manual(&self, token: &str, start: DateTime<Utc>, minutes: i64) -> (u16, Value) {
        self.call(
            "POST",
            "/api/sessions/manual",
            token,
            Some(json!({"start_time": ts(start), "end_time": ts(start + Span::minutes(minutes))})),
        )
        .await
    }

    async fn policy(&self, patch: Value) {
        let (s, v) = self
            .call("PUT", "/api/policy", &self.owner, Some(patch))
            .await;
        assert_eq!(s, 200, "{v}");
    }

    async fn audit(&self, action: &str) -> Vec<Value> {
        let (s, v) = self
            .call(
                "GET",
                &format!("/api/audit?action={action}"),
                &self.admin,
                None,
            )
            .await;
        assert_eq!(s, 200, "{v}");
        v["items"].as_array().cloned().unwrap_or_default()
    }

    async fn report(&self, token: &str, query: &str) -> Value {
        let (s, v) = self
            .call("GET", &format!("/api/reports/time?{query}"), token, None)
            .await;
        assert_eq!(s, 200, "{v}");
        v
    }
}

#[tokio::test]
async fn corrections_need_a_reason_follow_the_rules_are_audited_and_pushed() {
    let t = team().await;
    let (monday, _) = monday(1);
    let (s, a) = t.manual(&t.ann, monday + Span::hours(9), 60).await;
    assert_eq!(s, 201, "{a}");
    let id = a["id"].as_i64().unwrap();
    let (_, b) = t.manual(&t.ann, monday + Span::hours(11), 60).await;
    let path = format!("/api/sessions/{id}");
    let mut tab = t.hub.tab(&t.lead).await;
    let mut agent = t.hub.agent(&t.ann).await;
    wait_for(&mut agent, "hello", 5, |_| true).await;

    // No reason, an empty reason: 422 naming the field; nothing changed.
    let (s, e) = t
        .call("PATCH", &path, &t.ann, Some(json!({"note": "x"})))
        .await;
    assert_eq!(s, 422, "{e}");
    let (s, e) = t
        .call(
            "PATCH",
            &path,
            &t.ann,
            Some(json!({"note": "x", "reason": "  "})),
        )
        .await;
    assert_eq!(s, 422);
    assert!(e["error"]["fields"]["reason"]
        .as_str()
        .unwrap()
        .contains("required"));
    // End before start, end in the future: the manual-entry rules.
    let (s, e) = t
        .call(
            "PATCH",
            &path,
            &t.ann,
            Some(json!({"end_time": ts(monday + Span::hours(8)), "reason": "typo"})),
        )
        .await;
    assert_eq!(s, 422, "{e}");
    let (s, _) = t
        .call(
            "PATCH",
            &path,
            &t.ann,
            Some(json!({"end_time": ts(Utc::now() + Span::hours(1)), "reason": "typo"})),
        )
        .await;
    assert_eq!(s, 422);
    // Overlapping her other session: 409.
    let (s, e) = t
        .call(
            "PATCH",
            &path,
            &t.ann,
            Some(json!({"end_time": ts(monday + Span::hours(11) + Span::minutes(1)), "reason": "longer"})),
        )
        .await;
    assert_eq!(s, 409, "{e}");
    assert_eq!(
        e["error"]["message"],
        "This time overlaps another of your sessions."
    );
    // Bob (member) cannot touch Ann's session; the supervisor neither; the admin can.
    let body = json!({"end_time": ts(monday + Span::hours(10) + Span::minutes(30)), "reason": "left early"});
    assert_eq!(
        t.call("PATCH", &path, &t.bob, Some(body.clone())).await.0,
        404
    );
    assert_eq!(
        t.call("PATCH", &path, &t.lead, Some(body.clone())).await.0,
        403
    );
    let (s, fixed) = t.call("PATCH", &path, &t.admin, Some(body)).await;
    assert_eq!(s, 200, "{fixed}");
    assert_eq!(fixed["duration_seconds"], 90 * 60);
    // Pushed to the dashboards and to Ann's agent.
    let pushed = wait_for(&mut tab, "session_updated", 5, |m| m["session"]["id"] == id).await;
    assert_eq!(pushed["session"]["duration_seconds"], 90 * 60);
    wait_for(&mut agent, "session_updated", 5, |m| {
        m["session"]["id"] == id
    })
    .await;
    // The audit keeps the reason, the old and the new values.
    let edits = t.audit("SESSION_EDITED").await;
    assert_eq!(edits.len(), 1);
    let d = &edits[0]["details"];
    assert_eq!(d["reason"], "left early");
    assert_eq!(d["old"]["duration_seconds"], 3600);
    assert!(d["changes"]["ended_at"]["old"]
        .as_str()
        .unwrap()
        .contains("T10:00:00"));
    assert!(d["changes"]["ended_at"]["new"]
        .as_str()
        .unwrap()
        .contains("T10:30:00"));
    // Her own correction of the ticket-less note.
    let (s, v) = t
        .call(
            "PATCH",
            &path,
            &t.ann,
            Some(json!({"note": "Standup", "reason": "forgot"})),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(v["note"], "Standup");

    // Deletion: a reason, then a tombstone: not listed, not counted, audited.
    let b_id = b["id"].as_i64().unwrap();
    let b_path = format!("/api/sessions/{b_id}");
    assert_eq!(
        t.call("DELETE", &b_path, &t.ann, Some(json!({"reason": ""})))
            .await
            .0,
        422
    );
    let (s, _) = t
        .call(
            "DELETE",
            &b_path,
            &t.ann,
            Some(json!({"reason": "duplicate entry"})),
        )
        .await;
    assert_eq!(s, 204);
    wait_for(&mut tab, "session_deleted", 5, |m| m["session_id"] == b_id).await;
    assert_eq!(t.call("GET", &b_path, &t.ann, None).await.0, 404);
    assert_eq!(
        t.call("DELETE", &b_path, &t.ann, Some(json!({"reason": "again"})))
            .await
            .0,
        404
    );
    let (_, list) = t.call("GET", "/api/sessions", &t.ann, None).await;
    assert_eq!(list["total"], 1);
    let deleted = t.audit("SESSION_DELETED").await;
    assert_eq!(deleted[0]["details"]["reason"], "duplicate entry");
    assert_eq!(deleted[0]["details"]["old"]["duration_seconds"], 3600);
    // The deleted time is free again.
    assert_eq!(t.manual(&t.ann, monday + Span::hours(11), 60).await.0, 201);
    // A running session cannot be deleted, but its start can be corrected.
    let (s, run) = t
        .call("POST", "/api/sessions/start", &t.bob, Some(json!({})))
        .await;
    assert_eq!(s, 201);
    let run_path = format!("/api/sessions/{}", run["id"]);
    let (s, e) = t
        .call("DELETE", &run_path, &t.bob, Some(json!({"reason": "oops"})))
        .await;
    assert_eq!(s, 409, "{e}");
    let earlier = Utc::now() - Span::minutes(20);
    let (s, v) = t
        .call(
            "PATCH",
            &run_path,
            &t.bob,
            Some(json!({"start_time": ts(earlier), "reason": "started before I clicked"})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["ended_at"], Value::Null);
    let (s, _) = t
        .call(
            "PATCH",
            &run_path,
            &t.bob,
            Some(json!({"end_time": ts(Utc::now()), "reason": "end"})),
        )
        .await;
    assert_eq!(
        s, 422,
        "a running session is stopped, not corrected, to end it"
    );
}

#[tokio::test]
async fn an_approved_week_refuses_changes_until_an_admin_reopens_it() {
    let t = team().await;
    // The organization works in Berlin: its weeks start at Sunday 23:00 UTC in winter.
    let (s, v) = t
        .call(
            "PATCH",
            "/api/org",
            &t.admin,
            Some(json!({"timezone": "Europe/Berlin"})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (monday_utc, week) = monday(2);
    let berlin: chrono_tz::Tz = "Europe/Berlin".parse().unwrap();
    let week_start = berlin
        .from_local_datetime(&monday_utc.naive_utc())
        .earliest()
        .unwrap()
        .with_timezone(&Utc);
    let (s, inside) = t.manual(&t.ann, week_start + Span::hours(10), 60).await;
    assert_eq!(s, 201, "{inside}");
    let mut tab = t.hub.tab(&t.admin).await;

    // Members cannot approve; supervisors can; twice is refused.
    let approve = format!("/api/timesheets/{}/{week}/approve", t.ann_id);
    assert_eq!(t.call("POST", &approve, &t.bob, None).await.0, 403);
    let (s, v) = t.call("POST", &approve, &t.lead, None).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["state"], "approved");
    wait_for(&mut tab, "timesheet_updated", 5, |m| {
        m["week"] == week.as_str()
    })
    .await;
    assert_eq!(t.call("POST", &approve, &t.lead, None).await.0, 409);
    assert_eq!(
        t.call("POST", "/api/timesheets/1/2026-W77/approve", &t.lead, None)
            .await
            .0,
        422
    );

    // Creations, corrections, deletions inside: 409 naming the week.
    let (s, e) = t.manual(&t.ann, week_start + Span::hours(30), 30).await;
    assert_eq!(s, 409);
    let message = e["error"]["message"].as_str().unwrap();
    assert!(
        message.contains(&week) && message.contains("approved"),
        "{message}"
    );
    let path = format!("/api/sessions/{}", inside["id"]);
    let (s, _) = t
        .call(
            "PATCH",
            &path,
            &t.admin,
            Some(json!({"note": "x", "reason": "r"})),
        )
        .await;
    assert_eq!(s, 409);
    let (s, _) = t
        .call("DELETE", &path, &t.ann, Some(json!({"reason": "r"})))
        .await;
    assert_eq!(s, 409);
    // Week boundaries in the organization's timezone: Sunday 23:30 UTC is Monday in Berlin,
    // the next (open) week; Sunday 22:30 UTC is still the approved week.
    let next_monday = week_start + Span::days(7);
    assert_eq!(
        t.manual(&t.ann, next_monday + Span::minutes(30), 20)
            .await
            .0,
        201
    );
    assert_eq!(
        t.manual(&t.ann, next_monday - Span::minutes(30), 20)
            .await
            .0,
        409
    );
    // Bob's week is his own: not locked.
    assert_eq!(
        t.manual(&t.bob, week_start + Span::hours(30), 30).await.0,
        201
    );

    // The week's grid: Ann's Monday has the hour, the week its state.
    let (s, grid) = t
        .call(
            "GET",
            &format!("/api/timesheets?week={week}"),
            &t.lead,
            None,
        )
        .await;
    assert_eq!(s, 200, "{grid}");
    assert_eq!(grid["timezone"], "Europe/Berlin");
    let ann = grid["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["user_id"] == t.ann_id)
        .unwrap();
    assert_eq!(ann["days"][0], 3600);
    assert_eq!(ann["total_seconds"], 3600);
    assert_eq!(ann["state"], "approved");
    assert_eq!(ann["changed_by_name"], "lead");
    // A member sees only her own row.
    let (_, own) = t
        .call("GET", &format!("/api/timesheets?week={week}"), &t.ann, None)
        .await;
    assert_eq!(own["users"].as_array().unwrap().len(), 1);

    // Reopen: supervisors cannot, admins can; then changes go through again.
    let reopen = format!("/api/timesheets/{}/{week}/reopen", t.ann_id);
    assert_eq!(t.call("POST", &reopen, &t.lead, None).await.0, 403);
    let (s, v) = t.call("POST", &reopen, &t.admin, None).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["state"], "open");
    assert_eq!(t.call("POST", &reopen, &t.admin, None).await.0, 409);
    let (s, _) = t
        .call(
            "PATCH",
            &path,
            &t.admin,
            Some(json!({"note": "x", "reason": "r"})),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(t.audit("TIMESHEET_APPROVED").await.len(), 1);
    assert_eq!(
        t.audit("TIMESHEET_REOPENED").await[0]["details"]["week"],
        week.as_str()
    );

    // A replayed offline start inside an approved week is refused too (the agent is told
    // the 409): this week, approved while Ann is offline, and her start from earlier in it.
    let (this_monday, this_week) = monday_of(Utc::now().with_timezone(&berlin).date_naive(), 0);
    let this_start = berlin
        .from_local_datetime(&this_monday.naive_utc())
        .earliest()
        .unwrap()
        .with_timezone(&Utc);
    let replayed = this_start.max(Utc::now() - Span::days(6))
        + (Utc::now() - this_start.max(Utc::now() - Span::days(6))) / 2;
    let (s, v) = t
        .call(
            "POST",
            &format!("/api/timesheets/{}/{this_week}/approve", t.ann_id),
            &t.lead,
            None,
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, e) = t
        .call(
            "POST",
            "/api/sessions/start",
            &t.ann,
            Some(json!({"started_at": ts(replayed), "client_id": "offline-1"})),
        )
        .await;
    assert_eq!(s, 409, "{e}");
    assert!(e["error"]["message"].as_str().unwrap().contains(&this_week));

    // A week with a session still running in it cannot be approved.
    let (s, _) = t
        .call("POST", "/api/sessions/start", &t.bob, Some(json!({})))
        .await;
    assert_eq!(s, 201);
    let (s, e) = t
        .call(
            "POST",
            &format!("/api/timesheets/{}/{this_week}/approve", t.bob_id),
            &t.lead,
            None,
        )
        .await;
    assert_eq!(s, 409, "{e}");
}

/// Reports a user's session of `minutes` ended `ago` minutes ago with an idle span inside.
async fn idle_case(t: &Team, token: &str, handling: &str) -> (i64, Value) {
    t.policy(json!({"idle_time_handling": handling, "idle_threshold_seconds": 60}))
        .await;
    let start = Utc::now() - Span::minutes(30);
    let (s, run) = t
        .call(
            "POST",
            "/api/sessions/start",
            token,
            Some(json!({"started_at": ts(start)})),
        )
        .await;
    assert_eq!(s, 201, "{run}");
    let id = run["id"].as_i64().unwrap();
    let (s, span) = t
        .call(
            "POST",
            &format!("/api/sessions/{id}/idle"),
            token,
            Some(json!({"started_at": ts(start + Span::minutes(10)), "ended_at": ts(start + Span::minutes(20)), "client_id": "idle-1"})),
        )
        .await;
    assert_eq!(s, 201, "{span}");
    (id, span)
}

#[tokio::test]
async fn idle_time_is_kept_discarded_or_asked_and_every_total_follows() {
    let t = team().await;
    let mut tab = t.hub.tab(&t.lead).await;
    // keep: counted.
    let (id, span) = idle_case(&t, &t.ann, "keep").await;
    assert_eq!(span["decision"], "kept");
    assert_eq!(span["seconds"], 600);
    let (_, stopped) = t
        .call(
            "POST",
            "/api/sessions/stop",
            &t.ann,
            Some(json!({"session_id": id})),
        )
        .await;
    let kept_duration = stopped["duration_seconds"].as_i64().unwrap();
    assert!((1799..=1801).contains(&kept_duration), "{stopped}");

    // discard: subtracted at once (pushed), and from the duration when it stops.
    let (id, span) = idle_case(&t, &t.bob, "discard").await;
    assert_eq!(span["decision"], "discarded");
    let pushed = wait_for(&mut tab, "session_updated", 5, |m| m["session"]["id"] == id).await;
    assert_eq!(pushed["session"]["discarded_seconds"], 600);
    // A replay of the same report changes nothing.
    let (s, again) = t
        .call(
            "POST",
            &format!("/api/sessions/{id}/idle"),
            &t.bob,
            Some(json!({"started_at": span["started_at"], "ended_at": span["ended_at"], "client_id": "idle-1"})),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(again["id"], span["id"]);
    let (_, stopped) = t
        .call(
            "POST",
            "/api/sessions/stop",
            &t.bob,
            Some(json!({"session_id": id})),
        )
        .await;
    let d = stopped["duration_seconds"].as_i64().unwrap();
    assert!(
        (1199..=1201).contains(&d),
        "30 min less 10 discarded: {stopped}"
    );

    // ask: pending until the user answers; discard subtracts, a second answer is refused.
    let (id, span) = idle_case(&t, &t.lead, "ask").await;
    assert_eq!(span["decision"], "pending");
    assert!(span["answer_by"].is_string());
    let answer = format!("/api/sessions/{id}/idle/{}", span["id"]);
    assert_eq!(
        t.call("POST", &answer, &t.ann, Some(json!({"keep": false})))
            .await
            .0,
        404,
        "not her session"
    );
    let (s, v) = t
        .call("POST", &answer, &t.lead, Some(json!({"keep": false})))
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["decision"], "discarded");
    let (s, e) = t
        .call("POST", &answer, &t.lead, Some(json!({"keep": true})))
        .await;
    assert_eq!(s, 409, "{e}");
    let (_, session) = t
        .call("GET", &format!("/api/sessions/{id}"), &t.lead, None)
        .await;
    assert_eq!(session["discarded_seconds"], 600);
    // A span shorter than the threshold, or before the session, is refused.
    let (s, _) = t
        .call(
            "POST",
            &format!("/api/sessions/{id}/idle"),
            &t.lead,
            Some(json!({"started_at": ts(Utc::now() - Span::seconds(30)), "ended_at": ts(Utc::now())})),
        )
        .await;
    assert_eq!(s, 422);
    let (_, spans) = t
        .call("GET", &format!("/api/sessions/{id}/idle"), &t.lead, None)
        .await;
    assert_eq!(spans.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn report_totals_are_the_sum_of_the_sessions_after_edits_deletions_and_discards() {
    let t = team().await;
    let (s, ticket) = t
        .call(
            "POST",
            "/api/tickets",
            &t.ann,
            Some(json!({"title": "Login page times out"})),
        )
        .await;
    assert_eq!(s, 201);
    let ticket_id = ticket["id"].as_i64().unwrap();
    let (monday, _) = monday(1);
    // Ann: 2 h on the ticket Monday, 1 h Tuesday across midnight into Wednesday (23:30-00:30).
    let (_, a) = t
        .call(
            "POST",
            "/api/sessions/manual",
            &t.ann,
            Some(json!({"ticket_id": ticket_id, "start_time": ts(monday + Span::hours(9)), "end_time": ts(monday + Span::hours(11))})),
        )
        .await;
    let (_, b) = t
        .manual(
            &t.ann,
            monday + Span::days(1) + Span::hours(23) + Span::minutes(30),
            60,
        )
        .await;
    // Bob: 45 min Monday, then deleted; 30 min Thursday, corrected to 50.
    let (_, c) = t.manual(&t.bob, monday + Span::hours(14), 45).await;
    let (_, d) = t
        .manual(&t.bob, monday + Span::days(3) + Span::hours(8), 30)
        .await;
    let (s, _) = t
        .call(
            "DELETE",
            &format!("/api/sessions/{}", c["id"]),
            &t.bob,
            Some(json!({"reason": "was a meeting"})),
        )
        .await;
    assert_eq!(s, 204);
    let (s, _) = t
        .call(
            "PATCH",
            &format!("/api/sessions/{}", d["id"]),
            &t.bob,
            Some(json!({"end_time": ts(monday + Span::days(3) + Span::hours(8) + Span::minutes(50)), "reason": "forgot to stop"})),
        )
        .await;
    assert_eq!(s, 200);
    // Bob: 30 min on the ticket, deleted: the ticket's total leaves it out.
    let (s, e) = t
        .call(
            "POST",
            "/api/sessions/manual",
            &t.bob,
            Some(json!({"ticket_id": ticket_id, "start_time": ts(monday + Span::days(4) + Span::hours(9)), "end_time": ts(monday + Span::days(4) + Span::hours(9) + Span::minutes(30))})),
        )
        .await;
    assert_eq!(s, 201, "{e}");
    let (s, _) = t
        .call(
            "DELETE",
            &format!("/api/sessions/{}", e["id"]),
            &t.bob,
            Some(json!({"reason": "wrong ticket"})),
        )
        .await;
    assert_eq!(s, 204);
    let (_, tk) = t
        .call("GET", &format!("/api/tickets/{ticket_id}"), &t.lead, None)
        .await;
    assert_eq!(tk["total_time_spent_seconds"], 7200, "{tk}");
    // Lead: a running session with 10 discarded idle minutes.
    let (id, _) = idle_case(&t, &t.lead, "discard").await;
    let _ = (a, b, id);

    let from = monday.date_naive();
    let to = Utc::now().date_naive();
    let by_user = t
        .report(&t.lead, &format!("from={from}&to={to}&group_by=user"))
        .await;
    let seconds = |r: &Value, key: &str| {
        r["groups"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["key"] == key)
            .map(|g| g["seconds"].as_i64().unwrap())
    };
    assert_eq!(seconds(&by_user, &t.ann_id.to_string()), Some(3 * 3600));
    assert_eq!(seconds(&by_user, &t.bob_id.to_string()), Some(50 * 60));
    let lead = by_user["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["label"] == "lead")
        .map(|g| g["seconds"].as_i64().unwrap())
        .unwrap();
    assert!(
        (1199..=1202).contains(&lead),
        "30 running minutes less 10 discarded: {lead}"
    );
    // The same total whichever way it is grouped, and it is the sum of the sessions.
    let by_day = t
        .report(&t.lead, &format!("from={from}&to={to}&group_by=day"))
        .await;
    let by_ticket = t
        .report(&t.lead, &format!("from={from}&to={to}&group_by=ticket"))
        .await;
    let total = by_user["total_seconds"].as_i64().unwrap();
    let sum: i64 = by_user["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["seconds"].as_i64().unwrap())
        .sum();
    assert_eq!(total, sum);
    assert!(
        (by_day["total_seconds"].as_i64().unwrap() - total).abs() <= 2,
        "{by_day}"
    );
    assert!((by_ticket["total_seconds"].as_i64().unwrap() - total).abs() <= 2);
    // Per day: the session across midnight is split 30 + 30 minutes.
    let tuesday = (from + Span::days(1)).to_string();
    let wednesday = (from + Span::days(2)).to_string();
    assert_eq!(seconds(&by_day, &tuesday), Some(1800));
    assert_eq!(seconds(&by_day, &wednesday), Some(1800));
    assert_eq!(seconds(&by_ticket, &ticket_id.to_string()), Some(7200));
    // The list of completed sessions adds up to the same for Ann and Bob.
    for (token, user) in [(&t.ann, t.ann_id), (&t.bob, t.bob_id)] {
        let (_, list) = t
            .call("GET", &format!("/api/sessions?user_id={user}"), token, None)
            .await;
        let listed: i64 = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["duration_seconds"].as_i64().unwrap_or(0))
            .sum();
        assert_eq!(Some(listed), seconds(&by_user, &user.to_string()));
    }
    // Members see their own time only.
    let own = t.report(&t.bob, &format!("from={from}&to={to}")).await;
    assert_eq!(own["groups"].as_array().unwrap().len(), 1);
    assert_eq!(
        t.call(
            "GET",
            &format!("/api/reports/time?from={from}&to={to}&user_id={}", t.ann_id),
            &t.bob,
            None
        )
        .await
        .0,
        403
    );
    // Bad ranges are refused with a clear message.
    assert_eq!(
        t.call(
            "GET",
            &format!("/api/reports/time?from={to}&to={from}"),
            &t.lead,
            None
        )
        .await
        .0,
        422
    );
    assert_eq!(
        t.call(
            "GET",
            "/api/reports/time?from=2020-01-01&to=2026-01-01",
            &t.lead,
            None
        )
        .await
        .0,
        422
    );
    // CSV: by Accept header or by the .csv address; the total row matches.
    let res = t
        .hub
        .http()
        .get(format!(
            "{}/api/reports/time?from={from}&to={to}&group_by=user",
            t.hub.url
        ))
        .bearer_auth(&t.lead)
        .header("accept", "text/csv")
        .send()
        .await
        .unwrap();
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let csv = res.text().await.unwrap();
    assert!(
        csv.starts_with("user,label,seconds,hours,sessions\n"),
        "{csv}"
    );
    assert!(
        csv.contains(&format!("{},ann,10800,3.00,2", t.ann_id)),
        "{csv}"
    );
    let (s, _) = t
        .call(
            "GET",
            &format!("/api/reports/time.csv?from={from}&to={to}"),
            &t.lead,
            None,
        )
        .await;
    assert_eq!(s, 200);
}

/// The `session_ended` push for `session_id` on a socket.
async fn ended_push(ws: &mut common::Ws, session_id: i64, secs: u64) -> Value {
    wait_for(ws, "session_ended", secs, |m| m["session_id"] == session_id).await
}

#[tokio::test]
async fn the_cap_stops_a_session_at_its_exact_moment_like_an_admins_end() {
    let t = team().await;
    t.policy(json!({"max_session_minutes": 30})).await;
    let mut agent = t.hub.agent(&t.ann).await;
    wait_for(&mut agent, "hello", 5, |_| true).await;
    // A replayed start from 29 min 58 s ago: it reaches the cap two seconds from now.
    let start = Utc::now() - Span::minutes(30) + Span::seconds(2);
    let (s, run) = t
        .call(
            "POST",
            "/api/sessions/start",
            &t.ann,
            Some(json!({"started_at": ts(start), "client_id": "c-1"})),
        )
        .await;
    assert_eq!(s, 201, "{run}");
    let id = run["id"].as_i64().unwrap();
    let pushed = ended_push(&mut agent, id, 10).await;
    assert_eq!(pushed["ended_by"], Value::Null);
    assert!(
        pushed["reason"]
            .as_str()
            .unwrap()
            .contains("max_session_minutes = 30"),
        "{pushed}"
    );
    let (_, session) = t
        .call("GET", &format!("/api/sessions/{id}"), &t.ann, None)
        .await;
    assert_eq!(session["end_reason"], "auto_stopped");
    assert_eq!(
        time(&session["ended_at"]) - time(&session["started_at"]),
        Span::minutes(30)
    );
    assert_eq!(session["duration_seconds"], 1800, "exactly at the cap");
    let audit = t.audit("SESSION_AUTO_STOPPED").await;
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0]["actor_id"], Value::Null);
    // The user may start again at once.
    assert_eq!(
        t.call("POST", "/api/sessions/start", &t.ann, Some(json!({})))
            .await
            .0,
        201
    );
}

#[tokio::test]
async fn a_rule_that_arrives_late_ends_a_running_session_where_it_crossed() {
    let t = team().await;
    let start = Utc::now() - Span::hours(2);
    let (s, run) = t
        .call(
            "POST",
            "/api/sessions/start",
            &t.bob,
            Some(json!({"started_at": ts(start)})),
        )
        .await;
    assert_eq!(s, 201);
    let id = run["id"].as_i64().unwrap();
    let mut agent = t.hub.agent(&t.bob).await;
    wait_for(&mut agent, "hello", 5, |_| true).await;
    t.policy(json!({"max_session_minutes": 60})).await;
    // The agent is told, and the end is the hour mark, an hour ago: not the moment the
    // rule arrived.
    let pushed = ended_push(&mut agent, id, 10).await;
    assert_eq!(
        time(&pushed["ended_at"]),
        time(&run["started_at"]) + Span::minutes(60)
    );
    let (_, session) = t
        .call("GET", &format!("/api/sessions/{id}"), &t.bob, None)
        .await;
    assert_eq!(session["end_reason"], "auto_stopped");
    assert_eq!(session["duration_seconds"], 3600, "{session}");
}

#[tokio::test]
async fn a_start_replayed_from_past_the_cap_ends_at_the_cap() {
    let t = team().await;
    t.policy(json!({"max_session_minutes": 30})).await;
    let mut agent = t.hub.agent(&t.ann).await;
    wait_for(&mut agent, "hello", 5, |_| true).await;
    // The agent was offline: its start arrives 31 minutes late.
    let start = Utc::now() - Span::minutes(31);
    let (s, run) = t
        .call(
            "POST",
            "/api/sessions/start",
            &t.ann,
            Some(json!({"started_at": ts(start), "client_id": "late-1"})),
        )
        .await;
    assert_eq!(s, 201, "{run}");
    let id = run["id"].as_i64().unwrap();
    let pushed = ended_push(&mut agent, id, 10).await;
    assert_eq!(
        time(&pushed["ended_at"]),
        time(&run["started_at"]) + Span::minutes(30),
        "{pushed}"
    );
    let (_, session) = t
        .call("GET", &format!("/api/sessions/{id}"), &t.ann, None)
        .await;
    assert_eq!(
        session["duration_seconds"], 1800,
        "30 minutes, not 31: {session}"
    );
    let (from, to) = (
        start.date_naive() - Span::days(1),
        Utc::now().date_naive() + Span::days(1),
    );
    let report = t
        .report(&t.ann, &format!("from={from}&to={to}&group_by=user"))
        .await;
    assert_eq!(report["total_seconds"], 1800, "{report}");
}

#[tokio::test]
async fn a_new_timezone_ends_a_session_where_it_crossed_the_local_stop_time() {
    let t = team().await;
    let (s, _) = t
        .call(
            "PATCH",
            "/api/org",
            &t.admin,
            Some(json!({"timezone": "UTC"})),
        )
        .await;
    assert_eq!(s, 200);
    // An hour ago, in Kolkata (UTC+05:30), it was hh:mm; in UTC that time is hours away.
    let kolkata: chrono_tz::Tz = "Asia/Kolkata".parse().unwrap();
    let crossing = (Utc::now() - Span::hours(1))
        .with_second(0)
        .unwrap()
        .with_nanosecond(0)
        .unwrap();
    let local = crossing.with_timezone(&kolkata);
    let hhmm = format!("{:02}:{:02}", local.hour(), local.minute());
    t.policy(json!({"auto_stop_local_time": hhmm})).await;
    let (s, run) = t
        .call(
            "POST",
            "/api/sessions/start",
            &t.ann,
            Some(json!({"started_at": ts(Utc::now() - Span::hours(3))})),
        )
        .await;
    assert_eq!(s, 201);
    let id = run["id"].as_i64().unwrap();
    let mut agent = t.hub.agent(&t.ann).await;
    wait_for(&mut agent, "hello", 5, |_| true).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (_, still) = t
        .call("GET", &format!("/api/sessions/{id}"), &t.ann, None)
        .await;
    assert!(
        still["ended_at"].is_null(),
        "{hhmm} UTC is still ahead: {still}"
    );

    let (s, _) = t
        .call(
            "PATCH",
            "/api/org",
            &t.admin,
            Some(json!({"timezone": "Asia/Kolkata"})),
        )
        .await;
    assert_eq!(s, 200);
    let pushed = ended_push(&mut agent, id, 10).await;
    assert_eq!(time(&pushed["ended_at"]), crossing, "{pushed}");
    assert!(pushed["reason"]
        .as_str()
        .unwrap()
        .contains(&format!("{hhmm} (Asia/Kolkata)")));
}

#[tokio::test]
async fn timers_are_rebuilt_after_a_restart() {
    let t = team().await;
    t.policy(json!({"max_session_minutes": 30})).await;
    let start = Utc::now() - Span::minutes(30) + Span::seconds(2);
    let (s, run) = t
        .call(
            "POST",
            "/api/sessions/start",
            &t.ann,
            Some(json!({"started_at": ts(start)})),
        )
        .await;
    assert_eq!(s, 201);
    let id = run["id"].as_i64().unwrap();
    let Team { hub, ann, .. } = t;
    let mut hub = hub;
    hub.stop().await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let hub = hub.restart().await;
    let (s, session) = {
        let mut tries = 0;
        loop {
            let got = hub
                .call("GET", &format!("/api/sessions/{id}"), Some(&ann), None)
                .await;
            if got.1["ended_at"].is_string() || tries > 50 {
                break got;
            }
            tries += 1;
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    assert_eq!(s, 200);
    assert_eq!(session["end_reason"], "auto_stopped", "{session}");
    assert_eq!(
        time(&session["ended_at"]) - time(&session["started_at"]),
        Span::minutes(30)
    );
}

#[tokio::test]
async fn the_local_stop_time_follows_the_organizations_timezone() {
    let t = team().await;
    let (s, _) = t
        .call(
            "PATCH",
            "/api/org",
            &t.admin,
            Some(json!({"timezone": "Asia/Kolkata"})),
        )
        .await;
    assert_eq!(s, 200);
    // The next whole minute in Kolkata (UTC+05:30), at least 3 s away.
    let kolkata: chrono_tz::Tz = "Asia/Kolkata".parse().unwrap();
    let mut at = (Utc::now() + Span::seconds(63)).with_timezone(&kolkata);
    at = at.with_second(0).unwrap().with_nanosecond(0).unwrap();
    let hhmm = format!("{:02}:{:02}", at.hour(), at.minute());
    let (s, run) = t
        .call("POST", "/api/sessions/start", &t.ann, Some(json!({})))
        .await;
    assert_eq!(s, 201);
    let mut agent = t.hub.agent(&t.ann).await;
    wait_for(&mut agent, "hello", 5, |_| true).await;
    t.policy(json!({"auto_stop_local_time": hhmm})).await;
    let pushed = ended_push(&mut agent, run["id"].as_i64().unwrap(), 75).await;
    assert_eq!(
        time(&pushed["ended_at"]),
        at.with_timezone(&Utc),
        "{pushed}"
    );
    assert!(pushed["reason"]
        .as_str()
        .unwrap()
        .contains(&format!("{hhmm} (Asia/Kolkata)")));
}

#[tokio::test]
async fn in_a_cluster_exactly_one_node_stops_a_session() {
    if !on_postgres() {
        eprintln!("skipped: PRESENCE_TEST_PG is not set");
        return;
    }
    let t = team().await;
    let peer = t.hub.peer("second").await;
    t.policy(json!({"max_session_minutes": 30})).await;
    let mut agent = peer.agent(&t.ann).await;
    wait_for(&mut agent, "hello", 5, |_| true).await;
    let start = Utc::now() - Span::minutes(30) + Span::seconds(3);
    let (s, run) = t
        .call(
            "POST",
            "/api/sessions/start",
            &t.ann,
            Some(json!({"started_at": ts(start)})),
        )
        .await;
    assert_eq!(s, 201);
    let id = run["id"].as_i64().unwrap();
    ended_push(&mut agent, id, 10).await;
    // One end, one audit entry, one push: both nodes' clocks fired, one update won.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(t.audit("SESSION_AUTO_STOPPED").await.len(), 1);
    let quiet_until = tokio::time::Instant::now() + Duration::from_secs(2);
    while let Ok(Some(Ok(msg))) = tokio::time::timeout_at(quiet_until, agent.next()).await {
        if let Message::Text(text) = msg {
            let v: Value = serde_json::from_str(&text).unwrap();
            assert!(
                !(v["type"] == "session_ended" && v["session_id"] == id),
                "a second session_ended: {v}"
            );
        }
    }
    drop(peer);
}

#[tokio::test]
async fn the_pages_are_complete_without_javascript() {
    let t = team().await;
    let (monday, week) = monday(1);
    let (_, s) = t.manual(&t.ann, monday + Span::hours(9), 150).await;
    t.manual(&t.bob, monday + Span::days(1) + Span::hours(9), 60)
        .await;
    let s_id = s["id"].as_i64().unwrap();

    // /timesheets: the grid of the week, with approve buttons for a supervisor.
    let (status, html) = t
        .hub
        .page(&t.lead, &format!("/timesheets?week={week}"))
        .await;
    assert_eq!(status, 200);
    assert!(html.contains("id=\"timesheet-grid\""), "{html}");
    assert!(html.contains(&format!("{week} · UTC")));
    assert!(html.contains(">2:30<"), "Ann's Monday");
    assert!(html.contains("class=\"approve-week\""));
    assert!(!html.contains("class=\"reopen-week"));
    // Ann's own page lists her sessions of the week with an Edit button.
    let (_, html) = t
        .hub
        .page(&t.ann, &format!("/timesheets?week={week}"))
        .await;
    assert!(html.contains("id=\"week-sessions-table\""));
    assert!(html.contains(&format!("data-session-id=\"{s_id}\"")));
    assert!(html.contains("class=\"edit-session"));
    assert!(!html.contains("approve-week"), "members do not approve");
    // Approved: the state shows, the admin gets Reopen, Ann no Edit.
    let (s, _) = t
        .call(
            "POST",
            &format!("/api/timesheets/{}/{week}/approve", t.ann_id),
            &t.lead,
            None,
        )
        .await;
    assert_eq!(s, 200);
    let (_, html) = t
        .hub
        .page(
            &t.admin,
            &format!("/timesheets?week={week}&user={}", t.ann_id),
        )
        .await;
    assert!(html.contains("data-state=\"approved\""));
    assert!(html.contains("class=\"reopen-week"));
    assert!(html.contains("id=\"week-locked\""));
    let (_, html) = t
        .hub
        .page(&t.ann, &format!("/timesheets?week={week}"))
        .await;
    assert!(!html.contains("class=\"edit-session"));

    // /reports: the SVG chart with one bar per person, the table and the CSV link.
    let from = monday.date_naive();
    let to = from + Span::days(6);
    let (status, html) = t
        .hub
        .page(
            &t.lead,
            &format!("/reports?from={from}&to={to}&group_by=user"),
        )
        .await;
    assert_eq!(status, 200);
    assert!(html.contains("<svg id=\"report-chart\""), "{html}");
    assert_eq!(html.matches("class=\"report-bar\"").count(), 2);
    assert!(html.contains("id=\"report-total\">3:30<"), "2:30 + 1:00");
    assert!(html.contains(&format!(
        "/api/reports/time.csv?from={from}&amp;to={to}&amp;group_by=user"
    )));
    // By day: Monday and Tuesday.
    let (_, html) = t
        .hub
        .page(
            &t.lead,
            &format!("/reports?from={from}&to={to}&group_by=day"),
        )
        .await;
    assert_eq!(html.matches("class=\"report-bar\"").count(), 2);
    // A reversed range is said, and the last week shown instead.
    let (status, html) = t
        .hub
        .page(&t.lead, &format!("/reports?from={to}&to={from}"))
        .await;
    assert_eq!(status, 200);
    assert!(html.contains("id=\"report-error\""));
    // Members see only their own bar.
    let (_, html) = t
        .hub
        .page(&t.bob, &format!("/reports?from={from}&to={to}"))
        .await;
    assert_eq!(html.matches("class=\"report-bar\"").count(), 1);
}

#[tokio::test]
async fn a_session_across_monday_is_listed_in_both_weeks_with_the_part_of_each() {
    let t = team().await;
    let (s, _) = t
        .call(
            "PATCH",
            "/api/org",
            &t.admin,
            Some(json!({"timezone": "UTC"})),
        )
        .await;
    assert_eq!(s, 200);
    // Sunday 22:00 to Monday 03:00 (UTC), two weeks back into last week.
    let (monday_last, last) = monday(1);
    let (_, before) = monday(2);
    let (s, run) = t.manual(&t.ann, monday_last - Span::hours(2), 5 * 60).await;
    assert_eq!(s, 201, "{run}");
    let id = run["id"].as_i64().unwrap();

    let mut parts = Vec::new();
    for week in [&before, &last] {
        let (s, sheet) = t
            .call(
                "GET",
                &format!("/api/timesheets?week={week}&user_id={}", t.ann_id),
                &t.ann,
                None,
            )
            .await;
        assert_eq!(s, 200, "{sheet}");
        let listed = sheet["sessions"].as_array().unwrap();
        assert_eq!(listed.len(), 1, "listed under {week}: {sheet}");
        assert_eq!(listed[0]["session"]["id"], id);
        assert_eq!(listed[0]["session"]["duration_seconds"], 5 * 3600);
        let part = listed[0]["seconds_in_week"].as_i64().unwrap();
        let row = &sheet["users"][0];
        assert_eq!(
            row["total_seconds"], part,
            "the part is the week's total: {row}"
        );
        parts.push(part);
    }
    assert_eq!(
        parts,
        vec![2 * 3600, 3 * 3600],
        "Sunday's 2 h, then Monday's 3 h"
    );

    // The session list by overlap: Monday's list has it too.
    let (s, list) = t
        .call(
            "GET",
            &format!(
                "/api/sessions?user_id={}&from={}&to={}",
                t.ann_id,
                ts(monday_last),
                ts(monday_last + Span::days(1))
            ),
            &t.ann,
            None,
        )
        .await;
    assert_eq!(s, 200, "{list}");
    assert_eq!(list["items"][0]["id"], id, "{list}");

    // Another member's sessions are not Ann's to list.
    let (s, _) = t
        .call(
            "GET",
            &format!("/api/timesheets?week={last}&user_id={}", t.bob_id),
            &t.ann,
            None,
        )
        .await;
    assert_eq!(s, 404);
}
