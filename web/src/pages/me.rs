//! `/me`: what the organization holds about a person and what admins see of it (SPEC §18) —
//! what the agent captures now, the sessions with their activity per 10-minute slot and
//! apps, idle time, screenshots (with how often someone else looked, and a delete button while
//! the policy allows it), and the audit entries about them, including every view of their
//! screenshots. Follows pushes: sessions, idle answers and policy changes reload it. An owner
//! looking at someone else's page also gets the erasure form, confirmed by typing the e-mail.

use leptos::prelude::*;
use leptos_meta::Title;
use shared::api::AuditEntry;
use shared::own_data::{CaptureSummary, OwnData, OwnScreenshot, OwnSession};
use shared::protocol::ServerToTab;

use crate::components::live_badge::LiveBadge;
use crate::components::since::Since;
use crate::components::top_bar::TopBar;
use crate::connect::{clock, live_link};
use crate::data::PageData;
use crate::pages::{forbidden::Missing, title};
use crate::time::{absolute, hms, machine};

/// The capture summary as lines a person reads: (what, state).
pub fn capture_lines(c: &CaptureSummary) -> Vec<(&'static str, String)> {
    let on_off = |on: bool| if on { "on" } else { "off" }.to_string();
    let screenshots = if c.screenshots {
        let every = if c.screenshot_interval_seconds.is_multiple_of(60) {
            format!("every {} min", c.screenshot_interval_seconds / 60)
        } else {
            format!("every {} s", c.screenshot_interval_seconds)
        };
        let blur = if c.screenshot_blur {
            ", blurred on your computer before upload"
        } else {
            ""
        };
        format!("on, {every} while a session runs{blur}")
    } else {
        "off".to_string()
    };
    let kept = |days: u32| match days {
        0 => "kept until erased".to_string(),
        1 => "deleted after 1 day".to_string(),
        n => format!("deleted after {n} days"),
    };
    let delete = match c.screenshot_delete_minutes {
        0 => "not allowed".to_string(),
        n => format!("within {n} min of the capture (its 10 minutes are then not counted)"),
    };
    vec![
        ("Screenshots", screenshots),
        ("Apps and window titles", on_off(c.apps)),
        ("Keyboard counts", on_off(c.keyboard_counts)),
        ("Mouse counts", on_off(c.mouse_counts)),
        ("Idle detection", on_off(c.idle_detection)),
        ("Deleting your screenshot", delete),
        ("Screenshots", kept(c.screenshot_retention_days)),
        ("Activity and apps", kept(c.activity_retention_days)),
    ]
}

