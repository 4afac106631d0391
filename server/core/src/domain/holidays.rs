//! Holidays read from an iCalendar file (RFC 5545, as public-holiday calendars publish them):
//! each event's days, from `DTSTART` to the day before `DTEND` (or `DTSTART` alone), named by
//! its `SUMMARY`. The file is parsed by the `icalendar` crate; this module only decides which
//! days an event means and refuses files that are not calendars.

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::NaiveDate;
use icalendar::{Calendar, CalendarComponent, Component};

/// The most days one import may add (a few years of any country's holidays).
pub const MAX_IMPORTED_DAYS: usize = 1000;
/// The longest event read as holidays (a plant shutdown of a month, not a year).
const MAX_EVENT_DAYS: i64 = 31;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IcsError {
    #[error("this is not an iCalendar file: {0}")]
    NotACalendar(String),
    #[error("the calendar holds no events with a date")]
    NoEvents,
    #[error("the calendar holds more than {MAX_IMPORTED_DAYS} days")]
    TooMany,
}

/// The days of the calendar's events, each with its name (the first event of a day names
/// it), in date order.
pub fn holidays_from_ics(text: &str) -> Result<Vec<(NaiveDate, String)>, IcsError> {
    if !text.trim_start().starts_with("BEGIN:VCALENDAR") {
        return Err(IcsError::NotACalendar(
            "it must begin with BEGIN:VCALENDAR".into(),
        ));
    }
    let calendar = Calendar::from_str(text)
        .map_err(|e| IcsError::NotACalendar(e.lines().next().unwrap_or_default().to_string()))?;
    let mut days: BTreeMap<NaiveDate, String> = BTreeMap::new();
    for component in &calendar.components {
        let CalendarComponent::Event(event) = component else {
            continue;
        };
        let Some(start) = event.get_start().map(|s| s.date_naive()) else {
            continue;
        };
        // DTEND of an all-day event is the day after its last day; a timed end is its day.
        let last = match event.get_end() {
            Some(icalendar::DatePerhapsTime::Date(end)) => end.pred_opt().unwrap_or(end),
            Some(end) => end.date_naive(),
            None => start,
        }
        .max(start);
        if (last - start).num_days() >= MAX_EVENT_DAYS {
            continue;
        }
        let name = event
            .get_summary()
            .map(holiday_name)
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "Holiday".to_string());
        for day in start.iter_days().take_while(|d| *d <= last) {
            days.entry(day).or_insert_with(|| name.clone());
            if days.len() > MAX_IMPORTED_DAYS {
                return Err(IcsError::TooMany);
            }
        }
    }
    if days.is_empty() {
        return Err(IcsError::NoEvents);
    }
    Ok(days.into_iter().collect())
}

/// The longest holiday name kept, in characters.
const MAX_NAME_CHARS: usize = 200;

/// A SUMMARY as a one-line name: escapes read, every run of whitespace or control characters
/// one space, at most [`MAX_NAME_CHARS`], no space at either end (cut after the collapse, so
/// a cut never leaves one).
fn holiday_name(summary: &str) -> String {
    let text = unescape(summary);
    let words = text
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty());
    let mut name = String::new();
    for word in words {
        if !name.is_empty() {
            name.push(' ');
        }
        name.push_str(word);
    }
    name.chars()
        .take(MAX_NAME_CHARS)
        .collect::<String>()
        .trim_end()
        .to_string()
}

/// RFC 5545 TEXT escapes: `\\`, `\;`, `\,`, `\n`.
fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n' | 'N') => out.push(' '),
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    const GERMANY: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//Holidays//EN\r\n\
BEGIN:VEVENT\r\nUID:1@test\r\nDTSTART;VALUE=DATE:20261225\r\nDTEND;VALUE=DATE:20261226\r\nSUMMARY:Erster Weihnachtstag\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:2@test\r\nDTSTART;VALUE=DATE:20261226\r\nSUMMARY:Zweiter Weihnachts\r\n tag\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:3@test\r\nDTSTART;VALUE=DATE:20261228\r\nDTEND;VALUE=DATE:20261231\r\nSUMMARY:Betriebsferien\\, Werk 2\r\nEND:VEVENT\r\n\
END:VCALENDAR\r\n";

    #[test]
    fn a_name_is_one_line_and_a_cut_leaves_no_space_at_its_end() {
        assert_eq!(holiday_name("  New\\nYear\u{7}\t Day \r\n"), "New Year Day");
        let long = format!("{} tail", "x".repeat(MAX_NAME_CHARS - 1));
        let cut = holiday_name(&long);
        assert_eq!(
            cut,
            "x".repeat(MAX_NAME_CHARS - 1),
            "the space at the cut is dropped"
        );
    }

    #[test]
    fn all_day_events_become_their_days_with_their_names() {
        let days = holidays_from_ics(GERMANY).unwrap();
        assert_eq!(
            days,
            vec![
                (d("2026-12-25"), "Erster Weihnachtstag".to_string()),
                (d("2026-12-26"), "Zweiter Weihnachtstag".to_string()),
                (d("2026-12-28"), "Betriebsferien, Werk 2".to_string()),
                (d("2026-12-29"), "Betriebsferien, Werk 2".to_string()),
                (d("2026-12-30"), "Betriebsferien, Werk 2".to_string()),
            ],
            "DTEND is exclusive; a folded SUMMARY is unfolded; escapes are read"
        );
    }

    #[test]
    fn what_is_not_a_calendar_is_refused_clearly() {
        assert!(matches!(
            holidays_from_ics("date,name\n2026-12-25,Christmas\n"),
            Err(IcsError::NotACalendar(_))
        ));
        assert_eq!(
            holidays_from_ics("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"),
            Err(IcsError::NoEvents)
        );
    }

    #[test]
    fn a_year_long_event_is_not_a_year_of_holidays() {
        let text = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20260101\r\nDTEND;VALUE=DATE:20270101\r\nSUMMARY:Year\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nDTSTART:20260501T000000Z\r\nSUMMARY:Labour Day\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        assert_eq!(
            holidays_from_ics(text).unwrap(),
            vec![(d("2026-05-01"), "Labour Day".to_string())]
        );
    }
}
