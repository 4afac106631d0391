//! The timesheet as CSV (RFC 4180): a header, then for each person a row per day and a totals
//! row. Hours are decimal with two places and a dot, so any locale's spreadsheet reads them.

use std::borrow::Cow;

use chrono::Datelike;

use super::{decimal_hours, PersonSheet, TimesheetExport};

const HEADER: [&str; 8] = [
    "person",
    "date",
    "weekday",
    "planned_hours",
    "worked_hours",
    "absence_hours",
    "difference_hours",
    "note",
];

/// Spreadsheet programs run a cell that starts with one of these as a formula (CSV injection).
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// One cell of a row.
enum Field<'a> {
    /// Text: guarded against formulas and quoted where needed.
    Text(&'a str),
    /// Seconds, written as decimal hours (a number, so never guarded: "-1.50" stays a number).
    Hours(i64),
}

/// The export as CSV text, lines ending in CRLF as RFC 4180 has them.
pub fn csv(export: &TimesheetExport) -> String {
    let mut out = String::new();
    push_row(&mut out, &HEADER.map(Field::Text));
    for person in &export.people {
        push_person(&mut out, person);
    }
    out
}

fn push_person(out: &mut String, person: &PersonSheet) {
    for day in &person.days {
        let date = day.date.to_string();
        let weekday = day.date.weekday().to_string();
        push_row(
            out,
            &[
                Field::Text(&person.name),
                Field::Text(&date),
                Field::Text(&weekday),
                Field::Hours(day.planned_seconds),
                Field::Hours(day.worked_seconds),
                Field::Hours(day.absence_seconds),
                Field::Hours(day.difference_seconds()),
                Field::Text(day.note.as_deref().unwrap_or_default()),
            ],
        );
    }
    let balance = format!(
        "balance since {}: {:+.2}",
        person.balance_from,
        decimal_hours(person.balance_seconds)
    );
    push_row(
        out,
        &[
            Field::Text(&person.name),
            Field::Text("total"),
            Field::Text(""),
            Field::Hours(person.planned_seconds),
            Field::Hours(person.worked_seconds),
            Field::Hours(person.absence_seconds),
            Field::Hours(person.difference_seconds),
            Field::Text(&balance),
        ],
    );
}

fn push_row(out: &mut String, fields: &[Field<'_>]) {
    for (index, field) in fields.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        match field {
            Field::Text(text) => out.push_str(&quoted(&guarded(text))),
            Field::Hours(seconds) => out.push_str(&format!("{:.2}", decimal_hours(*seconds))),
        }
    }
    out.push_str("\r\n");
}

/// A leading apostrophe makes a spreadsheet show a would-be formula as text.
fn guarded(text: &str) -> Cow<'_, str> {
    if text.starts_with(FORMULA_STARTS) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// RFC 4180: a field with a comma, a quote or a line break is quoted, its quotes doubled.
fn quoted(text: &str) -> Cow<'_, str> {
    if text.contains([',', '"', '\r', '\n']) {
        Cow::Owned(format!("\"{}\"", text.replace('"', "\"\"")))
    } else {
        Cow::Borrowed(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exports::sample;

    /// The records as an independent RFC 4180 reader sees them.
    fn records(text: &str) -> Vec<::csv::StringRecord> {
        ::csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(text.as_bytes())
            .records()
            .collect::<Result<_, _>>()
            .expect("well-formed CSV")
    }

    fn fields(record: &::csv::StringRecord) -> Vec<&str> {
        record.iter().collect()
    }

    #[test]
    fn starts_with_the_header_row() {
        let text = csv(&sample());
        assert!(text.starts_with(
            "person,date,weekday,planned_hours,worked_hours,absence_hours,difference_hours,note\r\n"
        ));
    }

    #[test]
    fn writes_a_row_per_day_and_a_totals_row_per_person() {
        let export = sample();
        let rows = records(&csv(&export));
        assert_eq!(rows.len(), 1 + 2 * (7 + 1));
        assert_eq!(
            fields(&rows[1]),
            [
                "Ada Lovelace",
                "2026-11-30",
                "Mon",
                "8.00",
                "8.50",
                "0.00",
                "0.50",
                ""
            ]
        );
        // Wednesday's vacation: no work, absence counted, no difference.
        assert_eq!(fields(&rows[3])[5..], ["8.00", "0.00", "vacation"]);
        assert_eq!(fields(&rows[8])[1..4], ["total", "", "32.00"]);
        assert_eq!(&rows[8][7], "balance since 2026-01-01: +12.50");
    }

    #[test]
    fn quotes_a_name_with_a_comma_and_quotes() {
        let text = csv(&sample());
        assert!(text.contains("\r\n\"Zoë \"\"Zed\"\" Brandt, Jr.\",2026-11-30,"));
        let rows = records(&text);
        assert_eq!(&rows[9][0], "Zoë \"Zed\" Brandt, Jr.");
        assert_eq!(&rows[10][7], "sick (half day)");
    }

    #[test]
    fn guards_text_against_formula_injection_but_not_numbers() {
        let mut export = sample();
        export.people[0].name = "=HYPERLINK(\"http://evil.example\",\"x\")".to_owned();
        export.people[0].days[0].note = Some("+1+1".to_owned());
        export.people[0].days[1].note = Some("@SUM(A1:A2)".to_owned());
        export.people[0].days[3].note = Some("-2+3".to_owned());
        let rows = records(&csv(&export));
        assert_eq!(&rows[1][0], "'=HYPERLINK(\"http://evil.example\",\"x\")");
        assert_eq!(&rows[1][7], "'+1+1");
        assert_eq!(&rows[2][7], "'@SUM(A1:A2)");
        assert_eq!(&rows[4][7], "'-2+3");
        // Tuesday is a quarter of an hour short: a negative number, left as one.
        assert_eq!(&rows[2][6], "-0.25");
        assert_eq!(&rows[2][0], &rows[1][0]);
    }

    #[test]
    fn totals_rows_are_the_sums_of_the_days() {
        let export = sample();
        let rows = records(&csv(&export));
        let hours = |field: &str| field.parse::<f64>().expect("hours are numbers");
        let mut rows = rows.iter().skip(1);
        for person in &export.people {
            let days: Vec<_> = rows.by_ref().take(person.days.len()).collect();
            let total = rows.next().expect("a totals row");
            assert_eq!(&total[0], person.name);
            assert_eq!(&total[1], "total");
            for column in 3..=6 {
                let sum: f64 = days.iter().map(|row| hours(&row[column])).sum();
                // Each day is rounded to 0.01 on its own: the sum may be off by the roundings.
                assert!(
                    (sum - hours(&total[column])).abs() < 0.005,
                    "{}: column {column} sums to {sum}, total says {}",
                    person.name,
                    &total[column]
                );
            }
            let expected = [
                person.planned_seconds,
                person.worked_seconds,
                person.absence_seconds,
                person.difference_seconds,
            ]
            .map(|seconds| format!("{:.2}", decimal_hours(seconds)));
            assert_eq!(fields(total)[3..7], expected);
        }
        assert!(rows.next().is_none());
    }
}
