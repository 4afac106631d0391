//! A session's activity % per 10-minute slot as small vertical bars:
//! `ol#activity-slots > li.activity-slot[data-slot-start][data-percent]`. Each bar's text
//! (hidden visually, read by screen readers) and tooltip say the time, the percentage, what it
//! is based on, and the input rate.

use leptos::prelude::*;
use shared::activity::{ActivityBasis, ActivitySlot, SLOT_SECONDS};

use crate::time::{absolute, machine};

/// "12 keys/min, 40 mouse events/min" over the slot's 10 minutes; empty without counts.
pub fn rates(slot: &ActivitySlot) -> String {
    if slot.counted_heartbeats == 0 {
        return String::new();
    }
    let minutes = SLOT_SECONDS / 60;
    format!(
        "{} keys/min, {} mouse events/min",
        slot.key_presses / minutes,
        slot.mouse_events / minutes
    )
}

fn basis_text(basis: ActivityBasis) -> &'static str {
    match basis {
        ActivityBasis::Input => "share of heartbeats with keyboard or mouse input",
        ActivityBasis::Idle => "share of heartbeats below the idle threshold",
    }
}

/// "2024-05-01 14:00 UTC: 67% active (share of …). 12 keys/min, 40 mouse events/min".
pub fn describe(slot: &ActivitySlot) -> String {
    let rates = rates(slot);
    let mut text = format!(
        "{}: {}% active ({})",
        absolute(slot.start),
        slot.activity_percent,
        basis_text(slot.basis)
    );
    if !rates.is_empty() {
        text.push_str(". ");
        text.push_str(&rates);
    }
    text
}

/// "14:00": the slot's start, UTC.
fn clock_label(slot: &ActivitySlot) -> String {
    let text = absolute(slot.start);
    text.split(' ').nth(1).unwrap_or_default().to_string()
}

#[component]
pub fn ActivityBars(slots: Vec<ActivitySlot>) -> impl IntoView {
    if slots.is_empty() {
        return view! {
            <p class="empty" id="activity-empty">
                "No activity recorded for this session. Desktop agents report it while a session runs."
            </p>
        }
        .into_any();
    }
    let bars = slots
        .into_iter()
        .map(|slot| {
            let percent = slot.activity_percent.min(100);
            let text = describe(&slot);
            let tooltip = text.clone();
            let label = clock_label(&slot);
            let level = match percent {
                0..=29 => "low",
                30..=69 => "mid",
                _ => "high",
            };
            view! {
                <li
                    class="activity-slot"
                    data-slot-start=machine(slot.start)
                    data-percent=percent
                    data-level=level
                    title=tooltip
                >
                    <span class="activity-track" aria-hidden="true">
                        <span class="activity-fill" style=format!("height: {percent}%")></span>
                    </span>
                    <span class="activity-percent" aria-hidden="true">{format!("{percent}%")}</span>
                    <time class="activity-time" datetime=machine(slot.start) aria-hidden="true">
                        {label}
                    </time>
                    <span class="visually-hidden">{text}</span>
                </li>
            }
        })
        .collect_view();
    view! {
        <div class="activity-wrap" role="region" aria-labelledby="activity-heading" tabindex="0">
            <ol class="activity-bars" id="activity-slots">{bars}</ol>
        </div>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;

    #[test]
    fn a_slot_reads_as_time_percentage_basis_and_rates() {
        let slot = ActivitySlot {
            start: DateTime::from_timestamp(1_714_572_000, 0).unwrap(),
            heartbeats: 120,
            active_heartbeats: 120,
            counted_heartbeats: 120,
            input_heartbeats: 80,
            key_presses: 1234,
            mouse_events: 4000,
            activity_percent: 67,
            basis: ActivityBasis::Input,
        };
        assert_eq!(
            describe(&slot),
            "2024-05-01 14:00 UTC: 67% active (share of heartbeats with keyboard or mouse input). \
             123 keys/min, 400 mouse events/min"
        );
        assert_eq!(clock_label(&slot), "14:00");
        let idle = ActivitySlot {
            counted_heartbeats: 0,
            basis: ActivityBasis::Idle,
            ..slot
        };
        assert_eq!(rates(&idle), "");
    }
}
