//! The agent's window (eframe/egui on winit): who is logged in, the connection, the running
//! session's timer, a ticket picker, Start and Stop, and the latest notice (such as an admin's
//! reason for ending the session). It draws the shared state and sends commands; the engine
//! does the work.

use chrono::Utc;
use eframe::egui;
use shared::api::Ticket;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;

use crate::engine::{Command, SharedState};
use crate::state::{away, clock, AgentState, Connection};

/// The answer buttons' fills: distinct, so that a test under Xvfb finds them on a screenshot.
pub const KEEP_FILL: egui::Color32 = egui::Color32::from_rgb(21, 128, 61);
pub const DISCARD_FILL: egui::Color32 = egui::Color32::from_rgb(185, 28, 28);

pub struct AgentWindow {
    state: SharedState,
    commands: mpsc::Sender<Command>,
    tickets: Arc<Mutex<Vec<Ticket>>>,
    selected_ticket: Option<i64>,
    /// Set on Ctrl-C or SIGTERM: the window closes itself.
    stopping: Arc<AtomicBool>,
}

impl AgentWindow {
    pub fn new(
        state: SharedState,
        commands: mpsc::Sender<Command>,
        tickets: Arc<Mutex<Vec<Ticket>>>,
        stopping: Arc<AtomicBool>,
    ) -> Self {
        AgentWindow {
            state,
            commands,
            tickets,
            selected_ticket: None,
            stopping,
        }
    }
}

/// Opens the window; returns when it is closed.
pub fn run(
    state: SharedState,
    commands: mpsc::Sender<Command>,
    tickets: Arc<Mutex<Vec<Ticket>>>,
    stopping: Arc<AtomicBool>,
) -> Result<(), String> {
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_inner_size([420.0, 460.0])
            .with_title("Presence Agent"),
        ..Default::default()
    };
    let quit = commands.clone();
    let result = eframe::run_native(
        "Presence Agent",
        options,
        Box::new(move |cc| {
            // Dark on every platform: the window paints its own dark panels, and a system in
            // light mode (Windows' default) would otherwise give them dark text.
            cc.egui_ctx.set_theme(egui::ThemePreference::Dark);
            Ok(
                Box::new(AgentWindow::new(state, commands, tickets, stopping))
                    as Box<dyn eframe::App>,
            )
        }),
    );
    let _ = quit.try_send(Command::Quit);
    result.map_err(|e| e.to_string())
}

impl eframe::App for AgentWindow {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        if self.stopping.load(Ordering::Relaxed) {
            ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
        }
        let s = match self.state.lock() {
            Ok(s) => s.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        };
        egui::Frame::new()
            .inner_margin(egui::Margin::same(14))
            .show(ui, |ui| {
                ui.spacing_mut().item_spacing.y = 6.0;
                self.header(ui, &s);
                ui.separator();
                self.idle_question(ui, &s);
                self.session(ui, &s);
                ui.separator();
                footer(ui, &s);
            });
        ui.ctx().request_repaint_after(Duration::from_millis(500));
    }
}

impl AgentWindow {
    fn header(&self, ui: &mut egui::Ui, s: &AgentState) {
        ui.heading("Presence Agent");
        match &s.user {
            Some(user) => ui.label(format!("{} — {} ({})", user.name, user.email, user.role)),
            None => ui.label("Not connected yet"),
        };
        let (color, text) = match s.connection {
            Connection::Online => (egui::Color32::from_rgb(22, 163, 74), "Online"),
            Connection::Connecting => (egui::Color32::from_rgb(217, 119, 6), "Connecting…"),
            Connection::Offline => (
                egui::Color32::from_rgb(220, 38, 38),
                "Offline (working from cache)",
            ),
        };
        ui.horizontal(|ui| {
            // A painted dot: the default fonts have no "●".
            let (rect, _) = ui.allocate_exact_size(egui::vec2(10.0, 10.0), egui::Sense::hover());
            ui.painter().circle_filled(rect.center(), 5.0, color);
            ui.colored_label(color, text);
            ui.weak(format!("· policy version {}", s.config_version));
        });
    }