/// One audit entry about the person, in words.
pub fn describe(entry: &AuditEntry) -> String {
    let d = &entry.details;
    let when_taken = d["captured_at"]
        .as_str()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|t| absolute(t.with_timezone(&chrono::Utc)));
    let target = entry.target_id.unwrap_or_default();
    match entry.action.as_str() {
        "SCREENSHOT_VIEWED" => format!(
            "Viewed screenshot #{target}{}",
            when_taken
                .map(|t| format!(" (taken {t})"))
                .unwrap_or_default()
        ),
        "SCREENSHOT_DELETED" => format!("Deleted screenshot #{target} and its 10 minutes"),
        "DATA_EXPORTED" => "Exported this data".to_string(),
        "USER_ERASED" => "Erased this person".to_string(),
        "SESSION_FORCE_ENDED" => format!(
            "Ended session #{}: {}",
            d["session_id"].as_i64().unwrap_or(target),
            d["reason"].as_str().unwrap_or("no reason given")
        ),
        action => {
            let what = match action {
                "ABSENCE_REQUESTED" => "Asked for an absence",
                "ABSENCE_RECORDED" => "Recorded an absence",
                "ABSENCE_APPROVED" => "Approved an absence",
                "ABSENCE_REFUSED" => "Refused an absence",
                "ABSENCE_CANCELLED" => "Cancelled an absence",
                "SESSION_EDITED" => "Corrected a session",
                "SESSION_DELETED" => "Deleted a session",
                "SESSION_AUTO_STOPPED" => "Stopped a session by a policy rule",
                "TIMESHEET_APPROVED" => "Approved a week",
                "TIMESHEET_REOPENED" => "Reopened a week",
                "WORK_PLAN_SET" => "Set the working-time plan",
                "WORK_PLAN_REMOVED" => "Removed a working-time plan",
                "USER_CREATED" => "Created the account",
                "USER_UPDATED" => "Changed the profile or role",
                "INVITE_ACCEPTED" => "Accepted the invitation",
                "PASSWORD_CHANGED" => "Changed the password",
                "PASSWORD_RESET" => "Reset the password",
                "PASSWORD_RESET_LINK_ISSUED" => "Issued a password reset link",
                "TWO_FACTOR_ENABLED" => "Turned on two-factor sign-in",
                "TWO_FACTOR_DISABLED" => "Turned off two-factor sign-in",
                "TWO_FACTOR_RESET" => "Reset two-factor sign-in",
                "RECOVERY_CODE_USED" => "Signed in with a recovery code",
                "RECOVERY_CODES_RENEWED" => "Renewed the recovery codes",
                "SSO_LOGIN" => "Signed in through the identity provider",
                "TOKEN_REVOKED" => "Signed out a device",
                _ => "",
            };
            match (what, entry.target_type.as_deref()) {
                ("", Some(kind)) => format!("{kind} #{target}"),
                ("", None) => "—".to_string(),
                (what, Some("user") | None) => what.to_string(),
                (what, Some(kind)) => format!("{what} ({kind} #{target})"),
            }
        }
    }
}

fn session_row(own: OwnSession) -> impl IntoView {
    let s = own.session;
    let a = own.activity;
    let duration = s
        .duration_seconds
        .map(hms)
        .unwrap_or_else(|| "running".into());
    let ended = s.ended_at.map(absolute).unwrap_or_else(|| "—".into());
    let percent = a
        .activity_percent
        .map(|p| format!("{p}%"))
        .unwrap_or_else(|| "—".into());
    let slots = a
        .slots
        .iter()
        .map(|slot| {
            let label = format!(
                "{} {}%",
                slot.start.format("%H:%M"),
                slot.activity_percent.min(100)
            );
            view! {
                <li class="slot-chip" data-slot-start=machine(slot.start) data-percent=slot.activity_percent>
                    {label}
                </li>
            }
        })
        .collect_view();
    let apps = a
        .apps
        .iter()
        .map(|app| format!("{} {}", app.app, hms(app.seconds)))
        .collect::<Vec<_>>()
        .join(" · ");
    let ticket = s.ticket_title.clone().unwrap_or_else(|| "—".into());
    let not_counted =
        (s.discarded_seconds > 0).then(|| format!("{} not counted", hms(s.discarded_seconds)));
    view! {
        <tr data-session-id=s.id>
            <td><time datetime=machine(s.started_at)>{absolute(s.started_at)}</time></td>
            <td>{ended}</td>
            <td class="num">{duration} {not_counted.map(|t| view! { <span class="muted">" (" {t} ")"</span> })}</td>
            <td>{ticket}</td>
            <td class="num">{percent}</td>
            <td><ol class="slot-chips">{slots}</ol></td>
            <td class="apps">{if apps.is_empty() { "—".to_string() } else { apps }}</td>
        </tr>
    }
}

