//! Time as the page shows it. The server render shows absolute UTC times only; relative
//! texts ("3 min ago") and session timers need the browser clock, which starts after hydration.

use chrono::{DateTime, Datelike, Timelike, Utc};

/// "2024-05-01 14:03 UTC": the same text on the server and during hydration.
pub fn absolute(at: DateTime<Utc>) -> String {
    let mut out = String::with_capacity(20);
    push_date(&mut out, at);
    out.push(' ');
    push2(&mut out, at.hour());
    out.push(':');
    push2(&mut out, at.minute());
    out.push_str(" UTC");
    out
}

/// The machine-readable form for `<time datetime=…>`: "2024-05-01T14:03:59Z".
pub fn machine(at: DateTime<Utc>) -> String {
    let mut out = String::with_capacity(20);
    push_date(&mut out, at);
    out.push('T');
    push2(&mut out, at.hour());
    out.push(':');
    push2(&mut out, at.minute());
    out.push(':');
    push2(&mut out, at.second());
    out.push('Z');
    out
}

// Hand-written rather than `format("%Y-…")` or `format!`: the status page formats a few
// thousand of these for 1,000 users, and the generic formatting machinery showed up in profiles.
fn push_date(out: &mut String, at: DateTime<Utc>) {
    let year = at.year();
    if (0..=9999).contains(&year) {
        push2(out, year as u32 / 100);
        push2(out, year as u32 % 100);
    } else {
        out.push_str(&year.to_string());
    }
    out.push('-');
    push2(out, at.month());
    out.push('-');
    push2(out, at.day());
}

fn push2(out: &mut String, n: u32) {
    out.push(char::from(b'0' + (n / 10 % 10) as u8));
    out.push(char::from(b'0' + (n % 10) as u8));
}

/// "just now", "42 s ago", "3 min ago", "2 h ago", "5 d ago".
pub fn relative(at: DateTime<Utc>, now_ms: i64) -> String {
    let secs = (now_ms - at.timestamp_millis()).max(0) / 1000;
    match secs {
        0..=9 => "just now".to_string(),
        10..=59 => format!("{secs} s ago"),
        60..=3599 => format!("{} min ago", secs / 60),
        3600..=86_399 => format!("{} h ago", secs / 3600),
        _ => format!("{} d ago", secs / 86_400),
    }
}

/// A running timer: "0:04:09", "12:00:00".
pub fn elapsed(since: DateTime<Utc>, now_ms: i64) -> String {
    let secs = (now_ms - since.timestamp_millis()).max(0) / 1000;
    format!("{}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)
}

/// "5 min", "90 s": the idle threshold in words.
pub fn threshold(seconds: u32) -> String {
    if seconds.is_multiple_of(60) {
        format!("{} min", seconds / 60)
    } else {
        format!("{seconds} s")
    }
}

/// A duration in whole seconds as "H:MM:SS" (hours may exceed 24): totals and finished
/// sessions read like the running timers.
pub fn hms(seconds: i64) -> String {
    let secs = seconds.max(0);
    format!("{}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)
}

/// "3:05": hours and minutes of a duration (timesheet cells, report bars).
pub fn hm(seconds: i64) -> String {
    let secs = seconds.max(0);
    format!("{}:{:02}", secs / 3600, secs / 60 % 60)
}

/// "+6:15", "−1:05", "0:00": a balance or a difference, signed (the minus is U+2212).
pub fn signed_hm(seconds: i64) -> String {
    match seconds {
        0 => "0:00".to_string(),
        s if s > 0 => format!("+{}", hm(s)),
        s => format!("\u{2212}{}", hm(-s)),
    }
}

/// "2024-05-01": the day of an instant, UTC.
pub fn day(at: DateTime<Utc>) -> String {
    let mut out = String::with_capacity(10);
    push_date(&mut out, at);
    out
}

/// The current time in ms since the epoch: the browser's clock after hydration (chrono has no
/// clock on wasm32-unknown-unknown), the system's on the server.
pub fn now_ms() -> i64 {
    #[cfg(feature = "hydrate")]
    {
        js_sys::Date::now() as i64
    }
    #[cfg(not(feature = "hydrate"))]
    {
        Utc::now().timestamp_millis()
    }
}

/// A `<input type="datetime-local">` value ("2024-05-01T14:30", the viewer's local time) as
/// a UTC instant, read by the browser, which knows the viewer's time zone. `None` if empty or
/// unreadable (and always on the server, which never handles form input).
pub fn local_input_to_utc(value: &str) -> Option<DateTime<Utc>> {
    if value.trim().is_empty() {
        return None;
    }
    #[cfg(feature = "hydrate")]
    {
        let ms = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(value)).get_time();
        if ms.is_nan() {
            return None;
        }
        DateTime::<Utc>::from_timestamp_millis(ms as i64)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        None
    }
}

/// A UTC instant as a `<input type="datetime-local">` value in the viewer's time zone
/// ("2024-05-01T14:30"), as the browser knows it; UTC on the server.
pub fn utc_to_local_input(at: DateTime<Utc>) -> String {
    #[cfg(feature = "hydrate")]
    {
        let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(
            at.timestamp_millis() as f64
        ));
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}",
            d.get_full_year(),
            d.get_month() + 1,
            d.get_date(),
            d.get_hours(),
            d.get_minutes()
        )
    }
    #[cfg(not(feature = "hydrate"))]
    {
        at.format("%Y-%m-%dT%H:%M").to_string()
    }
}

