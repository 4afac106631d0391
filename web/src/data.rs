//! What the hub hands the app for one request. The server fills it before rendering;
//! the app serializes what it shows into the page so that hydration sees the same data.
//! Every list is already scoped to what the viewer may see (the same rules as the API).

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use shared::activity::SessionActivity;
use shared::api::{AuditEntry, Paged, Screenshot, Ticket, UserInfo, UserRecord};
use shared::game_servers::{GameServer, ServerSession, StaffDetails};
use shared::people::{DeviceToken, InviteInfo, OrgSettings};
use shared::protocol::SessionInfo;
use shared::{Policy, PresenceEntry, PresenceStatus};

use crate::query::{AuditQuery, ReportQuery, ScreenshotQuery, SessionQuery, StaffQuery};
use shared::timesheets::{TimeReport, TimesheetWeek};

/// The logged-in user looking at the page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Viewer {
    pub user: UserInfo,
    pub org_name: String,
}

/// Everything the status page `/` needs for its first render.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusPageData {
    /// Sorted by name, then id: the order is part of the markup, so both ends must agree.
    pub users: Vec<PresenceEntry>,
    pub idle_threshold_seconds: u32,
    /// Game servers short of staff now (SPEC §15).
    #[serde(default)]
    pub coverage_alerts: Vec<shared::game_servers::CoverageAlert>,
}

/// A choice in a user picker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserOption {
    pub id: i64,
    pub name: String,
}

/// A choice in a ticket picker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketOption {
    pub id: i64,
    pub number: i64,
    pub title: String,
}

impl TicketOption {
    /// "#3 Login bug".
    pub fn label(&self) -> String {
        format!("#{} {}", self.number, self.title)
    }
}

/// `/sessions`: one page of the filtered list and what the forms need.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionsPageData {
    /// The filters as applied (a member's `user_id` is always their own).
    pub query: SessionQuery,
    pub list: Paged<SessionInfo>,
    /// For the user filter; empty for members, who only see themselves.
    pub users: Vec<UserOption>,
    pub tickets: Vec<TicketOption>,
    /// The viewer's own running session, for Start/Stop.
    pub own_active: Option<SessionInfo>,
}

/// `/sessions/{id}`: one session and its activity (10-minute slots, top apps).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionPageData {
    pub session: SessionInfo,
    pub activity: SessionActivity,
}

/// `/tickets`: one page of tickets, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketsPageData {
    pub list: Paged<Ticket>,
}

/// `/tickets/{id}`: the ticket and one page of its sessions (a member sees only theirs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketPageData {
    pub ticket: Ticket,
    pub sessions: Paged<SessionInfo>,
    /// Its creator, and supervisors and up, edit and close it.
    pub can_edit: bool,
}

/// `/settings/policy`: the organization's policy; only an owner may change it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyPageData {
    pub config_version: i64,
    pub config: Policy,
    pub updated_at: DateTime<Utc>,
    pub can_edit: bool,
}

/// `/audit`: one page of the log, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditPageData {
    pub query: AuditQuery,
    pub list: Paged<AuditEntry>,
}

/// `/screenshots`: one page of screenshots, newest first (a member's are always their own).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScreenshotsPageData {
    pub query: ScreenshotQuery,
    pub list: Paged<Screenshot>,
    /// For the user filter; empty for members, who only see themselves.
    pub users: Vec<UserOption>,
}

/// `/staff/{id}`: a staff member's time on game servers and one page of their sessions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StaffPageData {
    pub details: StaffDetails,
    pub query: StaffQuery,
    pub sessions: Paged<ServerSession>,
}

/// `/servers`: every game server of the organization with who is on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServersPageData {
    pub servers: Vec<GameServer>,
    /// Staff members with a game name (the ones the poller can match), for their details pages.
    pub staff: Vec<UserOption>,
    /// Admins and owners add servers and turn polling on and off.
    pub can_edit: bool,
}

/// `/setup`: the first-run form, shown only with the live setup token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SetupPageData {
    /// The token from the link (`?token=`), sent back with the form.
    pub token: String,
    /// False without a token, with a wrong or used one, or once an organization exists:
    /// the page then explains instead of showing the form.
    pub open: bool,
}

/// `/invite/{token}`: set a password from an invite or reset link.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InvitePageData {
    pub token: String,
    /// `None` when the link is unknown, used or expired.
    pub invite: Option<InviteInfo>,
}

/// A user as `/users` lists them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserRow {
    pub user: UserRecord,
    pub status: PresenceStatus,
    /// Their live logins (browsers and agents).
    pub devices: Vec<DeviceToken>,
}

/// `/users` (admins and owners): everyone of the organization, sorted by name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UsersPageData {
    pub users: Vec<UserRow>,
    /// The organization's timezone (what a user without their own follows).
    pub org_timezone: String,
    /// Who has two-factor sign-in on (an admin may reset it).
    #[serde(default)]
    pub two_factor_users: Vec<i64>,
}

/// `/account`: one's own profile, password and devices.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountPageData {
    pub user: UserRecord,
    pub devices: Vec<DeviceToken>,
    pub org_timezone: String,
    /// One's two-factor sign-in, and whether the organization requires it.
    #[serde(default)]
    pub two_factor: shared::two_factor::TwoFactorStatus,
}

/// `/settings/org` (admins and owners).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrgPageData {
    pub org: OrgSettings,
    /// Single sign-on: owners only (`None` for admins).
    #[serde(default)]
    pub sso: Option<shared::sso::SsoSection>,
}

