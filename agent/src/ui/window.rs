//! The agent's window (eframe/egui on winit): who is logged in, the connection, the running
//! session's timer, a ticket picker, Start and Stop, and the latest notice (such as an admin's
//! reason for ending the session). It draws the shared state and sends commands; the engine
//! does the work.

use chrono::Utc;
use eframe::egui;
use shared::api::Ticket;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;

use crate::engine::{Command, SharedState};
use crate::state::{clock, Connection};

pub struct AgentWindow {
    state: SharedState,
    commands: mpsc::Sender<Command>,
    tickets: Arc<Mutex<Vec<Ticket>>>,
    selected_ticket: Option<i64>,
}

impl AgentWindow {
    pub fn new(
        state: SharedState,
        commands: mpsc::Sender<Command>,
        tickets: Arc<Mutex<Vec<Ticket>>>,
    ) -> Self {
        AgentWindow {
            state,
            commands,
            tickets,
            selected_ticket: None,
        }
    }
}

/// Opens the window; returns when it is closed.
pub fn run(
    state: SharedState,
    commands: mpsc::Sender<Command>,
    tickets: Arc<Mutex<Vec<Ticket>>>,
) -> Result<(), String> {
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_inner_size([420.0, 340.0])
            .with_title("Presence Agent"),
        ..Default::default()
    };
    let quit = commands.clone();
    let result = eframe::run_native(
        "Presence Agent",
        options,
        Box::new(move |_cc| {
            Ok(Box::new(AgentWindow::new(state, commands, tickets)) as Box<dyn eframe::App>)
        }),
    );
    let _ = quit.try_send(Command::Quit);
    result.map_err(|e| e.to_string())
}

impl eframe::App for AgentWindow {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let s = match self.state.lock() {
            Ok(s) => s.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        };
        ui.heading("Presence Agent");
        match &s.user {
            Some(user) => ui.label(format!("{} — {} ({})", user.name, user.email, user.role)),
            None => ui.label("Not connected yet"),
        };
        let (color, text) = match s.connection {
            Connection::Online => (egui::Color32::from_rgb(22, 163, 74), "● Online"),
            Connection::Connecting => (egui::Color32::from_rgb(217, 119, 6), "● Connecting…"),
            Connection::Offline => (
                egui::Color32::from_rgb(220, 38, 38),
                "● Offline (working from cache)",
            ),
        };
        ui.colored_label(color, text);
        ui.label(format!("Policy version {}", s.config_version));
        ui.separator();

        match &s.session {
            Some(session) => {
                let secs = (Utc::now() - session.started_at).num_seconds().max(0);
                ui.label(egui::RichText::new(clock(secs)).size(36.0).monospace());
                let ticket = session
                    .ticket_id
                    .map(|t| format!("ticket #{t}"))
                    .unwrap_or_else(|| "no ticket".into());
                ui.label(format!("Session running · {ticket}"));
                if ui.button("Stop").clicked() {
                    let _ = self.commands.try_send(Command::Stop);
                }
            }
            None => {
                ui.label(egui::RichText::new("0:00:00").size(36.0).monospace().weak());
                let tickets = self.tickets.lock().map(|t| t.clone()).unwrap_or_default();
                let chosen = self
                    .selected_ticket
                    .and_then(|id| tickets.iter().find(|t| t.id == id))
                    .map(|t| format!("#{} {}", t.number, t.title))
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
        ui.separator();
        if s.pending_writes > 0 {
            ui.label(format!(
                "{} change(s) waiting for the hub",
                s.pending_writes
            ));
        }
        if let Some(notice) = &s.notice {
            ui.colored_label(egui::Color32::from_rgb(37, 99, 235), &notice.text);
        }
        ui.ctx().request_repaint_after(Duration::from_millis(500));
    }
}
