//! A report drawn as horizontal bars in SVG: rendered on the server (readable without
//! JavaScript), redrawn from the same signal when a push changes the report.

use leptos::prelude::*;
use shared::timesheets::{ReportGroup, TimeReport};

use crate::time::hm;

/// Drawing constants (SVG user units; the SVG scales to its box).
const WIDTH: f64 = 640.0;
const LABEL_WIDTH: f64 = 190.0;
const VALUE_WIDTH: f64 = 56.0;
const ROW: f64 = 30.0;
const BAR: f64 = 18.0;

/// Where one bar goes.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub key: String,
    pub label: String,
    pub value: String,
    pub y: f64,
    pub width: f64,
}

/// Bars for the groups, the longest filling the space between the labels and the values;
/// a group with time is never drawn thinner than a hairline.
pub fn layout(groups: &[ReportGroup]) -> Vec<Bar> {
    let max = groups.iter().map(|g| g.seconds).max().unwrap_or(0).max(1) as f64;
    let room = WIDTH - LABEL_WIDTH - VALUE_WIDTH;
    groups
        .iter()
        .enumerate()
        .map(|(i, g)| Bar {
            key: g.key.clone(),
            label: g.label.clone(),
            value: hm(g.seconds),
            y: i as f64 * ROW,
            width: if g.seconds > 0 {
                (g.seconds as f64 / max * room).max(2.0)
            } else {
                0.0
            },
        })
        .collect()
}

/// A label that fits its column.
fn short(label: &str) -> String {
    const MAX: usize = 26;
    if label.chars().count() <= MAX {
        label.to_string()
    } else {
        let cut: String = label.chars().take(MAX - 1).collect();
        format!("{cut}…")
    }
}

#[component]
pub fn ReportChart(report: RwSignal<TimeReport>) -> impl IntoView {
    let description = move || {
        report.with(|r| {
            format!(
                "Time per {} from {} to {}: {} in total",
                r.group_by.as_str(),
                r.from,
                r.to,
                hm(r.total_seconds)
            )
        })
    };
    let bars = move || report.with(|r| layout(&r.groups));
    let height = move || (report.with(|r| r.groups.len()).max(1) as f64 * ROW).to_string();
    let view_box = move || format!("0 0 {WIDTH} {}", height());
    view! {
        <svg
            id="report-chart"
            class="report-chart"
            role="img"
            aria-labelledby="report-chart-title"
            viewBox=view_box
            preserveAspectRatio="xMinYMin meet"
        >
            <title id="report-chart-title">{description}</title>
            <For
                each=bars
                key=|bar| (bar.key.clone(), bar.value.clone(), bar.width.to_bits())
                children=move |bar| {
                    let text_y = bar.y + ROW / 2.0 + 5.0;
                    view! {
                        <g class="report-bar" data-key=bar.key.clone()>
                            <text class="report-bar-label" x="0" y=text_y>{short(&bar.label)}</text>
                            <rect
                                class="report-bar-fill"
                                x=LABEL_WIDTH
                                y=bar.y + (ROW - BAR) / 2.0
                                width=bar.width
                                height=BAR
                                rx="3"
                            ></rect>
                            <text class="report-bar-value" x=LABEL_WIDTH + bar.width + 6.0 y=text_y>
                                {bar.value.clone()}
                            </text>
                        </g>
                    }
                }
            />
        </svg>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(key: &str, seconds: i64) -> ReportGroup {
        ReportGroup {
            key: key.into(),
            label: format!("label {key}"),
            seconds,
            sessions: 1,
        }
    }

    #[test]
    fn the_longest_bar_fills_the_room_and_the_others_are_in_proportion() {
        let bars = layout(&[group("a", 7200), group("b", 3600), group("c", 1)]);
        let room = WIDTH - LABEL_WIDTH - VALUE_WIDTH;
        assert_eq!(bars[0].width, room);
        assert_eq!(bars[1].width, room / 2.0);
        assert_eq!(bars[2].width, 2.0, "a hairline, not nothing");
        assert_eq!(bars[1].y, ROW);
        assert_eq!(bars[0].value, "2:00");
    }

    #[test]
    fn no_groups_no_bars_and_long_labels_are_cut() {
        assert!(layout(&[]).is_empty());
        assert_eq!(short("short"), "short");
        assert_eq!(short(&"x".repeat(40)).chars().count(), 26);
    }
}