    /// After a return from idle with the policy `ask`: keep the time, or discard it.
    fn idle_question(&mut self, ui: &mut egui::Ui, s: &AgentState) {
        let Some(q) = &s.idle_question else {
            return;
        };
        let local = |t: chrono::DateTime<Utc>| t.with_timezone(&chrono::Local).format("%H:%M");
        egui::Frame::new()
            .fill(egui::Color32::from_rgb(120, 53, 15))
            .corner_radius(6.0)
            .inner_margin(egui::Margin::same(10))
            .show(ui, |ui| {
                ui.colored_label(
                    egui::Color32::WHITE,
                    egui::RichText::new(format!(
                        "You were away for {} ({}–{}).",
                        away(q.seconds),
                        local(q.started_at),
                        local(q.ended_at)
                    ))
                    .strong(),
                );
                ui.colored_label(
                    egui::Color32::WHITE,
                    "Keep this time in the session, or discard it?",
                );
                ui.horizontal(|ui| {
                    let button = |text: &str, fill| {
                        egui::Button::new(
                            egui::RichText::new(text)
                                .color(egui::Color32::WHITE)
                                .size(16.0),
                        )
                        .fill(fill)
                        .min_size(egui::vec2(96.0, 30.0))
                    };
                    if ui.add(button("Keep", KEEP_FILL)).clicked() {
                        let _ = self.commands.try_send(Command::AnswerIdle { keep: true });
                    }
                    if ui.add(button("Discard", DISCARD_FILL)).clicked() {
                        let _ = self.commands.try_send(Command::AnswerIdle { keep: false });
                    }
                });
                ui.colored_label(
                    egui::Color32::from_rgb(254, 215, 170),
                    format!("Unanswered, it is kept at {}.", local(q.answer_by)),
                );
            });
        ui.separator();
    }

    fn session(&mut self, ui: &mut egui::Ui, s: &AgentState) {
        let tickets = self.tickets.lock().map(|t| t.clone()).unwrap_or_default();
        let ticket_name = |id: i64| {
            tickets
                .iter()
                .find(|t| t.id == id)
                .map(|t| format!("#{} {}", t.number, t.title))
                .unwrap_or_else(|| format!("ticket {id}"))
        };
        match &s.session {
            Some(session) => {
                let secs = session.counted_seconds(Utc::now());
                ui.label(
                    egui::RichText::new(clock(secs))
                        .size(36.0)
                        .monospace()
                        .strong(),
                );
                let ticket = session
                    .ticket_id
                    .map(ticket_name)
                    .unwrap_or_else(|| "no ticket".into());
                ui.label(format!("Session running · {ticket}"));
                if ui.button("Stop").clicked() {
                    let _ = self.commands.try_send(Command::Stop);
                }
            }
            None => {
                ui.label(egui::RichText::new("0:00:00").size(36.0).monospace().weak());
                let chosen = self
                    .selected_ticket
                    .map(ticket_name)
                    .unwrap_or_else(|| "No ticket".into());
                egui::ComboBox::from_label("Ticket")
                    .selected_text(chosen)
                    .show_ui(ui, |ui| {
                        ui.selectable_value(&mut self.selected_ticket, None, "No ticket");
                        for t in &tickets {
                            ui.selectable_value(
                                &mut self.selected_ticket,
                                Some(t.id),
                                format!("#{} {}", t.number, t.title),
                            );
                        }
                    });
                if ui.button("Start").clicked() {
                    let _ = self.commands.try_send(Command::Start {
                        ticket_id: self.selected_ticket,
                    });
                }
            }
        }
    }
}

/// Pending writes, screenshots, and the latest notice (such as an admin's reason).
fn footer(ui: &mut egui::Ui, s: &AgentState) {
    if s.pending_writes > 0 {
        ui.label(format!(
            "{} change(s) waiting for the hub",
            s.pending_writes
        ));
    }
    // What is captured now, from the live policy (it follows `config_updated`).
    for line in s.capture_lines(chrono::Utc::now()) {
        ui.weak(line);
    }
    if let Some(notice) = &s.notice {
        egui::Frame::new()
            .fill(egui::Color32::from_rgb(30, 58, 138))
            .corner_radius(6.0)
            .inner_margin(egui::Margin::same(8))
            .show(ui, |ui| {
                ui.colored_label(
                    egui::Color32::WHITE,
                    format!("{} · {}", notice.at.format("%H:%M:%S"), notice.text),
                );
            });
    }
}
