//! The `/ws/tab` client (browser only): hands what the hub pushes to the page and reports the
//! viewer's activity. Reconnects with backoff; each connection starts with a
//! `presence_snapshot`, which resyncs the status page. No polling.

use std::cell::RefCell;
use std::rc::{Rc, Weak};
use std::time::Duration;

use leptos::prelude::*;
use shared::protocol::{close_code, ServerToTab, TabToServer};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{
    AddEventListenerOptions, CloseEvent, Event, EventTarget, MessageEvent, VisibilityState,
    WebSocket,
};

use crate::backoff::retry_delay_ms;
use crate::store::LiveState;

/// At most one `activity` message per this many ms.
const ACTIVITY_EVERY_MS: f64 = 1_000.0;
/// A connection that stayed open this long resets the backoff when it closes.
const STABLE_AFTER_MS: f64 = 10_000.0;
/// Viewer interactions that count as activity (listened to on the window, capturing).
const ACTIVITY_EVENTS: [&str; 5] = ["mousemove", "keydown", "click", "scroll", "focus"];

type Listener = (EventTarget, &'static str, Closure<dyn FnMut(Event)>);

/// The running client; dropping it closes the socket and removes the listeners.
pub struct LiveHandle {
    inner: Rc<RefCell<Inner>>,
    listeners: Vec<Listener>,
}

struct Inner {
    live: RwSignal<LiveState>,
    on_message: Callback<ServerToTab>,
    conn: Option<Conn>,
    /// Tells the current connection's callbacks from stale ones.
    generation: u64,
    failures: u32,
    opened_at_ms: Option<f64>,
    last_activity_ms: f64,
    retry: Option<TimeoutHandle>,
    stopped: bool,
}

struct Conn {
    ws: WebSocket,
    _on_open: Closure<dyn FnMut(Event)>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_close: Closure<dyn FnMut(CloseEvent)>,
}

impl Conn {
    /// Detaches the callbacks (so they can be dropped) and closes the socket.
    fn shut(self) {
        self.ws.set_onopen(None);
        self.ws.set_onmessage(None);
        self.ws.set_onclose(None);
        _ = self.ws.close();
    }
}

/// Connects to `/ws/tab` and starts reporting activity. Every message goes to `on_message`;
/// `live` tells the page whether the link is up.
pub fn start(live: RwSignal<LiveState>, on_message: Callback<ServerToTab>) -> LiveHandle {
    let inner = Rc::new(RefCell::new(Inner {
        live,
        on_message,
        conn: None,
        generation: 0,
        failures: 0,
        opened_at_ms: None,
        last_activity_ms: f64::NEG_INFINITY,
        retry: None,
        stopped: false,
    }));
    connect(&inner);
    let listeners = listen_for_activity(&inner);
    LiveHandle { inner, listeners }
}

impl Drop for LiveHandle {
    fn drop(&mut self) {
        for (target, name, callback) in &self.listeners {
            _ = target.remove_event_listener_with_callback_and_bool(
                name,
                callback.as_ref().unchecked_ref(),
                true,
            );
        }
        let mut inner = self.inner.borrow_mut();
        inner.stopped = true;
        if let Some(retry) = inner.retry.take() {
            retry.clear();
        }
        if let Some(conn) = inner.conn.take() {
            conn.shut();
        }
    }
}

fn ws_url() -> Option<String> {
    let location = window().location();
    let scheme = if location.protocol().ok()? == "https:" {
        "wss"
    } else {
        "ws"
    };
    Some(format!("{scheme}://{}/ws/tab", location.host().ok()?))
}

fn connect(rc: &Rc<RefCell<Inner>>) {
    let mut inner = rc.borrow_mut();
    if inner.stopped {
        return;
    }
    inner.retry = None;
    inner.opened_at_ms = None;
    // Called from a timer, never from the old socket's own callbacks: safe to drop them.
    if let Some(old) = inner.conn.take() {
        old.shut();
    }
    inner.generation += 1;
    let generation = inner.generation;
    let Some(ws) = ws_url().and_then(|url| WebSocket::new(&url).ok()) else {
        drop(inner);
        schedule_retry(rc);
        return;
    };
    let weak = Rc::downgrade(rc);
    let current = move |weak: &Weak<RefCell<Inner>>| {
        weak.upgrade().filter(|rc| {
            let inner = rc.borrow();
            inner.generation == generation && !inner.stopped
        })
    };

    let on_open = Closure::<dyn FnMut(Event)>::new({
        let weak = weak.clone();
        move |_: Event| {
            let Some(rc) = current(&weak) else { return };
            let live = {
                let mut inner = rc.borrow_mut();
                inner.opened_at_ms = Some(js_sys::Date::now());
                inner.live
            };
            live.set(LiveState::Connected);
        }
    });
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new({
        let weak = weak.clone();
        move |event: MessageEvent| {
            let Some(rc) = current(&weak) else { return };
            let Some(text) = event.data().as_string() else {
                return;
            };
            let on_message = rc.borrow().on_message;
            match serde_json::from_str::<ServerToTab>(&text) {
                Ok(message) => on_message.run(message),
                Err(err) => leptos::logging::warn!("/ws/tab: unreadable message: {err}"),
            }
        }
    });
    let on_close = Closure::<dyn FnMut(CloseEvent)>::new({
        let weak = weak.clone();
        move |event: CloseEvent| {
            let Some(rc) = current(&weak) else { return };
            if event.code() == close_code::UNAUTHORIZED {
                // Signed out or deactivated: the login page says what to do.
                rc.borrow_mut().stopped = true;
                _ = window().location().assign("/login");
                return;
            }
            let live = {
                let mut inner = rc.borrow_mut();
                let stable = inner
                    .opened_at_ms
                    .is_some_and(|t| js_sys::Date::now() - t >= STABLE_AFTER_MS);
                if stable {
                    inner.failures = 0;
                }
                inner.live
            };
            live.set(LiveState::Reconnecting);
            schedule_retry(&rc);
        }
    });
    ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
    inner.conn = Some(Conn {
        ws,
        _on_open: on_open,
        _on_message: on_message,
        _on_close: on_close,
    });
}

fn schedule_retry(rc: &Rc<RefCell<Inner>>) {
    let mut inner = rc.borrow_mut();
    if inner.stopped {
        return;
    }
    let delay = retry_delay_ms(inner.failures, js_sys::Math::random());
    inner.failures = inner.failures.saturating_add(1);
    let weak = Rc::downgrade(rc);
    let retry = move || {
        if let Some(rc) = weak.upgrade() {
            connect(&rc);
        }
    };
    inner.retry = set_timeout_with_handle(retry, Duration::from_millis(delay as u64)).ok();
}

/// Sends `activity` if the socket is open and the last one is at least a second old.
fn report_activity(rc: &Rc<RefCell<Inner>>) {
    let mut inner = rc.borrow_mut();
    let now = js_sys::Date::now();
    if now - inner.last_activity_ms < ACTIVITY_EVERY_MS {
        return;
    }
    let Some(conn) = &inner.conn else { return };
    if conn.ws.ready_state() != WebSocket::OPEN {
        return;
    }
    let message = serde_json::to_string(&TabToServer::Activity {}).unwrap_or_default();
    if conn.ws.send_with_str(&message).is_ok() {
        inner.last_activity_ms = now;
    }
}

fn listen_for_activity(rc: &Rc<RefCell<Inner>>) -> Vec<Listener> {
    let options = AddEventListenerOptions::new();
    options.set_capture(true);
    options.set_passive(true);
    let mut listeners = Vec::new();
    let mut add = |target: EventTarget, name: &'static str, only_when_visible: bool| {
        let weak = Rc::downgrade(rc);
        let callback = Closure::<dyn FnMut(Event)>::new(move |_: Event| {
            if only_when_visible && document().visibility_state() != VisibilityState::Visible {
                return;
            }
            if let Some(rc) = weak.upgrade() {
                report_activity(&rc);
            }
        });
        let added = target.add_event_listener_with_callback_and_add_event_listener_options(
            name,
            callback.as_ref().unchecked_ref(),
            &options,
        );
        if added.is_ok() {
            listeners.push((target, name, callback));
        }
    };
    for name in ACTIVITY_EVENTS {
        add(window().into(), name, false);
    }
    add(document().into(), "visibilitychange", true);
    listeners
}
