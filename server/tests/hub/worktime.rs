//! Working time (SPEC §19) against a real hub (SQLite, or PostgreSQL when PRESENCE_TEST_PG is
//! set): plans, holidays and approved absences make the planned and absence figures, the
//! sessions the worked ones, and the balance carries from the plan's start; an absence is
//! pushed to the person's tab and refused in an approved week. And, for random sessions around
//! both DST changes and the turn of the year, every day's worked time is the sessions' overlap
//! with that local day, and the weeks of the timesheet say the same.

use crate::common;

use chrono::{DateTime, Datelike, Duration as Span, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use common::{wait_for, TestHub};
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use shared::Role;

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn d(text: &str) -> NaiveDate {
    text.parse().expect("a date")
}

struct Team {
    hub: TestHub,
    admin: String,
    lead: String,
    ann: String,
    ann_id: i64,
}

async fn team(timezone: &str) -> Team {
    let hub = TestHub::start_with(|_| {}).await;
    let (_, users) = hub
        .org(
            "Acme",
            &[
                ("own@w.test", Role::Owner),
                ("adm@w.test", Role::Admin),
                ("lead@w.test", Role::Supervisor),
                ("ann@w.test", Role::Member),
            ],
        )
        .await;
    let t = Team {
        admin: hub.login("adm@w.test").await,
        lead: hub.login("lead@w.test").await,
        ann: hub.login("ann@w.test").await,
        ann_id: users[3].id,
        hub,
    };
    let (s, v) = t
        .call(
            "PATCH",
            "/api/org",
            &t.admin,
            Some(json!({ "timezone": timezone })),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    t
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

    async fn ok(&self, method: &str, path: &str, token: &str, body: Option<Value>) -> Value {
        let (s, v) = self.call(method, path, token, body).await;
        assert!((200..300).contains(&s), "{method} {path}: {s} {v}");
        v
    }

    async fn session(&self, start: DateTime<Utc>, end: DateTime<Utc>) {
        self.ok(
            "POST",
            "/api/sessions/manual",
            &self.ann,
            Some(json!({ "start_time": ts(start), "end_time": ts(end) })),
        )
        .await;
    }

    async fn worktime(&self, from: &str, to: &str) -> Value {
        let v = self
            .ok(
                "GET",
                &format!("/api/worktime?from={from}&to={to}&user_id={}", self.ann_id),
                &self.ann,
                None,
            )
            .await;
        v["users"][0].clone()
    }
}

const H: i64 = 3600;

#[tokio::test]
async fn plans_holidays_absences_and_sessions_make_the_figures_and_the_balance() {
    let t = team("UTC").await;
    // The default: 8 h Monday to Friday since 2026-01-01; Ann's own: 4 h from 2026-11-23.
    t.ok(
        "PUT",
        "/api/worktime/plans",
        &t.admin,
        Some(json!({ "valid_from": "2026-01-01", "minutes": [480, 480, 480, 480, 480, 0, 0] })),
    )
    .await;
    t.ok(
        "PUT",
        "/api/worktime/plans",
        &t.admin,
        Some(json!({ "user_id": t.ann_id, "valid_from": "2026-11-23", "minutes": [240, 240, 240, 240, 240, 0, 0] })),
    )
    .await;
    let (s, _) = t
        .call(
            "PUT",
            "/api/worktime/plans",
            &t.ann,
            Some(json!({ "valid_from": "2026-01-01", "minutes": [0, 0, 0, 0, 0, 0, 0] })),
        )
        .await;
    assert_eq!(s, 403, "a member sets no plans");
    // Tuesday 2026-12-01 is a holiday; Ann is sick half of Wednesday, approved by Lena.
    t.ok(
        "POST",
        "/api/holidays",
        &t.admin,
        Some(json!({ "date": "2026-12-01", "name": "Founders' Day" })),
    )
    .await;
    let mut tab = t.hub.tab(&t.ann).await;
    let asked = t
        .ok(
            "POST",
            "/api/absences",
            &t.ann,
            Some(json!({ "kind": "sick", "first_day": "2026-12-02", "last_day": "2026-12-02", "half_day": true })),
        )
        .await;
    assert_eq!(asked["state"], "requested");
    wait_for(&mut tab, "absence_updated", 5, |m| {
        m["state"] == "requested"
    })
    .await;
    let id = asked["id"].as_i64().unwrap();
    let (s, _) = t
        .call(
            "POST",
            &format!("/api/absences/{id}/approve"),
            &t.ann,
            Some(json!({})),
        )
        .await;
    assert_eq!(s, 403, "not her own");
    t.ok(
        "POST",
        &format!("/api/absences/{id}/approve"),
        &t.lead,
        Some(json!({})),
    )
    .await;
    let pushed = wait_for(&mut tab, "absence_updated", 5, |m| m["state"] == "approved").await;
    assert_eq!(pushed["user_id"], t.ann_id);

    // Worked: 6 h on Tuesday 2026-11-24, 5 h on Thursday 2026-12-03.
    let at = |day: &str, hour: u32| d(day).and_hms_opt(hour, 0, 0).unwrap().and_utc();
    t.session(at("2026-11-24", 8), at("2026-11-24", 14)).await;
    t.session(at("2026-12-03", 9), at("2026-12-03", 14)).await;

    let week = t.worktime("2026-11-30", "2026-12-06").await;
    // Planned: 4 h Monday to Friday, none on the holiday: 16 h. Absent: half of 4 h.
    assert_eq!(week["planned_seconds"], 16 * H, "{week}");
    assert_eq!(week["absence_seconds"], 2 * H, "{week}");
    assert_eq!(week["worked_seconds"], 5 * H, "{week}");
    assert_eq!(week["difference_seconds"], (5 + 2 - 16) * H, "{week}");
    let days = week["days"].as_array().unwrap();
    assert_eq!(days.len(), 7);
    assert_eq!(days[1]["holiday"], "Founders' Day");
    assert_eq!(days[1]["planned_seconds"], 0);
    assert_eq!(days[2]["absence"], "sick");
    // The balance carries from Ann's plan (2026-11-23): last week 6 − 20, this week −9.
    assert_eq!(week["balance_from"], "2026-11-23");
    assert_eq!(week["balance_seconds"], (6 - 20 - 9) * H, "{week}");

    // A member sees only her own figures.
    let (s, _) = t
        .call(
            "GET",
            "/api/worktime?from=2026-11-30&to=2026-12-06",
            &t.ann,
            None,
        )
        .await;
    assert_eq!(s, 200);
    let (s, _) = t
        .call(
            "GET",
            &format!(
                "/api/worktime?from=2026-11-30&to=2026-12-06&user_id={}",
                t.ann_id + 1
            ),
            &t.ann,
            None,
        )
        .await;
    assert_eq!(s, 404);
    let (s, v) = t
        .call(
            "GET",
            "/api/worktime?from=2026-12-06&to=2026-11-30",
            &t.ann,
            None,
        )
        .await;
    assert_eq!(s, 422, "{v}");

    // An approved week refuses a new absence in it (409), and says which week.
    t.ok(
        "POST",
        &format!("/api/timesheets/{}/2026-W49/approve", t.ann_id),
        &t.lead,
        None,
    )
    .await;
    let (s, v) = t
        .call(
            "POST",
            "/api/absences",
            &t.ann,
            Some(
                json!({ "kind": "vacation", "first_day": "2026-12-04", "last_day": "2026-12-04" }),
            ),
        )
        .await;
    assert_eq!(s, 409, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("2026-W49"),
        "{v}"
    );
}

#[tokio::test]
async fn an_ics_file_becomes_holidays_and_bad_files_are_refused() {
    let t = team("Europe/Berlin").await;
    let ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//EN\r\n\
BEGIN:VEVENT\r\nUID:a\r\nDTSTART;VALUE=DATE:20261225\r\nDTEND;VALUE=DATE:20261227\r\nSUMMARY:Weihnachten\r\nEND:VEVENT\r\n\
END:VCALENDAR\r\n";
    let res = t
        .hub
        .http()
        .post(format!("{}/api/holidays/import", t.hub.url))
        .bearer_auth(&t.admin)
        .header("content-type", "text/calendar")
        .body(ics)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["imported"], 2, "{body}");
    let list = t
        .ok(
            "GET",
            "/api/holidays?from=2026-12-01&to=2026-12-31",
            &t.ann,
            None,
        )
        .await;
    let dates: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|h| h["date"].as_str())
        .collect();
    assert_eq!(dates, ["2026-12-25", "2026-12-26"]);
    let res = t
        .hub
        .http()
        .post(format!("{}/api/holidays/import", t.hub.url))
        .bearer_auth(&t.admin)
        .header("content-type", "text/calendar")
        .body("Date,Name\n2026-12-25,Christmas\n")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 422);
    let body: Value = res.json().await.unwrap();
    assert!(body["error"]["fields"]["file"].is_string(), "{body}");
}

