//! The timesheet as an Excel workbook: a "Summary" sheet with a row per person, then a sheet
//! per person with the days, the totals, the balance and the approvals.
//!
//! Hours are real numbers (exact, shown with two places) and totals are values, not formulas:
//! a reader without a calc engine sees them too. Dates are "YYYY-MM-DD" text.

use std::collections::HashSet;

use chrono::Datelike;
use rust_xlsxwriter::{ColNum, Format, RowNum, Workbook, Worksheet, XlsxError};

use super::{decimal_hours, ExportError, PersonSheet, TimesheetExport, WeekApproval};

const SUMMARY_SHEET: &str = "Summary";
/// Excel's limit on a sheet name, in UTF-16 units (as the writer counts them).
const SHEET_NAME_MAX: usize = 31;
/// Characters Excel does not allow in a sheet name.
const NOT_IN_SHEET_NAMES: [char; 7] = ['[', ']', ':', '*', '?', '/', '\\'];

const HOURS_FORMAT: &str = "0.00";
const SUMMARY_HEADER: [&str; 7] = [
    "Person",
    "Planned h",
    "Worked h",
    "Absence h",
    "Difference h",
    "Balance h",
    "Balance since",
];
const DAYS_HEADER: [&str; 7] = [
    "Date",
    "Day",
    "Planned h",
    "Worked h",
    "Absence h",
    "Difference h",
    "Note",
];
/// Below the title lines: the row of column names, then the data.
const HEADER_ROW: RowNum = 4;
/// The first of the Summary's columns with a week's approval.
const FIRST_WEEK_COLUMN: ColNum = 7;
/// The hour columns of a person's sheet: planned, worked, absence, difference.
const FIRST_HOURS_COLUMN: ColNum = 2;
const NOTE_COLUMN: ColNum = 6;

/// The export as the bytes of an .xlsx file.
pub fn xlsx(export: &TimesheetExport) -> Result<Vec<u8>, ExportError> {
    let styles = Styles::new();
    let mut workbook = Workbook::new();
    write_summary(
        workbook.add_worksheet().set_name(SUMMARY_SHEET)?,
        export,
        &styles,
    )?;
    for (person, name) in export.people.iter().zip(sheet_names(&export.people)) {
        write_person(
            workbook.add_worksheet().set_name(name)?,
            export,
            person,
            &styles,
        )?;
    }
    Ok(workbook.save_to_buffer()?)
}

/// The cell formats, made once for the whole workbook.
struct Styles {
    title: Format,
    bold: Format,
    hours: Format,
    bold_hours: Format,
}

impl Styles {
    fn new() -> Self {
        Self {
            title: Format::new().set_bold().set_font_size(14.0),
            bold: Format::new().set_bold(),
            hours: Format::new().set_num_format(HOURS_FORMAT),
            bold_hours: Format::new().set_bold().set_num_format(HOURS_FORMAT),
        }
    }
}

fn write_summary(
    sheet: &mut Worksheet,
    export: &TimesheetExport,
    styles: &Styles,
) -> Result<(), XlsxError> {
    sheet.write_string_with_format(
        0,
        0,
        format!("Timesheets — {}", export.organization),
        &styles.title,
    )?;
    sheet.write_string(1, 0, period_line(export))?;
    let weeks = week_labels(&export.people);
    for (column, label) in (0..).zip(SUMMARY_HEADER) {
        sheet.write_string_with_format(HEADER_ROW, column, label, &styles.bold)?;
    }
    for (column, week) in (FIRST_WEEK_COLUMN..).zip(&weeks) {
        sheet.write_string_with_format(HEADER_ROW, column, format!("Week {week}"), &styles.bold)?;
    }
    for (row, person) in (HEADER_ROW + 1..).zip(&export.people) {
        sheet.write_string(row, 0, &person.name)?;
        let totals = [
            person.planned_seconds,
            person.worked_seconds,
            person.absence_seconds,
            person.difference_seconds,
            person.balance_seconds,
        ];
        for (column, seconds) in (1..).zip(totals) {
            sheet.write_number_with_format(row, column, hours(seconds), &styles.hours)?;
        }
        sheet.write_string(row, 6, person.balance_from.to_string())?;
        for (column, week) in (FIRST_WEEK_COLUMN..).zip(&weeks) {
            if let Some(approval) = person.weeks.iter().find(|a| a.week.as_str() == *week) {
                sheet.write_string(row, column, &approval.state)?;
            }
        }
    }
    sheet.set_column_width(0, 28.0)?;
    for column in 1..FIRST_WEEK_COLUMN {
        sheet.set_column_width(column, 13.0)?;
    }
    for (column, _) in (FIRST_WEEK_COLUMN..).zip(&weeks) {
        sheet.set_column_width(column, 15.0)?;
    }
    Ok(())
}

