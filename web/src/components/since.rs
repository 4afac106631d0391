//! A past instant: absolute UTC on the server, "3 min ago" once the browser clock runs.

use chrono::{DateTime, Utc};
use leptos::either::Either;
use leptos::prelude::*;

use crate::time::{absolute, machine, relative};

#[component]
pub fn Since(
    at: impl Fn() -> Option<DateTime<Utc>> + Send + Sync + 'static,
    now_ms: RwSignal<Option<i64>>,
) -> impl IntoView {
    move || match at() {
        None => Either::Left(view! { <span class="never">"never"</span> }),
        Some(at) => {
            let shown = absolute(at);
            let title = shown.clone();
            Either::Right(view! {
                <time datetime=machine(at) title=title>
                    {move || match now_ms.get() {
                        Some(now) => relative(at, now),
                        None => shown.clone(),
                    }}
                </time>
            })
        }
    }
}
