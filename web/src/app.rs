//! The HTML shell and the routes.

use leptos::config::LeptosOptions;
use leptos::prelude::*;
use leptos::server::SharedValue;
use leptos_meta::{provide_meta_context, MetaTags};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

use crate::data::PageData;
use crate::pages::device::DevicePage;
use crate::pages::{
    absences::AbsencesPage, account::AccountPage, audit::AuditPage, downloads::DownloadsPage,
    fleet::FleetPage, invite::InvitePage, login::LoginPage, me::MePage, not_found::NotFound,
    org_settings::OrgSettingsPage, policy::PolicyPage, reports::ReportsPage,
    screenshots::ScreenshotsPage, servers::ServersPage, session::SessionPage,
    sessions::SessionsPage, setup::SetupPage, staff::StaffPage, status::StatusPage,
    ticket::TicketPage, tickets::TicketsPage, timesheets::TimesheetsPage, users::UsersPage,
    webhooks::WebhooksPage,
};

/// The whole document the server renders around [`App`].
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
                // No favicon: saves the browser a request that would only meet the 404 page.
                <link rel="icon" href="data:,"/>
                <link rel="stylesheet" href="/style/main.css"/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The app: the page data shared with the browser, then the routes.
///
/// Plain links inside the app must carry `rel="external"`: the hub renders every page on the
/// server with fresh data, so the router must not navigate on the client.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // On the server: the `PageData` the hub provided, serialized into the page.
    // In the browser during hydration: read back from the page, never recomputed.
    let data = SharedValue::new(|| use_context::<PageData>().unwrap_or_default()).into_inner();
    provide_context(data);

    view! {
        <Router>
            <Routes fallback=|| view! { <NotFound/> }>
                <Route path=path!("/") view=StatusPage/>
                <Route path=path!("/login") view=LoginPage/>
                <Route path=path!("/login/mfa") view=LoginPage/>
                <Route path=path!("/sessions") view=SessionsPage/>
                <Route path=path!("/sessions/:id") view=SessionPage/>
                <Route path=path!("/tickets") view=TicketsPage/>
                <Route path=path!("/tickets/:id") view=TicketPage/>
                <Route path=path!("/settings/policy") view=PolicyPage/>
                <Route path=path!("/audit") view=AuditPage/>
                <Route path=path!("/timesheets") view=TimesheetsPage/>
                <Route path=path!("/absences") view=AbsencesPage/>
                <Route path=path!("/me") view=MePage/>
                <Route path=path!("/fleet") view=FleetPage/>
                <Route path=path!("/reports") view=ReportsPage/>
                <Route path=path!("/screenshots") view=ScreenshotsPage/>
                <Route path=path!("/servers") view=ServersPage/>
                <Route path=path!("/staff/:id") view=StaffPage/>
                <Route path=path!("/setup") view=SetupPage/>
                <Route path=path!("/invite/:token") view=InvitePage/>
                <Route path=path!("/users") view=UsersPage/>
                <Route path=path!("/account") view=AccountPage/>
                <Route path=path!("/settings/org") view=OrgSettingsPage/>
                <Route path=path!("/settings/webhooks") view=WebhooksPage/>
                <Route path=path!("/downloads") view=DownloadsPage/>
                <Route path=path!("/device") view=DevicePage/>
            </Routes>
        </Router>
    }
}
