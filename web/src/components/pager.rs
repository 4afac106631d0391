//! `nav.pager`: "Page 2 of 5 · 123 sessions" with previous/next links (plain links: the server
//! renders every page).

use leptos::prelude::*;

#[component]
pub fn Pager(
    page: u32,
    per_page: u32,
    #[prop(into)] total: Signal<i64>,
    /// "sessions", "tickets", "entries".
    noun: &'static str,
    href: impl Fn(u32) -> String + Send + Sync + 'static,
) -> impl IntoView {
    let pages = move || {
        let total = total.get().max(0) as u64;
        total.div_ceil(u64::from(per_page.max(1))).max(1) as u32
    };
    let prev = (page > 1).then(|| href(page - 1));
    let next_href = href(page + 1);
    view! {
        <nav class="pager" aria-label="Pages of the list">
            {prev.map(|h| view! { <a href=h rel="prev external">"← Previous"</a> })}
            <span class="pager-info">
                "Page " {page} " of " {pages} " · " {move || total.get()} " " {noun}
            </span>
            <Show when=move || page < pages()>
                <a href=next_href.clone() rel="next external">"Next →"</a>
            </Show>
        </nav>
    }
}