/// Starts the browser clock: sets `now_ms` at once, then every second.
#[cfg(feature = "hydrate")]
pub fn start_clock(now_ms: leptos::prelude::RwSignal<Option<i64>>) {
    use leptos::prelude::{set_interval_with_handle, Set};
    let tick = move || now_ms.set(Some(js_sys::Date::now() as i64));
    tick();
    // The page lives as long as the clock; the interval is never cleared.
    _ = set_interval_with_handle(tick, std::time::Duration::from_secs(1));
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32, m: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 5, 1, h, m, s).unwrap()
    }

    #[test]
    fn absolute_is_utc_minutes() {
        assert_eq!(absolute(at(14, 3, 59)), "2024-05-01 14:03 UTC");
    }

    #[test]
    fn machine_is_rfc3339_seconds() {
        assert_eq!(machine(at(14, 3, 59)), "2024-05-01T14:03:59Z");
        let early = Utc.with_ymd_and_hms(987, 1, 2, 3, 4, 5).unwrap();
        assert_eq!(machine(early), "0987-01-02T03:04:05Z");
        assert_eq!(absolute(early), "0987-01-02 03:04 UTC");
    }

    #[test]
    fn relative_texts() {
        let t = at(12, 0, 0);
        let ms = t.timestamp_millis();
        assert_eq!(relative(t, ms - 5_000), "just now");
        assert_eq!(relative(t, ms + 3_000), "just now");
        assert_eq!(relative(t, ms + 42_000), "42 s ago");
        assert_eq!(relative(t, ms + 185_000), "3 min ago");
        assert_eq!(relative(t, ms + 7_300_000), "2 h ago");
        assert_eq!(relative(t, ms + 5 * 86_400_000), "5 d ago");
    }

    #[test]
    fn elapsed_is_h_mm_ss() {
        let t = at(12, 0, 0);
        let ms = t.timestamp_millis();
        assert_eq!(elapsed(t, ms + 249_000), "0:04:09");
        assert_eq!(elapsed(t, ms + 43_200_000), "12:00:00");
        assert_eq!(elapsed(t, ms - 1_000), "0:00:00");
    }

    #[test]
    fn hms_and_day() {
        assert_eq!(hms(0), "0:00:00");
        assert_eq!(hms(94_000), "26:06:40");
        assert_eq!(hms(-5), "0:00:00");
        assert_eq!(hm(3 * 3600 + 5 * 60 + 59), "3:05");
        assert_eq!(hm(0), "0:00");
        assert_eq!(day(at(23, 59, 59)), "2024-05-01");
    }

    #[test]
    fn threshold_words() {
        assert_eq!(threshold(300), "5 min");
        assert_eq!(threshold(90), "90 s");
    }
}