/// `/timesheets`: a week of every user the viewer may see, and one user's sessions in it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimesheetsPageData {
    pub sheet: TimesheetWeek,
    /// Supervisors and up approve; admins and up reopen and correct anyone's time.
    pub can_approve: bool,
    pub can_reopen: bool,
    /// Whose sessions are listed under the grid (`sheet.sessions`: those that touch the week).
    pub selected: Option<i64>,
    /// The week's planned, absence and balance figures of the people the viewer sees.
    pub worktime: shared::worktime::WorktimeReport,
    /// The same figures over the calendar month of the week's Monday.
    pub month: shared::worktime::WorktimeReport,
}

/// `/reports`: the report as asked for (or why it could not be made).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportsPageData {
    pub query: ReportQuery,
    pub report: TimeReport,
    pub error: Option<String>,
}

/// Someone an admin may choose (a plan's person).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Person {
    pub id: i64,
    pub name: String,
}

/// `/absences`: the absences the viewer sees (their own; supervisors and up everyone's), the
/// holidays, and for admins the working-time plans and the people to plan for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AbsencesPageData {
    pub absences: Vec<shared::worktime::Absence>,
    pub holidays: Vec<shared::worktime::Holiday>,
    pub plans: Vec<shared::worktime::WorkPlan>,
    pub people: Vec<Person>,
    /// Supervisors and up approve and refuse.
    pub can_decide: bool,
    /// Admins and owners record absences for others, set holidays and plans.
    pub can_admin: bool,
    /// Today in the organization's timezone (the request form starts there).
    pub today: NaiveDate,
}

/// `/settings/webhooks`: every webhook with its recent deliveries (newest first).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhooksPageData {
    pub webhooks: Vec<WebhookView>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookView {
    pub webhook: shared::webhooks::Webhook,
    pub recent: Vec<shared::webhooks::WebhookDelivery>,
}

/// `/fleet`: every agent device of the organization.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FleetPageData {
    pub list: shared::fleet::AgentList,
}

/// `/downloads`: the desktop agents the hub offers (`--downloads-dir`), sorted by name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DownloadsPageData {
    /// False when the hub runs without a downloads folder: the page says how to offer them.
    pub offered: bool,
    pub files: Vec<DownloadFile>,
}

/// One file of `/downloads`, served at `/downloads/{name}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DownloadFile {
    pub name: String,
    /// What it is, for the builds the hub knows by name ("Windows installer ...").
    pub description: Option<String>,
    pub size_bytes: u64,
    /// Lowercase hex.
    pub sha256: String,
}

/// `/device`: a signed-in person approves or denies an agent's sign-in by its code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DevicePageData {
    /// The code from the link or the form (normalised when it names a sign-in).
    pub code: String,
    /// The sign-in waiting with that code, while it can be answered.
    pub request: Option<shared::device_flow::DeviceLoginRequest>,
    /// Why the code cannot be answered: unknown, expired, already answered, not a code.
    pub error: Option<String>,
}

/// `/me`: what the organization holds about a person (SPEC §18).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MePageData {
    pub data: shared::own_data::OwnData,
    /// The viewer's own page (else an admin or owner looking at someone's).
    pub own: bool,
    /// An owner looking at someone else: the erasure form is shown.
    pub can_erase: bool,
}

/// Provided as Leptos context by the hub for each server-side render. Exactly one page's
/// field is set (or none, for the login, not-found and forbidden pages).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PageData {
    pub viewer: Option<Viewer>,
    pub status: Option<StatusPageData>,
    pub sessions: Option<SessionsPageData>,
    pub session: Option<SessionPageData>,
    pub tickets: Option<TicketsPageData>,
    pub ticket: Option<TicketPageData>,
    pub policy: Option<PolicyPageData>,
    pub audit: Option<AuditPageData>,
    pub screenshots: Option<ScreenshotsPageData>,
    pub staff: Option<StaffPageData>,
    pub servers: Option<ServersPageData>,
    pub setup: Option<SetupPageData>,
    pub invite: Option<InvitePageData>,
    pub users: Option<UsersPageData>,
    pub account: Option<AccountPageData>,
    pub org: Option<OrgPageData>,
    pub timesheets: Option<TimesheetsPageData>,
    pub reports: Option<ReportsPageData>,
    pub fleet: Option<FleetPageData>,
    pub webhooks: Option<WebhooksPageData>,
    pub absences: Option<AbsencesPageData>,
    pub downloads: Option<DownloadsPageData>,
    pub device: Option<DevicePageData>,
    #[serde(default)]
    pub me: Option<MePageData>,
    /// Set when the viewer's role is too low for the page: why (rendered with status 403).
    pub forbidden: Option<String>,
    /// Shown on `/login` after a failed attempt.
    pub login_error: Option<String>,
    /// Where `/login` goes once signed in (a path of this hub, from `?next=`).
    pub login_next: Option<String>,
    /// `/login` after a correct password of someone with two-factor sign-in: the code form.
    #[serde(default)]
    pub login_mfa: Option<LoginMfaData>,
}

/// The second step of `/login` (SPEC §17): the form asking for the code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoginMfaData {
    /// The one-time token of the password step, sent back with the code.
    pub mfa_token: String,
    /// Why the last code was refused.
    pub error: Option<String>,
    /// The last try was with a recovery code: that form is shown open.
    pub recovery: bool,
}