fn screenshot_card(
    own: OwnScreenshot,
    can_delete: bool,
    now_ms: RwSignal<Option<i64>>,
    delete: impl Fn(i64) + Clone + Send + Sync + 'static,
) -> impl IntoView {
    let shot = own.screenshot;
    let id = shot.id;
    let until = own.deletable_until;
    let views = match own.views_by_others {
        0 => "Not viewed by anyone else".to_string(),
        1 => "Viewed once by someone else".to_string(),
        n => format!("Viewed {n} times by others"),
    };
    let deletable = move || {
        can_delete
            && until.is_some_and(|u| now_ms.get().is_none_or(|now| u.timestamp_millis() > now))
    };
    let button = move || {
        let delete = delete.clone();
        deletable().then(|| {
            view! {
                <button type="button" class="danger delete-shot" on:click=move |_| delete(id)>
                    "Delete (and its 10 minutes)"
                </button>
            }
        })
    };
    view! {
        <figure class="shot" data-screenshot-id=id>
            <a href=shot.url.clone() rel="external" target="_blank">
                <img
                    src=shot.url.clone()
                    alt=format!("Your screen at {}", absolute(shot.captured_at))
                    loading="lazy"
                    width=shot.width
                    height=shot.height
                />
            </a>
            <figcaption>
                <time datetime=machine(shot.captured_at)>{absolute(shot.captured_at)}</time>
                <span class="muted shot-views">{format!(" · {views}")}</span>
                {button}
            </figcaption>
        </figure>
    }
}