fn write_person(
    sheet: &mut Worksheet,
    export: &TimesheetExport,
    person: &PersonSheet,
    styles: &Styles,
) -> Result<(), XlsxError> {
    sheet.write_string_with_format(0, 0, format!("Timesheet — {}", person.name), &styles.title)?;
    sheet.write_string(1, 0, &export.organization)?;
    sheet.write_string(2, 0, period_line(export))?;
    for (column, label) in (0..).zip(DAYS_HEADER) {
        sheet.write_string_with_format(HEADER_ROW, column, label, &styles.bold)?;
    }

    let mut row = HEADER_ROW + 1;
    for day in &person.days {
        sheet.write_string(row, 0, day.date.to_string())?;
        sheet.write_string(row, 1, day.date.weekday().to_string())?;
        let seconds = [
            day.planned_seconds,
            day.worked_seconds,
            day.absence_seconds,
            day.difference_seconds(),
        ];
        write_hours(sheet, row, seconds, &styles.hours)?;
        if let Some(note) = &day.note {
            sheet.write_string(row, NOTE_COLUMN, note)?;
        }
        row += 1;
    }

    sheet.write_string_with_format(row, 0, "Total", &styles.bold)?;
    let totals = [
        person.planned_seconds,
        person.worked_seconds,
        person.absence_seconds,
        person.difference_seconds,
    ];
    write_hours(sheet, row, totals, &styles.bold_hours)?;

    row += 2;
    sheet.write_string(
        row,
        0,
        format!(
            "Balance carried since {}: {:+.2} h",
            person.balance_from,
            decimal_hours(person.balance_seconds)
        ),
    )?;

    row += 2;
    sheet.write_string_with_format(row, 0, "Approvals", &styles.bold)?;
    for week in &person.weeks {
        row += 1;
        sheet.write_string(row, 0, approval_line(week, &export.timezone))?;
    }

    sheet.set_column_width(0, 12.0)?;
    sheet.set_column_width(1, 6.0)?;
    for column in FIRST_HOURS_COLUMN..NOTE_COLUMN {
        sheet.set_column_width(column, 13.0)?;
    }
    sheet.set_column_width(NOTE_COLUMN, 30.0)?;
    Ok(())
}

/// Planned, worked, absence and difference hours from the hour columns on.
fn write_hours(
    sheet: &mut Worksheet,
    row: RowNum,
    seconds: [i64; 4],
    format: &Format,
) -> Result<(), XlsxError> {
    for (column, value) in (FIRST_HOURS_COLUMN..).zip(seconds) {
        sheet.write_number_with_format(row, column, hours(value), format)?;
    }
    Ok(())
}

/// Exact hours: the cell's format rounds for display, a sum over cells stays exact.
fn hours(seconds: i64) -> f64 {
    seconds as f64 / 3600.0
}

/// "Week 2026-W49: 2026-11-30 to 2026-12-06 (Europe/Berlin)".
fn period_line(export: &TimesheetExport) -> String {
    format!(
        "{}: {} to {} ({})",
        export.period_label, export.from, export.to, export.timezone
    )
}

/// "2026-W49: approved by Grace Hopper on 2026-12-07" or "2026-W50: open".
fn approval_line(week: &WeekApproval, timezone: &str) -> String {
    if week.is_approved() {
        format!("{}: approved {}", week.week, week.approved_by(timezone))
    } else {
        format!("{}: {}", week.week, week.state)
    }
}

/// Every week any person has an approval for, in order ("2026-W49" sorts as text).
fn week_labels(people: &[PersonSheet]) -> Vec<&str> {
    let mut weeks: Vec<&str> = Vec::new();
    for approval in people.iter().flat_map(|person| &person.weeks) {
        if !weeks.contains(&approval.week.as_str()) {
            weeks.push(&approval.week);
        }
    }
    weeks.sort_unstable();
    weeks
}

