//! `/downloads` (every signed-in user): the desktop agents the hub offers from its
//! `--downloads-dir`, each a link to `/downloads/{file}` with what it is, its size and its
//! SHA-256 to check the download against. Without a folder (or with an empty one) the page
//! says so, and how an admin offers them.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::live_badge::LiveBadge;
use crate::components::top_bar::TopBar;
use crate::connect::live_link;
use crate::data::{DownloadFile, PageData};
use crate::pages::{forbidden::Missing, title};
use crate::query::encode;

/// "812 bytes", "412 KB", "1.3 MB" (as the screenshots page counts: 1 KB = 1,024 bytes).
pub fn size(bytes: u64) -> String {
    const KB: u64 = 1024;
    const MB: u64 = 1024 * 1024;
    match bytes {
        1 => "1 byte".to_string(),
        b if b < KB => format!("{b} bytes"),
        b if b < MB => format!("{} KB", b.div_ceil(KB)),
        b => format!("{:.1} MB", b as f64 / MB as f64),
    }
}

/// Where the file is downloaded: its name as one percent-encoded path segment.
pub fn href(name: &str) -> String {
    format!("/downloads/{}", encode(name))
}

#[component]
pub fn DownloadsPage() -> impl IntoView {
    let data = use_context::<PageData>().unwrap_or_default();
    let Some(page) = data.downloads else {
        return view! { <Missing/> }.into_any();
    };
    // Nothing on this page changes live; the link still shows whether the hub is reachable.
    let live = live_link(|_| {});
    let content = if !page.offered {
        view! {
            <p id="downloads-empty" class="empty">
                "No downloads are offered yet. An admin offers the desktop agents by putting them in a folder and starting the hub with "
                <code>"--downloads-dir"</code>" (or "<code>"HUB_DOWNLOADS_DIR"</code>")."
            </p>
        }
        .into_any()
    } else if page.files.is_empty() {
        view! {
            <p id="downloads-empty" class="empty">
                "No downloads are offered yet: the downloads folder is empty. An admin puts the desktop agents in the folder given with "
                <code>"--downloads-dir"</code>"."
            </p>
        }
        .into_any()
    } else {
        let rows = page
            .files
            .into_iter()
            .map(|file| view! { <DownloadRow file/> })
            .collect_view();
        view! {
            <div class="table-wrap" role="region" aria-labelledby="downloads-heading" tabindex="0">
                <table id="downloads-table" class="data-table">
                    <thead>
                        <tr>
                            <th scope="col">"File"</th>
                            <th scope="col">"What it is"</th>
                            <th scope="col">"Size"</th>
                            <th scope="col">"SHA-256"</th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
            <p class="hint downloads-check">
                "To check a download, compare its SHA-256 with the one shown: "
                <code>"sha256sum presence-agent"</code>" on Linux, "
                <code>"Get-FileHash presence-agent-setup.exe"</code>" in PowerShell on Windows."
            </p>
        }
        .into_any()
    };
    view! {
        <Title text=title("Downloads", &data.viewer)/>
        <TopBar viewer=data.viewer current="/downloads"/>
        <main class="page" id="main">
            <div class="page-head">
                <h1 id="downloads-heading">"Downloads"</h1>
                <div class="page-meta">
                    <LiveBadge live/>
                </div>
            </div>
            <p class="hint downloads-intro">
                "The desktop agent tracks your work sessions from your computer. Download it for your system, install it, and sign in with the e-mail and password you use here."
            </p>
            {content}
        </main>
    }
    .into_any()
}

#[component]
fn DownloadRow(file: DownloadFile) -> impl IntoView {
    let link = href(&file.name);
    let what = match file.description.clone() {
        Some(text) => view! { <span>{text}</span> }.into_any(),
        None => view! { <span class="muted">"Other file"</span> }.into_any(),
    };
    view! {
        <tr class="download-row" data-file=file.name.clone()>
            <th scope="row">
                <a href=link rel="external">{file.name.clone()}</a>
            </th>
            <td class="download-description">{what}</td>
            <td class="size" data-bytes=file.size_bytes.to_string()>{size(file.size_bytes)}</td>
            <td class="sha256"><code>{file.sha256}</code></td>
        </tr>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_people_count_them() {
        assert_eq!(size(0), "0 bytes");
        assert_eq!(size(1), "1 byte");
        assert_eq!(size(812), "812 bytes");
        assert_eq!(size(1024), "1 KB");
        assert_eq!(size(421_000), "412 KB");
        assert_eq!(size(1_363_149), "1.3 MB");
    }

    #[test]
    fn a_file_name_is_one_encoded_path_segment() {
        assert_eq!(
            href("presence-agent-setup.exe"),
            "/downloads/presence-agent-setup.exe"
        );
        assert_eq!(href("a b#c.exe"), "/downloads/a%20b%23c.exe");
    }
}