#[component]
pub fn MePage() -> impl IntoView {
    let page_data = use_context::<PageData>().unwrap_or_default();
    let Some(page) = page_data.me else {
        return view! { <Missing/> }.into_any();
    };
    let viewer = page_data.viewer;
    let own = page.own;
    let user_id = page.data.user.id;
    let email = page.data.user.email.clone();
    let data = RwSignal::new(page.data);
    let notice = RwSignal::new(None::<String>);
    let can_erase = RwSignal::new(page.can_erase);
    let now_ms = clock();
    let path = if own {
        "/api/me/data".to_string()
    } else {
        format!("/api/me/data?user_id={user_id}")
    };
    let reload = move || {
        let path = path.clone();
        leptos::task::spawn_local(async move {
            if let Ok(fresh) = crate::api::get::<OwnData>(&path).await {
                data.set(fresh);
            }
        });
    };
    let live = {
        let reload = reload.clone();
        live_link(move |message| {
            let mine = match &message {
                ServerToTab::SessionStarted { session }
                | ServerToTab::SessionUpdated { session } => session.user_id == user_id,
                ServerToTab::SessionEnded(_)
                | ServerToTab::SessionDeleted(_)
                | ServerToTab::ConfigUpdated(_)
                | ServerToTab::TimesheetUpdated(_) => true,
                _ => false,
            };
            if mine {
                reload();
            }
        })
    };
    let delete = {
        let reload = reload.clone();
        move |id: i64| {
            let reload = reload.clone();
            leptos::task::spawn_local(async move {
                match crate::api::delete_no_content(&format!("/api/screenshots/{id}")).await {
                    Ok(()) => {
                        notice.set(Some(format!(
                            "Screenshot #{id} is deleted, and its 10 minutes are no longer counted."
                        )));
                        reload();
                    }
                    Err(f) => notice.set(Some(f.message)),
                }
            });
        }
    };
    let heading = if own {
        "What is held about you".to_string()
    } else {
        format!(
            "What is held about {}",
            data.with_untracked(|d| d.user.name.clone())
        )
    };
    let export_href = if own {
        "/api/me/export".to_string()
    } else {
        format!("/api/users/{user_id}/export")
    };
    let capture = move || {
        data.with(|d| {
            capture_lines(&d.capture)
                .into_iter()
                .map(|(what, state)| {
                    view! {
                        <div class="capture-line">
                            <dt>{what}</dt>
                            <dd>{state}</dd>
                        </div>
                    }
                })
                .collect_view()
        })
    };
    let capture_version =
        move || data.with(|d| format!("Policy version {}", d.capture.config_version));
    let sessions = move || {
        data.with(|d| {
            d.sessions
                .clone()
                .into_iter()
                .map(session_row)
                .collect_view()
        })
    };
    let no_sessions = move || data.with(|d| d.sessions.is_empty());
    let idle = move || {
        data.with(|d| {
            d.idle_spans
                .iter()
                .map(|s| {
                    view! {
                        <tr>
                            <td>{format!("#{}", s.session_id)}</td>
                            <td><time datetime=machine(s.started_at)>{absolute(s.started_at)}</time></td>
                            <td class="num">{hms((s.ended_at - s.started_at).num_seconds())}</td>
                            <td>{s.decision.clone()}</td>
                        </tr>
                    }
                })
                .collect_view()
        })
    };
    let no_idle = move || data.with(|d| d.idle_spans.is_empty());
    let shots = {
        let delete = delete.clone();
        move || {
            let delete = delete.clone();
            data.with(|d| {
                d.screenshots
                    .clone()
                    .into_iter()
                    .map(|s| screenshot_card(s, own, now_ms, delete.clone()))
                    .collect_view()
            })
        }
    };
    let no_shots = move || data.with(|d| d.screenshots.is_empty());
    let audit = move || {
        data.with(|d| {
            d.audit
                .iter()
                .map(|entry| {
                    let at = entry.created_at;
                    let who = entry.actor_name.clone().unwrap_or_else(|| "system".into());
                    view! {
                        <tr data-audit-id=entry.id data-action=entry.action.clone()>
                            <td class="when"><Since at=move || Some(at) now_ms/></td>
                            <td class="who">{who}</td>
                            <td><span class="badge">{entry.action.clone()}</span></td>
                            <td>{describe(entry)}</td>
                        </tr>
                    }
                })
                .collect_view()
        })
    };
    let no_audit = move || data.with(|d| d.audit.is_empty());
    let since = data.with_untracked(|d| absolute(d.from));
    view! {
        <Title text=title("My data", &viewer)/>
        <TopBar viewer=viewer.clone() current=if own { "/me" } else { "/users" }/>
        <main class="page" id="main">
            <div class="page-head">
                <h1 id="me-heading" data-user-id=user_id>{heading}</h1>
                <div class="page-meta">
                    <LiveBadge live/>
                </div>
            </div>
            <p class="hint">
                {format!("Since {since}. Admins and owners of the organization see the same; supervisors see sessions, activity and screenshots. ")}
                <a id="me-export" href=export_href rel="external" download>"Download everything (ZIP)"</a>
            </p>
            <p class="notice" id="me-notice" role="status" hidden=move || notice.with(Option::is_none)>
                {move || notice.get()}
            </p>
            <section class="card" aria-labelledby="capture-heading">
                <h2 id="capture-heading">"Captured now"</h2>
                <p class="muted" id="capture-version">{capture_version}</p>
                <dl id="capture" class="capture-list">{capture}</dl>
            </section>
            <h2 id="my-sessions-heading">"Sessions"</h2>
            <div class="table-wrap" role="region" aria-labelledby="my-sessions-heading" tabindex="0">
                <table id="my-sessions" class="data-table">
                    <thead>
                        <tr>
                            <th scope="col">"Started"</th>
                            <th scope="col">"Ended"</th>
                            <th scope="col">"Counted"</th>
                            <th scope="col">"Ticket"</th>
                            <th scope="col">"Activity"</th>
                            <th scope="col">"Activity per 10 minutes"</th>
                            <th scope="col">"Focused apps"</th>
                        </tr>
                    </thead>
                    <tbody>{sessions}</tbody>
                </table>
            </div>
            <p class="empty" hidden=move || !no_sessions()>"No sessions in this period."</p>
            <h2 id="my-idle-heading">"Idle time"</h2>
            <div class="table-wrap" role="region" aria-labelledby="my-idle-heading" tabindex="0">
                <table id="my-idle" class="data-table">
                    <thead>
                        <tr>
                            <th scope="col">"Session"</th>
                            <th scope="col">"From"</th>
                            <th scope="col">"Length"</th>
                            <th scope="col">"Decision"</th>
                        </tr>
                    </thead>
                    <tbody>{idle}</tbody>
                </table>
            </div>
            <p class="empty" hidden=move || !no_idle()>"No idle time reported."</p>
            <h2 id="my-shots-heading">"Screenshots"</h2>
            <div id="my-screenshots" class="shot-grid">{shots}</div>
            <p class="empty" hidden=move || !no_shots()>"No screenshots in this period."</p>
            <h2 id="my-audit-heading">{if own { "Who did what about you" } else { "Who did what about this person" }}</h2>
            <div class="table-wrap" role="region" aria-labelledby="my-audit-heading" tabindex="0">
                <table id="my-audit" class="data-table">
                    <thead>
                        <tr>
                            <th scope="col">"When"</th>
                            <th scope="col">"Who"</th>
                            <th scope="col">"Action"</th>
                            <th scope="col">"What"</th>
                        </tr>
                    </thead>
                    <tbody>{audit}</tbody>
                </table>
            </div>
            <p class="empty" hidden=move || !no_audit()>"No entries yet."</p>
            {move || can_erase.get().then(|| view! { <EraseForm user_id email=email.clone() can_erase notice/> })}
        </main>
    }
    .into_any()
}

