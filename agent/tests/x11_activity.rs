#![cfg(all(unix, not(target_os = "macos")))]
//! Input counts and the focused app against a real X server (Xvfb): xdotool types and moves
//! the pointer, and the counter sees it; a window named the way a window manager would name it
//! is read as the focused app; coloured windows come back in a screenshot where they were
//! drawn. Skipped, with the reason printed, where Xvfb is not installed.

use agent::tracking::focus::FocusSource;
use agent::tracking::input::InputSource;
use agent::tracking::screenshots::ScreenSource;
use agent::tracking::x11::focus::X11Focus;
use agent::tracking::x11::input::x11_input;
use agent::tracking::x11::screen::X11Screen;
use shared::protocol::ActiveApp;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use x11rb::connection::Connection;
use x11rb::protocol::xproto::{
    AtomEnum, ChangeWindowAttributesAux, ConnectionExt as _, CreateWindowAux, PropMode, WindowClass,
};
use x11rb::wrapper::ConnectionExt as _;

struct Xvfb {
    child: Child,
    display: String,
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An Xvfb of its own for each test (`slot` apart: the tests of this file run in parallel).
fn start_xvfb(slot: u32) -> Option<Xvfb> {
    if !Path::new("/usr/bin/Xvfb").exists() && which("Xvfb").is_none() {
        println!("skipped: Xvfb is not installed (apt-get install xvfb)");
        return None;
    }
    // A display number of our own, away from the usual :0/:99.
    let n = 200 + (std::process::id() % 150) * 2 + slot;
    let display = format!(":{n}");
    let child = Command::new("Xvfb")
        .args([
            display.as_str(),
            "-screen",
            "0",
            "800x600x24",
            "-noreset",
            "-nolisten",
            "tcp",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start Xvfb");
    let xvfb = Xvfb { child, display };
    let deadline = Instant::now() + Duration::from_secs(10);
    while x11rb::connect(Some(&xvfb.display)).is_err() {
        assert!(Instant::now() < deadline, "Xvfb did not come up");
        std::thread::sleep(Duration::from_millis(50));
    }
    Some(xvfb)
}

fn which(name: &str) -> Option<String> {
    let path = std::env::var("PATH").ok()?;
    path.split(':')
        .map(|dir| format!("{dir}/{name}"))
        .find(|p| Path::new(p).exists())
}

fn xdotool(display: &str, args: &[&str]) {
    let status = Command::new("xdotool")
        .args(args)
        .env("DISPLAY", display)
        .status()
        .expect("run xdotool");
    assert!(status.success(), "xdotool {args:?}");
}

#[test]
fn counts_input_and_reads_the_focused_window() {
    let Some(x) = start_xvfb(0) else {
        return;
    };
    let display = x.display.clone();

    let mut input = x11_input(Some(display.clone()));
    input.set_counting(true, true);
    let deadline = Instant::now() + Duration::from_secs(10);
    while !input.is_listening() {
        assert!(
            Instant::now() < deadline,
            "the listener never selected events"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    if which("xdotool").is_some() {
        xdotool(&display, &["key", "a", "b", "c"]);
        // Relative motion goes through XTEST like a real device (an absolute move warps the
        // pointer, which no device reports); button 4 is a wheel step.
        xdotool(&display, &["mousemove_relative", "5", "5"]);
        xdotool(&display, &["click", "1", "click", "4"]);
        let (mut keys, mut mouse) = (0, 0);
        let deadline = Instant::now() + Duration::from_secs(10);
        while (keys < 3 || mouse < 3) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
            let c = input.take();
            keys += c.keys.expect("keys are counted");
            mouse += c.mouse.expect("mouse events are counted");
        }
        assert_eq!(keys, 3, "three key presses (releases are not counted)");
        assert!(mouse >= 3, "motion, a click and a wheel step: {mouse}");
        // Switched off: nothing is reported, however much happens.
        input.set_counting(false, false);
        xdotool(&display, &["key", "d"]);
        std::thread::sleep(Duration::from_millis(200));
        let c = input.take();
        assert_eq!((c.keys, c.mouse), (None, None));
    } else {
        println!("input part skipped: xdotool is not installed");
    }

    // A window manager's job, done by hand: a named window, announced as the active one.
    let (conn, screen) = x11rb::connect(Some(&display)).expect("connect");
    let root = conn.setup().roots[screen].root;
    let atom = |name: &[u8]| conn.intern_atom(false, name).unwrap().reply().unwrap().atom;
    let (active, net_name, utf8) = (
        atom(b"_NET_ACTIVE_WINDOW"),
        atom(b"_NET_WM_NAME"),
        atom(b"UTF8_STRING"),
    );
    let window = |class: &[u8]| {
        let w = conn.generate_id().unwrap();
        conn.create_window(
            0,
            w,
            root,
            0,
            0,
            100,
            100,
            0,
            WindowClass::INPUT_OUTPUT,
            0,
            &CreateWindowAux::new(),
        )
        .unwrap();
        conn.change_property8(
            PropMode::REPLACE,
            w,
            AtomEnum::WM_CLASS,
            AtomEnum::STRING,
            class,
        )
        .unwrap();
        w
    };
    let editor = window(b"editor\0Editor\0");
    conn.change_property8(
        PropMode::REPLACE,
        editor,
        net_name,
        utf8,
        "Résumé — notes".as_bytes(),
    )
    .unwrap();
    let legacy = window(b"xterm\0XTerm\0");
    conn.change_property8(
        PropMode::REPLACE,
        legacy,
        AtomEnum::WM_NAME,
        AtomEnum::STRING,
        b"~/src",
    )
    .unwrap();
    let activate = |w: u32| {
        conn.change_property32(PropMode::REPLACE, root, active, AtomEnum::WINDOW, &[w])
            .unwrap();
        conn.sync().unwrap();
    };

    let mut focus = X11Focus::new(Some(display.clone()));
    assert_eq!(focus.active_app(), None, "no active window yet");
    activate(editor);
    assert_eq!(
        focus.active_app(),
        Some(ActiveApp {
            app: "Editor".into(),
            title: "Résumé — notes".into()
        })
    );
    activate(legacy);
    assert_eq!(
        focus.active_app(),
        Some(ActiveApp {
            app: "XTerm".into(),
            title: "~/src".into()
        }),
        "WM_NAME when there is no _NET_WM_NAME"
    );
    drop(x);
    // The server is gone: nothing, and no crash.
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(focus.active_app(), None);
}

#[test]
fn a_screenshot_shows_what_is_on_the_screen_where_it_is() {
    let Some(x) = start_xvfb(1) else {
        return;
    };
    let (conn, screen) = x11rb::connect(Some(&x.display)).expect("connect");
    let root = conn.setup().roots[screen].root;
    // An orange desktop with a blue window at (100, 50), 200×100.
    conn.change_window_attributes(
        root,
        &ChangeWindowAttributesAux::new().background_pixel(0xff8000),
    )
    .unwrap();
    conn.clear_area(false, root, 0, 0, 0, 0).unwrap();
    let window = conn.generate_id().unwrap();
    conn.create_window(
        0,
        window,
        root,
        100,
        50,
        200,
        100,
        0,
        WindowClass::INPUT_OUTPUT,
        0,
        &CreateWindowAux::new().background_pixel(0x0000ff),
    )
    .unwrap();
    conn.map_window(window).unwrap();
    conn.sync().unwrap();

    let shot = X11Screen::new(Some(&x.display))
        .capture()
        .expect("capture the Xvfb screen");
    assert_eq!(shot.dimensions(), (800, 600), "the whole 800×600 monitor");
    assert_eq!(shot.get_pixel(10, 10).0, [0xff, 0x80, 0x00, 255], "desktop");
    assert_eq!(
        shot.get_pixel(150, 80).0,
        [0, 0, 0xff, 255],
        "inside the window"
    );
    assert_eq!(
        shot.get_pixel(299, 149).0,
        [0, 0, 0xff, 255],
        "its last pixel"
    );
    assert_eq!(
        shot.get_pixel(300, 150).0,
        [0xff, 0x80, 0x00, 255],
        "just outside"
    );

    drop(x);
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        X11Screen::new(Some(":4719")).capture().is_err(),
        "no server: an error, no crash"
    );
}