/// Seconds of `[start, end)` inside local `day` of `tz`.
fn overlap_with_day(start: DateTime<Utc>, end: DateTime<Utc>, day: NaiveDate, tz: Tz) -> i64 {
    let midnight = |date: NaiveDate| {
        tz.from_local_datetime(&date.and_hms_opt(0, 0, 0).unwrap())
            .earliest()
            .unwrap()
            .with_timezone(&Utc)
    };
    let (a, b) = (midnight(day), midnight(day.succ_opt().unwrap()));
    (end.min(b) - start.max(a)).num_seconds().max(0)
}

#[tokio::test]
async fn worked_time_is_the_sum_of_the_sessions_across_dst_and_the_turn_of_the_year() {
    let t = team("Europe/Berlin").await;
    let berlin: Tz = "Europe/Berlin".parse().unwrap();
    // Spring forward (2026-03-29, a 23-hour day), fall back (2025-10-26, 25 hours), and the
    // turn of the year, where ISO week 2026-W01 begins on Monday 2025-12-29.
    let windows = [
        ("2026-03-23", "2026-04-05"),
        ("2025-10-20", "2025-11-02"),
        ("2025-12-22", "2026-01-11"),
    ];
    for (seed, (first, last)) in windows.iter().enumerate() {
        let (first, last) = (d(first), d(last));
        let mut rng = rand::rngs::StdRng::seed_from_u64(20261207 + seed as u64);
        let window_start = berlin
            .from_local_datetime(&first.and_hms_opt(0, 0, 0).unwrap())
            .unwrap()
            .with_timezone(&Utc);
        let window_end = berlin
            .from_local_datetime(&last.and_hms_opt(23, 0, 0).unwrap())
            .unwrap()
            .with_timezone(&Utc);
        // Sessions one after another with random gaps, some across midnight, some longer
        // than a day; whole seconds, so every day's share is exact.
        let mut sessions = Vec::new();
        let mut at = window_start + Span::seconds(rng.random_range(0..6 * H));
        loop {
            let length = Span::seconds(if rng.random_bool(0.2) {
                rng.random_range(20 * H..30 * H)
            } else {
                rng.random_range(60..10 * H)
            });
            if at + length > window_end {
                break;
            }
            sessions.push((at, at + length));
            at = at + length + Span::seconds(rng.random_range(60..20 * H));
        }
        assert!(
            sessions.len() >= 5,
            "seed {seed}: {} sessions",
            sessions.len()
        );
        for (start, end) in &sessions {
            t.session(*start, *end).await;
        }
        let figures = t.worktime(&first.to_string(), &last.to_string()).await;
        let total: i64 = sessions.iter().map(|(s, e)| (*e - *s).num_seconds()).sum();
        assert_eq!(
            figures["worked_seconds"], total,
            "seed {seed}: the sum of the sessions"
        );
        for day in figures["days"].as_array().unwrap() {
            let date = d(day["date"].as_str().unwrap());
            let expected: i64 = sessions
                .iter()
                .map(|(s, e)| overlap_with_day(*s, *e, date, berlin))
                .sum();
            assert_eq!(day["worked_seconds"], expected, "seed {seed}, {date}");
            // Planned time does not shrink or grow with the clock change: 8 h on weekdays.
            let weekday = date.weekday().num_days_from_monday() < 5;
            assert_eq!(
                day["planned_seconds"],
                if weekday { 8 * H } else { 0 },
                "{date}"
            );
        }
        // Each whole week of the window says the same on the timesheet.
        let mut monday = first;
        while monday.weekday().num_days_from_monday() != 0 {
            monday = monday.succ_opt().unwrap();
        }
        while monday + Span::days(6) <= last {
            let iso = monday.iso_week();
            let week = format!("{}-W{:02}", iso.year(), iso.week());
            let sheet = t
                .ok("GET", &format!("/api/timesheets?week={week}"), &t.ann, None)
                .await;
            let row = &sheet["users"][0];
            let days: i64 = figures["days"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|day| {
                    let date = d(day["date"].as_str().unwrap());
                    date >= monday && date < monday + Span::days(7)
                })
                .map(|day| day["worked_seconds"].as_i64().unwrap())
                .sum();
            assert_eq!(row["total_seconds"], days, "seed {seed}, {week}: {row}");
            monday += Span::days(7);
        }
    }
}