/// The owner's erasure of someone: the button works only once the e-mail is typed.
#[component]
fn EraseForm(
    user_id: i64,
    email: String,
    can_erase: RwSignal<bool>,
    notice: RwSignal<Option<String>>,
) -> impl IntoView {
    let typed = RwSignal::new(String::new());
    let expected = email.to_lowercase();
    let matches = move || typed.with(|t| t.trim().to_lowercase() == expected);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = shared::own_data::EraseRequest {
            confirm_email: typed.get_untracked(),
        };
        leptos::task::spawn_local(async move {
            let path = format!("/api/users/{user_id}/erase");
            match crate::api::post::<_, shared::own_data::EraseResponse>(&path, &body).await {
                Ok(done) => {
                    notice.set(Some(format!(
                        "Erased. From now on this person is shown as “{}”.",
                        done.shown_as
                    )));
                    can_erase.set(false);
                }
                Err(f) => notice.set(Some(f.message)),
            }
        });
    };
    view! {
        <section class="card danger-zone" aria-labelledby="erase-heading">
            <h2 id="erase-heading">"Erase this person"</h2>
            <p>
                "Deletes their screenshots, activity and focused apps, and their name, e-mail and \
                 other personal fields. Their sessions' times stay for the totals, shown as an \
                 erased user. This cannot be undone."
            </p>
            <form id="erase-form" on:submit=submit>
                <div class="field">
                    <label for="erase-email">{format!("Type {email} to confirm")}</label>
                    <input
                        id="erase-email"
                        type="email"
                        autocomplete="off"
                        prop:value=move || typed.get()
                        on:input=move |ev| typed.set(event_target_value(&ev))
                    />
                </div>
                <button id="erase-submit" type="submit" class="danger" disabled=move || !matches()>
                    "Erase for good"
                </button>
            </form>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_capture_summary_says_blurred_intervals_and_retention() {
        let mut policy = shared::Policy {
            screenshot_blur: true,
            screenshot_interval_seconds: 300,
            screenshot_retention_days: 30,
            screenshot_delete_minutes: 10,
            ..shared::Policy::default()
        };
        let lines = capture_lines(&CaptureSummary::of(&policy, 3));
        assert_eq!(
            lines[0].1,
            "on, every 5 min while a session runs, blurred on your computer before upload"
        );
        assert!(lines[5].1.starts_with("within 10 min"));
        assert_eq!(lines[6].1, "deleted after 30 days");
        assert_eq!(lines[7].1, "kept until erased");
        policy.screenshots_enabled = false;
        assert_eq!(capture_lines(&CaptureSummary::of(&policy, 3))[0].1, "off");
    }
}
