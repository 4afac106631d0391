//! Query strings of the REST API and of the pages: parsed into their types, checked, and any
//! refusal is the API's 400; the pages' parsers take any pairs and build links that parse back.
#![no_main]

use libfuzzer_sys::fuzz_target;
use server::api::extract::{ApiQuery, Paging};
use server::api::screenshots::{ListQuery, UploadQuery};

fn api<T: serde::de::DeserializeOwned>(uri: &http::Uri) -> Option<T> {
    match ApiQuery::<T>::from_uri(uri) {
        Ok(ApiQuery(value)) => Some(value),
        Err(error) => {
            assert_eq!(error.status().as_u16(), 400, "{error}");
            None
        }
    }
}

fuzz_target!(|query: &str| {
    if let Ok(uri) = http::Uri::try_from(format!("/api/x?{query}")) {
        if let Some(paging) = api::<Paging>(&uri) {
            if let Ok((page, per_page)) = paging.resolve() {
                assert!(page >= 1 && (1..=500).contains(&per_page));
            }
        }
        let _ = api::<UploadQuery>(&uri);
        let _ = api::<ListQuery>(&uri);
    }
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let borrowed = || pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()));
    let page = web::query::parse_page_only(borrowed());
    assert!(page >= 1);
    let link = web::query::page_href("/x", page);
    let back = url::Url::parse(&format!("http://h{link}")).expect("a link that parses");
    let again = web::query::parse_page_only(
        back.query_pairs()
            .collect::<Vec<_>>()
            .iter()
            .map(|(k, v)| (k.as_ref(), v.as_ref())),
    );
    assert_eq!(again, page, "{link}");

    // The sessions page: its links read back as the same filters.
    let q = web::query::SessionQuery::parse(borrowed());
    let _ = (q.from_ms(), q.to_ms());
    let href = q.page_href(q.page);
    let back = url::Url::parse(&format!("http://h{href}")).expect("a link that parses");
    let pairs: Vec<(String, String)> = back.query_pairs().into_owned().collect();
    let again =
        web::query::SessionQuery::parse(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    assert_eq!(again.page_href(again.page), href);
});