/// A sheet name per person that Excel accepts: cut to 31 UTF-16 units, without `[]:*?/\`,
/// no apostrophe first or last, unique ignoring case, and neither "Summary" nor "History"
/// (Excel keeps that one for itself).
fn sheet_names(people: &[PersonSheet]) -> Vec<String> {
    let mut taken = HashSet::from([SUMMARY_SHEET.to_lowercase(), "history".to_owned()]);
    people
        .iter()
        .map(|person| unique_sheet_name(&cleaned_sheet_name(person), &mut taken))
        .collect()
}

/// The person's name without the characters Excel refuses; "Person 7" if nothing is left.
fn cleaned_sheet_name(person: &PersonSheet) -> String {
    let replaced: String = person
        .name
        .chars()
        .map(|c| {
            if NOT_IN_SHEET_NAMES.contains(&c) || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    match trimmed_sheet_name(&replaced) {
        "" => format!("Person {}", person.user_id),
        name => name.to_owned(),
    }
}

/// `base` cut to fit, with " (2)", " (3)", … added until no sheet has the name yet.
fn unique_sheet_name(base: &str, taken: &mut HashSet<String>) -> String {
    let mut name = trimmed_sheet_name(cut_utf16(base, SHEET_NAME_MAX)).to_owned();
    let mut number = 2;
    while taken.contains(&name.to_lowercase()) {
        let suffix = format!(" ({number})");
        let room = SHEET_NAME_MAX.saturating_sub(suffix.len());
        name = format!("{}{suffix}", trimmed_sheet_name(cut_utf16(base, room)));
        number += 1;
    }
    taken.insert(name.to_lowercase());
    name
}

/// Excel refuses an apostrophe at either end; spaces there are only confusing.
fn trimmed_sheet_name(name: &str) -> &str {
    name.trim_matches(|c: char| c == '\'' || c.is_whitespace())
}

/// The longest start of `text` of at most `max_units` UTF-16 units, cut between characters.
fn cut_utf16(text: &str, max_units: usize) -> &str {
    let mut units = 0;
    for (index, c) in text.char_indices() {
        units += c.len_utf16();
        if units > max_units {
            return &text[..index];
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exports::sample;
    use calamine::{open_workbook_from_rs, Data, Range, Reader, Xlsx};
    use std::io::Cursor;

    fn read_back(export: &TimesheetExport) -> Xlsx<Cursor<Vec<u8>>> {
        let bytes = xlsx(export).expect("the workbook is written");
        open_workbook_from_rs(Cursor::new(bytes)).expect("calamine opens the workbook")
    }

    fn sheet(workbook: &mut Xlsx<Cursor<Vec<u8>>>, name: &str) -> Range<Data> {
        workbook.worksheet_range(name).expect("the sheet is there")
    }

    /// The row whose first cell is the text `first`.
    fn row_of<'a>(range: &'a Range<Data>, first: &str) -> &'a [Data] {
        range
            .rows()
            .find(|row| matches!(row.first(), Some(Data::String(text)) if text.as_str() == first))
            .unwrap_or_else(|| panic!("no row starts with {first:?}"))
    }

    fn numbers(cells: &[Data]) -> Vec<f64> {
        cells
            .iter()
            .map(|cell| match cell {
                Data::Float(value) => *value,
                other => panic!("expected a number, found {other:?}"),
            })
            .collect()
    }

    fn exact_hours(seconds: &[i64]) -> Vec<f64> {
        seconds.iter().map(|&s| hours(s)).collect()
    }

    #[test]
    fn has_a_summary_then_a_sheet_per_person() {
        let workbook = read_back(&sample());
        assert_eq!(
            workbook.sheet_names(),
            ["Summary", "Ada Lovelace", "Zoë \"Zed\" Brandt, Jr."]
        );
    }

    #[test]
    fn summary_has_each_persons_numbers_and_approvals() {
        let export = sample();
        let mut workbook = read_back(&export);
        let summary = sheet(&mut workbook, "Summary");
        let header = row_of(&summary, "Person");
        assert_eq!(
            header[usize::from(FIRST_WEEK_COLUMN)],
            Data::String("Week 2026-W49".into())
        );
        for (person, state) in export.people.iter().zip(["approved", "open"]) {
            let row = row_of(&summary, &person.name);
            assert_eq!(
                numbers(&row[1..6]),
                exact_hours(&[
                    person.planned_seconds,
                    person.worked_seconds,
                    person.absence_seconds,
                    person.difference_seconds,
                    person.balance_seconds,
                ])
            );
            assert_eq!(row[6], Data::String(person.balance_from.to_string()));
            assert_eq!(
                row[usize::from(FIRST_WEEK_COLUMN)],
                Data::String(state.into())
            );
        }
        // Ada's numbers, spelled out: 32 h planned, 25.5 worked, 8 absent, +1.5, +12.5.
        assert_eq!(
            numbers(&row_of(&summary, "Ada Lovelace")[1..6]),
            [32.0, 25.5, 8.0, 1.5, 12.5]
        );
    }

    #[test]
    fn person_sheet_has_days_totals_balance_and_approvals() {
        let export = sample();
        let zoe = &export.people[1];
        let mut workbook = read_back(&export);
        let range = sheet(&mut workbook, &zoe.name);

        let tuesday = row_of(&range, "2026-12-01");
        assert_eq!(tuesday[1], Data::String("Tue".into()));
        assert_eq!(numbers(&tuesday[2..6]), [6.0, 3.0, 3.0, 0.0]);
        assert_eq!(tuesday[6], Data::String("sick (half day)".into()));

        let total = row_of(&range, "Total");
        assert_eq!(
            numbers(&total[2..6]),
            exact_hours(&[
                zoe.planned_seconds,
                zoe.worked_seconds,
                zoe.absence_seconds,
                zoe.difference_seconds,
            ])
        );
        assert_eq!(numbers(&total[2..6]), [24.0, 21.5, 3.0, 0.5]);

        row_of(&range, "Balance carried since 2026-09-01: -1.08 h");
        row_of(&range, "2026-W49: open");
        let ada = sheet(&mut workbook, "Ada Lovelace");
        row_of(&ada, "2026-W49: approved by Grace Hopper on 2026-12-07");
    }

    #[test]
    fn totals_row_is_the_sum_of_the_day_rows() {
        let export = sample();
        let mut workbook = read_back(&export);
        for person in &export.people {
            let range = sheet(&mut workbook, &person.name);
            let days: Vec<Vec<f64>> = person
                .days
                .iter()
                .map(|day| numbers(&row_of(&range, &day.date.to_string())[2..6]))
                .collect();
            let total = numbers(&row_of(&range, "Total")[2..6]);
            for (column, value) in total.iter().enumerate() {
                let sum: f64 = days.iter().map(|day| day[column]).sum();
                assert!(
                    (sum - value).abs() < 1e-9,
                    "{}: column {column}",
                    person.name
                );
            }
        }
    }

    fn named(names: &[&str]) -> TimesheetExport {
        let mut export = sample();
        let template = export.people[0].clone();
        export.people = (1..)
            .zip(names)
            .map(|(user_id, name)| PersonSheet {
                user_id,
                name: (*name).to_owned(),
                ..template.clone()
            })
            .collect();
        export
    }

    #[test]
    fn sheet_names_follow_excels_rules() {
        let long = "Maximiliane Alexandra von Hohenzollern-Sigmaringen";
        let export = named(&[
            "Ada",
            "ADA",
            "Summary",
            "history",
            "a/b:c*d?e[f]g\\h",
            "'Quoted'",
            "  ",
            long,
            long,
        ]);
        let expected = [
            "Ada",
            "ADA (2)",
            "Summary (2)",
            "history (2)",
            "a_b_c_d_e_f_g_h",
            "Quoted",
            "Person 7",
            "Maximiliane Alexandra von Hohen",
            "Maximiliane Alexandra von H (2)",
        ];
        assert_eq!(sheet_names(&export.people), expected);

        // The writer accepts them all, and a reader finds them.
        let workbook = read_back(&export);
        assert_eq!(workbook.sheet_names()[1..], expected);
    }

    #[test]
    fn cut_utf16_counts_as_excel_does() {
        // "𝄞" is two UTF-16 units: it does not fit in the last one.
        assert_eq!(cut_utf16("ab𝄞", 3), "ab");
        assert_eq!(cut_utf16("ab𝄞", 4), "ab𝄞");
        assert_eq!(cut_utf16("Zoë", 31), "Zoë");
    }
}