/// Runs `program args`, failing clearly when poppler-utils is not installed.
fn poppler(program: &str, args: &[&str]) -> String {
    let out = std::process::Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!("{program} (Debian poppler-utils; e2e/scripts/prepare.sh test): {e}")
        });
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test]
async fn the_exports_say_what_the_api_says_and_the_pdf_carries_the_approval() {
    let t = team("UTC").await;
    t.ok(
        "PUT",
        "/api/worktime/plans",
        &t.admin,
        Some(json!({ "user_id": t.ann_id, "valid_from": "2026-11-23", "minutes": [240, 240, 240, 240, 240, 0, 0] })),
    )
    .await;
    let at = |day: &str, hour: u32| d(day).and_hms_opt(hour, 0, 0).unwrap().and_utc();
    t.session(at("2026-12-03", 9), at("2026-12-03", 14)).await;
    t.ok(
        "POST",
        &format!("/api/timesheets/{}/2026-W49/approve", t.ann_id),
        &t.lead,
        None,
    )
    .await;
    let figures = t.worktime("2026-11-30", "2026-12-06").await;
    let hours = |key: &str| figures[key].as_i64().unwrap() as f64 / 3600.0;
    assert_eq!(hours("planned_seconds"), 20.0, "{figures}");

    let get = |ext: &'static str| {
        let url = format!(
            "{}/api/worktime/export.{ext}?week=2026-W49&user_id={}",
            t.hub.url, t.ann_id
        );
        let client = t.hub.http();
        let token = t.lead.clone();
        async move {
            let res = client.get(url).bearer_auth(token).send().await.unwrap();
            assert_eq!(res.status().as_u16(), 200, "{ext}");
            let kind = res.headers()["content-type"].to_str().unwrap().to_string();
            let disposition = res.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .to_string();
            assert!(
                disposition.contains(&format!("timesheet-2026-W49-ann.{ext}")),
                "{disposition}"
            );
            (kind, res.bytes().await.unwrap().to_vec())
        }
    };

    // XLSX: the summary row holds the API's numbers.
    let (kind, xlsx) = get("xlsx").await;
    assert!(kind.contains("spreadsheetml"), "{kind}");
    use calamine::{Data, Reader};
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(xlsx)).expect("an XLSX file");
    let summary = book.worksheet_range("Summary").expect("a Summary sheet");
    let row: Vec<&Data> = summary
        .rows()
        .find(|r| {
            r.first()
                .is_some_and(|c| matches!(c, Data::String(name) if name == "ann"))
        })
        .expect("Ann's row")
        .iter()
        .collect();
    let number = |i: usize| match row[i] {
        Data::Float(f) => *f,
        Data::Int(n) => *n as f64,
        other => panic!("column {i}: {other:?}"),
    };
    assert_eq!(number(1), hours("planned_seconds"));
    assert_eq!(number(2), hours("worked_seconds"));
    assert_eq!(number(3), hours("absence_seconds"));
    assert_eq!(number(5), hours("balance_seconds"));
    assert!(
        book.sheet_names().iter().any(|n| n == "ann"),
        "{:?}",
        book.sheet_names()
    );

    // CSV: a row a day and the totals, in hours.
    let (kind, csv) = get("csv").await;
    assert!(kind.starts_with("text/csv"), "{kind}");
    let csv = String::from_utf8(csv).unwrap();
    assert!(csv.lines().count() >= 8, "{csv}");
    assert!(csv.contains("2026-12-03"), "{csv}");
    assert!(csv.contains("20.00") && csv.contains("5.00"), "{csv}");

    // PDF: its text (pdftotext) has the totals and the approval; a picture of page one.
    let (kind, pdf) = get("pdf").await;
    assert_eq!(kind, "application/pdf");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("timesheet.pdf");
    std::fs::write(&file, &pdf).unwrap();
    let path = file.to_str().unwrap();
    let text = poppler("pdftotext", &["-layout", path, "-"]);
    assert!(text.contains("Timesheet"), "{text}");
    assert!(text.contains("ann"), "{text}");
    assert!(
        text.contains("20:00") && text.contains("5:00"),
        "planned and worked: {text}"
    );
    assert!(
        text.contains("APPROVED") && text.contains("lead"),
        "the stamp: {text}"
    );
    let output = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../e2e/output");
    std::fs::create_dir_all(&output).unwrap();
    let picture = output.join("timesheet-pdf-page1");
    poppler(
        "pdftoppm",
        &[
            "-png",
            "-r",
            "60",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            path,
            picture.to_str().unwrap(),
        ],
    );
    assert!(output.join("timesheet-pdf-page1.png").is_file());
}
