//! The signed-off timesheet as PDF: A4 portrait, a page (or more) per person with the days,
//! the totals, the balance and the approval stamps, and a footer on every page.
//!
//! Text is set in the standard Helvetica fonts, which every PDF reader has, so no font file is
//! embedded; it is WinAnsi-encoded (which has "ë" and "—") and the content streams are left
//! uncompressed, so `pdftotext` gets the text back verbatim. The page is laid out first as a
//! list of marks (text, rules, frames), then drawn.

use chrono::{DateTime, Datelike, Timelike, Utc};
use pdf_writer::{Content, Date, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

use super::{
    hours_minutes, signed_hours_minutes, ExportDay, ExportError, PersonSheet, TimesheetExport,
    WeekApproval,
};

/// A4 portrait, in PDF points (1/72 inch).
const PAGE_WIDTH: f32 = 595.28;
const PAGE_HEIGHT: f32 = 841.89;
const LEFT: f32 = 56.0;
const RIGHT: f32 = PAGE_WIDTH - 56.0;
/// Where a page's first line hangs from.
const TOP: f32 = PAGE_HEIGHT - 50.0;
/// No body line goes below this: the footer's room.
const BODY_BOTTOM: f32 = 72.0;
const FOOTER_Y: f32 = 40.0;

const ROW_HEIGHT: f32 = 14.0;
// The table's columns: text starts at its column's left edge, hours end at its right edge.
const DATE_X: f32 = LEFT;
const DAY_X: f32 = LEFT + 70.0;
const PLANNED_RIGHT: f32 = LEFT + 160.0;
const WORKED_RIGHT: f32 = LEFT + 215.0;
const ABSENCE_RIGHT: f32 = LEFT + 270.0;
const DIFFERENCE_RIGHT: f32 = LEFT + 335.0;
const NOTE_X: f32 = LEFT + 350.0;

/// The rule above the totals, the totals line and the balance line.
const TOTALS_HEIGHT: f32 = 6.0 + 16.0 + 16.0;
const STAMP_WIDTH: f32 = 230.0;
const STAMP_HEIGHT: f32 = 48.0;
/// A stamp with the gap above it.
const STAMP_SPACE: f32 = 8.0 + STAMP_HEIGHT;
const NOT_APPROVED_HEIGHT: f32 = 16.0;

const HEADING: Style = Style::new(Face::Bold, 16.0, Ink::Black);
const BODY: Style = Style::new(Face::Regular, 10.0, Ink::Black);
const TABLE: Style = Style::new(Face::Regular, 9.0, Ink::Black);
const TABLE_HEAD: Style = Style::new(Face::Regular, 9.0, Ink::Gray);
const TOTALS: Style = Style::new(Face::Bold, 10.0, Ink::Black);
const SECTION: Style = Style::new(Face::Bold, 11.0, Ink::Black);
const STAMP_TITLE: Style = Style::new(Face::Bold, 14.0, Ink::Green);
const STAMP_TEXT: Style = Style::new(Face::Regular, 9.0, Ink::Green);
const NOT_APPROVED: Style = Style::new(Face::Bold, 11.0, Ink::Red);
const FOOTER: Style = Style::new(Face::Regular, 8.0, Ink::Gray);

/// The export as the bytes of a PDF file.
pub fn pdf(export: &TimesheetExport) -> Result<Vec<u8>, ExportError> {
    let pages = lay_out(export);
    // Object ids: five fixed ones, then a page and its content stream for each page.
    let page_count = i32::try_from(pages.len())
        .ok()
        .filter(|count| {
            count
                .checked_mul(2)
                .and_then(|ids| ids.checked_add(5))
                .is_some()
        })
        .ok_or(ExportError::Pdf("too many pages"))?;
    let mut next_id = Ref::new(1);
    let catalog_id = next_id.bump();
    let page_tree_id = next_id.bump();
    let regular_id = next_id.bump();
    let bold_id = next_id.bump();
    let info_id = next_id.bump();
    let page_ids: Vec<(Ref, Ref)> = pages
        .iter()
        .map(|_| (next_id.bump(), next_id.bump()))
        .collect();

    let mut pdf = Pdf::new();
    // PDF 1.4: the standard fonts may still go without a widths table there.
    pdf.set_version(1, 4);
    pdf.catalog(catalog_id).pages(page_tree_id);
    pdf.pages(page_tree_id)
        .kids(page_ids.iter().map(|&(page_id, _)| page_id))
        .count(page_count);
    for (id, face) in [(regular_id, Face::Regular), (bold_id, Face::Bold)] {
        pdf.type1_font(id)
            .base_font(face.base_font())
            .encoding_predefined(Name(b"WinAnsiEncoding"));
    }
    write_info(&mut pdf, info_id, export);

    for (marks, &(page_id, content_id)) in pages.iter().zip(&page_ids) {
        let mut page = pdf.page(page_id);
        page.media_box(Rect::new(0.0, 0.0, PAGE_WIDTH, PAGE_HEIGHT));
        page.parent(page_tree_id);
        page.contents(content_id);
        page.resources()
            .fonts()
            .pair(Face::Regular.resource_name(), regular_id)
            .pair(Face::Bold.resource_name(), bold_id);
        page.finish();
        pdf.stream(content_id, &draw(marks));
    }
    Ok(pdf.finish())
}

fn write_info(pdf: &mut Pdf, id: Ref, export: &TimesheetExport) {
    let title = format!(
        "Timesheet — {} — {}",
        export.organization, export.period_label
    );
    let mut info = pdf.document_info(id);
    info.title(TextStr(title.as_str()));
    info.producer(TextStr("Presence Hub"));
    if let Some(date) = pdf_date(export.generated_at) {
        info.creation_date(date);
    }
    info.finish();
}

fn pdf_date(at: DateTime<Utc>) -> Option<Date> {
    Some(
        Date::new(u16::try_from(at.year()).ok()?)
            .month(u8::try_from(at.month()).ok()?)
            .day(u8::try_from(at.day()).ok()?)
            .hour(u8::try_from(at.hour()).ok()?)
            .minute(u8::try_from(at.minute()).ok()?)
            .second(u8::try_from(at.second()).ok()?)
            .utc_offset_hour(0)
            .utc_offset_minute(0),
    )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Face {
    Regular,
    Bold,
}

impl Face {
    /// The font's name in each page's resources.
    fn resource_name(self) -> Name<'static> {
        match self {
            Face::Regular => Name(b"F1"),
            Face::Bold => Name(b"F2"),
        }
    }

    fn base_font(self) -> Name<'static> {
        match self {
            Face::Regular => Name(b"Helvetica"),
            Face::Bold => Name(b"Helvetica-Bold"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ink {
    Black,
    Gray,
    Green,
    Red,
}

impl Ink {
    fn rgb(self) -> [f32; 3] {
        match self {
            Ink::Black => [0.0, 0.0, 0.0],
            Ink::Gray => [0.4, 0.4, 0.4],
            Ink::Green => [0.0, 0.45, 0.2],
            Ink::Red => [0.75, 0.1, 0.1],
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Style {
    face: Face,
    size: f32,
    ink: Ink,
}

impl Style {
    const fn new(face: Face, size: f32, ink: Ink) -> Self {
        Self { face, size, ink }
    }
}

/// One thing drawn on a page, in points from the page's bottom left.
#[derive(Debug, Clone, PartialEq)]
enum Mark {
    /// A line of text starting at (`x`, `y`) on its baseline.
    Text {
        x: f32,
        y: f32,
        style: Style,
        text: String,
    },
    /// A thin gray horizontal line across the body.
    Rule { y: f32 },
    /// A rectangle's outline, (`x`, `y`) its bottom left corner.
    Frame {
        x: f32,
        y: f32,
        width: f32,
        height: f32,
        ink: Ink,
    },
}

/// The pages laid out so far, and where the next line goes on the last one.
#[derive(Default)]
struct Layout {
    pages: Vec<Vec<Mark>>,
    page: Vec<Mark>,
    y: f32,
}

impl Layout {
    fn new_page(&mut self) {
        if !self.page.is_empty() {
            self.pages.push(std::mem::take(&mut self.page));
        }
        self.y = TOP;
    }

    /// Whether `height` more fits on this page above the footer.
    fn fits(&self, height: f32) -> bool {
        self.y - height >= BODY_BOTTOM
    }

    /// Moves down by `height` and returns the new baseline.
    fn down(&mut self, height: f32) -> f32 {
        self.y -= height;
        self.y
    }

    fn text(&mut self, x: f32, y: f32, style: Style, text: String) {
        self.page.push(Mark::Text { x, y, style, text });
    }

    /// Text that ends at `right` (numbers line up on their last digit).
    fn text_right(&mut self, right: f32, y: f32, style: Style, text: String) {
        let x = right - text_width(&text, style);
        self.text(x, y, style, text);
    }

    fn rule(&mut self, y: f32) {
        self.page.push(Mark::Rule { y });
    }

    fn frame(&mut self, x: f32, y: f32, width: f32, height: f32, ink: Ink) {
        self.page.push(Mark::Frame {
            x,
            y,
            width,
            height,
            ink,
        });
    }

    fn into_pages(mut self) -> Vec<Vec<Mark>> {
        if !self.page.is_empty() {
            self.pages.push(self.page);
        }
        self.pages
    }
}

/// Every page's marks, footers included.
fn lay_out(export: &TimesheetExport) -> Vec<Vec<Mark>> {
    let mut layout = Layout::default();
    if export.people.is_empty() {
        layout.new_page();
        heading(&mut layout, export, "Timesheet");
        let y = layout.down(20.0);
        layout.text(
            LEFT,
            y,
            BODY,
            "Nobody to report for this period.".to_owned(),
        );
    }
    for person in &export.people {
        lay_out_person(&mut layout, export, person);
    }
    let mut pages = layout.into_pages();
    add_footers(&mut pages, export);
    pages
}

fn lay_out_person(layout: &mut Layout, export: &TimesheetExport, person: &PersonSheet) {
    layout.new_page();
    heading(layout, export, &format!("Timesheet — {}", person.name));
    table_header(layout);
    for day in &person.days {
        if !layout.fits(ROW_HEIGHT) {
            continue_page(layout, export, person);
            table_header(layout);
        }
        day_row(layout, day);
    }

    if !layout.fits(TOTALS_HEIGHT) {
        continue_page(layout, export, person);
    }
    totals(layout, person);

    // The section's title stays with its first stamp.
    if !layout.fits(24.0 + STAMP_SPACE) {
        continue_page(layout, export, person);
    }
    let y = layout.down(24.0);
    layout.text(LEFT, y, SECTION, "Approval".to_owned());
    if person.weeks.is_empty() {
        let y = layout.down(NOT_APPROVED_HEIGHT);
        let text = "NOT APPROVED — no week of this period is recorded".to_owned();
        layout.text(LEFT, y, NOT_APPROVED, text);
    }
    for week in &person.weeks {
        let height = if week.is_approved() {
            STAMP_SPACE
        } else {
            NOT_APPROVED_HEIGHT
        };
        if !layout.fits(height) {
            continue_page(layout, export, person);
        }
        if week.is_approved() {
            stamp(layout, week, &export.timezone);
        } else {
            let y = layout.down(NOT_APPROVED_HEIGHT);
            let text = format!("NOT APPROVED — week {} is {}", week.week, week.state);
            layout.text(
                LEFT,
                y,
                NOT_APPROVED,
                fit(&text, NOT_APPROVED, RIGHT - LEFT),
            );
        }
    }
}

fn continue_page(layout: &mut Layout, export: &TimesheetExport, person: &PersonSheet) {
    layout.new_page();
    let title = format!("Timesheet — {} (continued)", person.name);
    heading(layout, export, &title);
}

/// The title, then the organization, the period and the timezone.
fn heading(layout: &mut Layout, export: &TimesheetExport, title: &str) {
    let width = RIGHT - LEFT;
    let y = layout.down(16.0);
    layout.text(LEFT, y, HEADING, fit(title, HEADING, width));
    let y = layout.down(22.0);
    layout.text(LEFT, y, BODY, fit(&export.organization, BODY, width));
    let y = layout.down(14.0);
    let period = format!("{} ({} to {})", export.period_label, export.from, export.to);
    layout.text(LEFT, y, BODY, fit(&period, BODY, width));
    let y = layout.down(14.0);
    let timezone = format!("Timezone: {}", export.timezone);
    layout.text(LEFT, y, BODY, fit(&timezone, BODY, width));
    layout.down(10.0);
}

fn table_header(layout: &mut Layout) {
    let y = layout.down(ROW_HEIGHT + 4.0);
    layout.text(DATE_X, y, TABLE_HEAD, "Date".to_owned());
    layout.text(DAY_X, y, TABLE_HEAD, "Day".to_owned());
    layout.text_right(PLANNED_RIGHT, y, TABLE_HEAD, "Planned".to_owned());
    layout.text_right(WORKED_RIGHT, y, TABLE_HEAD, "Worked".to_owned());
    layout.text_right(ABSENCE_RIGHT, y, TABLE_HEAD, "Absence".to_owned());
    layout.text_right(DIFFERENCE_RIGHT, y, TABLE_HEAD, "Difference".to_owned());
    layout.text(NOTE_X, y, TABLE_HEAD, "Note".to_owned());
    let y = layout.down(4.0);
    layout.rule(y);
}

fn day_row(layout: &mut Layout, day: &ExportDay) {
    let y = layout.down(ROW_HEIGHT);
    layout.text(DATE_X, y, TABLE, day.date.to_string());
    layout.text(DAY_X, y, TABLE, day.date.weekday().to_string());
    layout.text_right(PLANNED_RIGHT, y, TABLE, hours_minutes(day.planned_seconds));
    layout.text_right(WORKED_RIGHT, y, TABLE, hours_minutes(day.worked_seconds));
    layout.text_right(ABSENCE_RIGHT, y, TABLE, hours_minutes(day.absence_seconds));
    let difference = signed_hours_minutes(day.difference_seconds());
    layout.text_right(DIFFERENCE_RIGHT, y, TABLE, difference);
    if let Some(note) = &day.note {
        layout.text(NOTE_X, y, TABLE, fit(note, TABLE, RIGHT - NOTE_X));
    }
}

fn totals(layout: &mut Layout, person: &PersonSheet) {
    let y = layout.down(6.0);
    layout.rule(y);
    let y = layout.down(16.0);
    let totals = format!(
        "Total  planned {}  worked {}  absence {}  difference {}",
        hours_minutes(person.planned_seconds),
        hours_minutes(person.worked_seconds),
        hours_minutes(person.absence_seconds),
        signed_hours_minutes(person.difference_seconds)
    );
    layout.text(LEFT, y, TOTALS, fit(&totals, TOTALS, RIGHT - LEFT));
    let y = layout.down(16.0);
    let balance = format!(
        "Balance since {}: {}",
        person.balance_from,
        signed_hours_minutes(person.balance_seconds)
    );
    layout.text(LEFT, y, BODY, balance);
}

/// A framed "APPROVED" with who approved the week and when.
fn stamp(layout: &mut Layout, week: &WeekApproval, timezone: &str) {
    let top = layout.down(8.0);
    let bottom = layout.down(STAMP_HEIGHT);
    layout.frame(LEFT, bottom, STAMP_WIDTH, STAMP_HEIGHT, Ink::Green);
    let x = LEFT + 10.0;
    let width = STAMP_WIDTH - 20.0;
    layout.text(x, top - 18.0, STAMP_TITLE, "APPROVED".to_owned());
    let by = fit(&week.approved_by(timezone), STAMP_TEXT, width);
    layout.text(x, top - 31.0, STAMP_TEXT, by);
    let label = fit(&format!("week {}", week.week), STAMP_TEXT, width);
    layout.text(x, top - 42.0, STAMP_TEXT, label);
}

/// "Generated by Presence Hub on …" and the page number at the foot of every page.
fn add_footers(pages: &mut [Vec<Mark>], export: &TimesheetExport) {
    let generated = format!(
        "Generated by Presence Hub on {}",
        export.generated_at.format("%Y-%m-%d %H:%M UTC")
    );
    let count = pages.len();
    for (index, page) in pages.iter_mut().enumerate() {
        page.push(Mark::Text {
            x: LEFT,
            y: FOOTER_Y,
            style: FOOTER,
            text: generated.clone(),
        });
        let number = format!("Page {} of {count}", index + 1);
        page.push(Mark::Text {
            x: RIGHT - text_width(&number, FOOTER),
            y: FOOTER_Y,
            style: FOOTER,
            text: number,
        });
    }
}

/// The page's content stream.
fn draw(marks: &[Mark]) -> Vec<u8> {
    let mut content = Content::new();
    for mark in marks {
        match mark {
            Mark::Text { x, y, style, text } => {
                let [r, g, b] = style.ink.rgb();
                let bytes = win_ansi(text);
                content.set_fill_rgb(r, g, b);
                content.begin_text();
                content.set_font(style.face.resource_name(), style.size);
                content.next_line(*x, *y);
                content.show(Str(bytes.as_slice()));
                content.end_text();
            }
            Mark::Rule { y } => {
                content.set_stroke_gray(0.6);
                content.set_line_width(0.5);
                content.move_to(LEFT, *y);
                content.line_to(RIGHT, *y);
                content.stroke();
            }
            Mark::Frame {
                x,
                y,
                width,
                height,
                ink,
            } => {
                let [r, g, b] = ink.rgb();
                content.set_stroke_rgb(r, g, b);
                content.set_line_width(1.5);
                content.rect(*x, *y, *width, *height);
                content.stroke();
            }
        }
    }
    content.finish().into_vec()
}

/// `text` as WinAnsiEncoding bytes, the encoding of the standard fonts as we declare them.
/// It is Latin-1 plus typographic marks (PDF 32000-1, annex D); what it lacks becomes "?".
fn win_ansi(text: &str) -> Vec<u8> {
    text.chars().map(win_ansi_byte).collect()
}

fn win_ansi_byte(c: char) -> u8 {
    if let Ok(byte) = u8::try_from(c) {
        match byte {
            0x20..=0x7E | 0xA0..=0xFF => return byte,
            // Tabs and line breaks in a note: a line of text has no room for them.
            _ if c.is_control() => return b' ',
            _ => {}
        }
    }
    match c {
        '\u{20AC}' => 0x80, // euro sign
        '\u{201A}' => 0x82, // single low-9 quotation mark
        '\u{0192}' => 0x83, // f with hook
        '\u{201E}' => 0x84, // double low-9 quotation mark
        '\u{2026}' => 0x85, // ellipsis
        '\u{2020}' => 0x86, // dagger
        '\u{2021}' => 0x87, // double dagger
        '\u{02C6}' => 0x88, // modifier circumflex
        '\u{2030}' => 0x89, // per mille
        '\u{0160}' => 0x8A, // S with caron
        '\u{2039}' => 0x8B, // single left angle quotation mark
        '\u{0152}' => 0x8C, // OE
        '\u{017D}' => 0x8E, // Z with caron
        '\u{2018}' => 0x91, // left single quotation mark
        '\u{2019}' => 0x92, // right single quotation mark
        '\u{201C}' => 0x93, // left double quotation mark
        '\u{201D}' => 0x94, // right double quotation mark
        '\u{2022}' => 0x95, // bullet
        '\u{2013}' => 0x96, // en dash
        '\u{2014}' => 0x97, // em dash
        '\u{02DC}' => 0x98, // small tilde
        '\u{2122}' => 0x99, // trade mark
        '\u{0161}' => 0x9A, // s with caron
        '\u{203A}' => 0x9B, // single right angle quotation mark
        '\u{0153}' => 0x9C, // oe
        '\u{017E}' => 0x9E, // z with caron
        '\u{0178}' => 0x9F, // Y with diaeresis
        // Look-alikes WinAnsi lacks: the minus sign and other hyphens, and narrow spaces.
        '\u{2212}' | '\u{2010}' | '\u{2011}' => b'-',
        '\u{2007}' | '\u{2009}' | '\u{202F}' => b' ',
        _ => b'?',
    }
}

/// Helvetica's advance widths for ASCII 32 to 126, in thousandths of the font size (its AFM).
const HELVETICA_WIDTHS: [u16; 95] = [
    // space ! " # $ % & ' ( ) * + , - . /
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,
    // 0 to 9 : ; < = > ?
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,
    // @ A to O
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,
    // P to Z [ \ ] ^ _
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,
    // ` a to o
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,
    // p to z { | } ~
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
];

/// A character's width in thousandths of the font size. Outside ASCII a generous guess
/// (accented letters are about as wide as their base letter).
fn glyph_width(c: char) -> u16 {
    let ascii = u8::try_from(c)
        .ok()
        .and_then(|byte| byte.checked_sub(0x20))
        .and_then(|index| HELVETICA_WIDTHS.get(usize::from(index)));
    match (ascii, c) {
        (Some(&width), _) => width,
        (None, '—' | '…') => 1000,
        (None, _) => 667,
    }
}

/// How wide `c` is set in `style`, in points. Bold is measured a tenth wider than regular: it
/// is only measured to cut it, where too wide is the safe side.
fn char_width(c: char, style: Style) -> f32 {
    let boldness = match style.face {
        Face::Regular => 1.0,
        Face::Bold => 1.1,
    };
    f32::from(glyph_width(c)) / 1000.0 * style.size * boldness
}

fn text_width(text: &str, style: Style) -> f32 {
    text.chars().map(|c| char_width(c, style)).sum()
}

/// `text`, cut with "…" if it is wider than `max_width` in `style`.
fn fit(text: &str, style: Style, max_width: f32) -> String {
    if text_width(text, style) <= max_width {
        return text.to_owned();
    }
    let room = max_width - char_width('…', style);
    let mut cut = String::new();
    let mut width = 0.0;
    for c in text.chars() {
        width += char_width(c, style);
        if width > room {
            break;
        }
        cut.push(c);
    }
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exports::sample;
    use chrono::{Days, NaiveDate};

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack
            .windows(needle.len())
            .any(|window| window == needle)
    }

    /// The page objects: "/Type /Page" not followed by more of a name ("/Pages").
    fn page_objects(pdf: &[u8]) -> usize {
        const NEEDLE: &[u8] = b"/Type /Page";
        pdf.windows(NEEDLE.len() + 1)
            .filter(|window| {
                window.starts_with(NEEDLE) && !window[NEEDLE.len()].is_ascii_alphanumeric()
            })
            .count()
    }

    fn texts(pages: &[Vec<Mark>]) -> Vec<&str> {
        pages
            .iter()
            .flatten()
            .filter_map(|mark| match mark {
                Mark::Text { text, .. } => Some(text.as_str()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn is_a_pdf_file() {
        let bytes = pdf(&sample()).expect("the PDF is written");
        assert!(bytes.starts_with(b"%PDF-"));
        assert!(bytes.trim_ascii_end().ends_with(b"%%EOF"));
    }

    #[test]
    fn has_one_page_per_person() {
        let export = sample();
        let bytes = pdf(&export).expect("the PDF is written");
        assert_eq!(page_objects(&bytes), export.people.len());
        assert!(contains(&bytes, b"/Count 2"));
        assert_eq!(lay_out(&export).len(), export.people.len());
    }

    #[test]
    fn uses_the_standard_helvetica_fonts_without_embedding() {
        let bytes = pdf(&sample()).expect("the PDF is written");
        assert!(contains(&bytes, b"/BaseFont /Helvetica\n"));
        assert!(contains(&bytes, b"/BaseFont /Helvetica-Bold"));
        assert!(contains(&bytes, b"/Encoding /WinAnsiEncoding"));
        assert!(!contains(&bytes, b"/FontFile"));
        // Uncompressed: the ASCII lines are there as they are drawn.
        assert!(contains(&bytes, b"(APPROVED) Tj"));
        assert!(contains(&bytes, b"(by Grace Hopper on 2026-12-07) Tj"));
    }

    #[test]
    fn writes_names_with_accents_in_winansi() {
        assert_eq!(win_ansi("Zoë — 5 €"), b"Zo\xEB \x97 5 \x80");
        assert_eq!(win_ansi("Łódź\tx"), b"?\xF3d? x");
        // Non-ASCII text goes in as a hex string of those bytes.
        let bytes = pdf(&sample()).expect("the PDF is written");
        let mut hex = String::from("<");
        for byte in win_ansi("Timesheet — Zoë \"Zed\" Brandt, Jr.") {
            hex.push_str(&format!("{byte:02X}"));
        }
        hex.push('>');
        assert!(contains(&bytes, hex.as_bytes()), "{hex} not found");
    }

    #[test]
    fn lays_out_the_heading_totals_balance_stamps_and_footer() {
        let pages = lay_out(&sample());
        let ada = texts(&pages[..1]);
        for expected in [
            "Timesheet — Ada Lovelace",
            "Acme Robotics GmbH",
            "Week 2026-W49 (2026-11-30 to 2026-12-06)",
            "Timezone: Europe/Berlin",
            "Date",
            "Difference",
            "2026-12-03",
            "Thu",
            "9:15",
            "+1:15",
            "vacation",
            "Total  planned 32:00  worked 25:30  absence 8:00  difference +1:30",
            "Balance since 2026-01-01: +12:30",
            "APPROVED",
            "by Grace Hopper on 2026-12-07",
            "week 2026-W49",
            "Generated by Presence Hub on 2026-12-07 10:00 UTC",
            "Page 1 of 2",
        ] {
            assert!(ada.contains(&expected), "{expected:?} is not on Ada's page");
        }
        assert!(!ada.iter().any(|text| text.starts_with("NOT APPROVED")));

        let zoe = texts(&pages[1..]);
        assert!(zoe.contains(&"Timesheet — Zoë \"Zed\" Brandt, Jr."));
        assert!(zoe.contains(&"NOT APPROVED — week 2026-W49 is open"));
        assert!(zoe.contains(&"Balance since 2026-09-01: -1:05"));
        assert!(!zoe.contains(&"APPROVED"));
        let frames = pages[1]
            .iter()
            .filter(|mark| matches!(mark, Mark::Frame { .. }))
            .count();
        assert_eq!(frames, 0);
    }

    #[test]
    fn a_long_period_continues_on_more_pages_inside_the_margins() {
        let mut export = sample();
        let first = NaiveDate::from_ymd_opt(2026, 10, 1).expect("a date");
        let template = export.people[0].days[0].clone();
        export.people[0].days = (0..62)
            .map(|offset| ExportDay {
                date: first + Days::new(offset),
                note: Some("A holiday with a name far too long for its column".to_owned()),
                ..template.clone()
            })
            .collect();
        let approval = export.people[0].weeks[0].clone();
        export.people[0].weeks = (45..54)
            .map(|week| WeekApproval {
                week: format!("2026-W{week}"),
                ..approval.clone()
            })
            .collect();

        let pages = lay_out(&export);
        assert!(
            pages.len() > export.people.len() + 1,
            "{} pages",
            pages.len()
        );
        let bytes = pdf(&export).expect("the PDF is written");
        assert_eq!(page_objects(&bytes), pages.len());

        let shown = texts(&pages);
        assert!(shown.contains(&"Timesheet — Ada Lovelace (continued)"));
        // 2026-10-01 to 2026-12-01 for Ada, and Zoë's week.
        let dates = shown.iter().filter(|t| t.starts_with("2026-")).count();
        assert_eq!(dates, 62 + export.people[1].days.len());
        assert_eq!(shown.iter().filter(|t| **t == "APPROVED").count(), 9);
        for page in &pages {
            for mark in page {
                match mark {
                    Mark::Text { x, y, style, text } => {
                        let footer = *y == FOOTER_Y;
                        assert!(footer || *y >= BODY_BOTTOM, "{text:?} at {y} is too low");
                        assert!(*y <= TOP, "{text:?} at {y} is too high");
                        assert!(*x >= LEFT - 0.01, "{text:?} starts left of the margin");
                        let end = x + text_width(text, *style);
                        assert!(end <= RIGHT + 0.01, "{text:?} ends at {end}");
                    }
                    Mark::Rule { y } => assert!(*y >= BODY_BOTTOM),
                    Mark::Frame { y, .. } => assert!(*y >= BODY_BOTTOM),
                }
            }
        }
    }

    #[test]
    fn an_export_without_people_is_still_a_page() {
        let mut export = sample();
        export.people.clear();
        let bytes = pdf(&export).expect("the PDF is written");
        assert_eq!(page_objects(&bytes), 1);
        assert!(texts(&lay_out(&export)).contains(&"Nobody to report for this period."));
    }

    #[test]
    fn measures_helvetica() {
        assert_eq!(glyph_width(' '), 278);
        assert_eq!(glyph_width('0'), 556);
        assert_eq!(glyph_width('~'), 584);
        assert_eq!(glyph_width('—'), 1000);
        let width = text_width("0:00", TABLE);
        assert!((width - 9.0 * (3.0 * 556.0 + 278.0) / 1000.0).abs() < 1e-4);
        let cut = fit(&"x".repeat(200), TABLE, 100.0);
        assert!(cut.ends_with('…'));
        assert!(text_width(&cut, TABLE) <= 100.0 + 1e-3);
        assert_eq!(fit("short", TABLE, 100.0), "short");
    }
}
