//! Calls to the hub's REST API from the browser (fetch, with the session cookie). Only event
//! handlers call these, and those only run after hydration; the server build has a stub.

use serde::de::DeserializeOwned;
use serde::Serialize;
use shared::api::ErrorBody;
use std::collections::BTreeMap;

/// A refused or failed call: the hub's message and, for 422, what is wrong with each field.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ApiFailure {
    /// The HTTP status; 0 when the hub could not be reached.
    pub status: u16,
    pub message: String,
    pub fields: BTreeMap<String, String>,
}

impl ApiFailure {
    fn unreachable() -> Self {
        ApiFailure {
            status: 0,
            message: "Could not reach the hub. Check the connection and try again.".into(),
            fields: BTreeMap::new(),
        }
    }

    /// Reads the hub's error body (`{"error": {code, message, fields?}}`).
    pub fn from_body(status: u16, body: &str) -> Self {
        match serde_json::from_str::<ErrorBody>(body) {
            Ok(ErrorBody { error }) => ApiFailure {
                status,
                message: error.message,
                fields: error.fields.unwrap_or_default(),
            },
            Err(_) => ApiFailure {
                status,
                message: format!("The hub answered {status}. Try again."),
                fields: BTreeMap::new(),
            },
        }
    }
}

/// `POST path` with a JSON body.
pub async fn post<B: Serialize, T: DeserializeOwned>(
    path: &str,
    body: &B,
) -> Result<T, ApiFailure> {
    send("POST", path, body).await
}

/// `PUT path` with a JSON body.
pub async fn put<B: Serialize, T: DeserializeOwned>(path: &str, body: &B) -> Result<T, ApiFailure> {
    send("PUT", path, body).await
}

/// `PATCH path` with a JSON body.
pub async fn patch<B: Serialize, T: DeserializeOwned>(
    path: &str,
    body: &B,
) -> Result<T, ApiFailure> {
    send("PATCH", path, body).await
}

/// `POST path` with a JSON body, for endpoints that answer 204 No Content.
pub async fn post_no_content<B: Serialize>(path: &str, body: &B) -> Result<(), ApiFailure> {
    let json = serde_json::to_string(body).map_err(|e| ApiFailure {
        message: format!("Could not send the request: {e}"),
        ..ApiFailure::default()
    })?;
    request("POST", path, Some(("application/json", json)))
        .await
        .map(|_| ())
}

/// `POST path` without a body (actions such as issuing a reset link).
pub async fn post_empty<T: DeserializeOwned>(path: &str) -> Result<T, ApiFailure> {
    let (status, text) = request("POST", path, None).await?;
    parse(status, &text)
}

/// `GET path`: a JSON answer (a page refreshing what a push said has changed).
pub async fn get<T: DeserializeOwned>(path: &str) -> Result<T, ApiFailure> {
    let (status, text) = request("GET", path, None).await?;
    parse(status, &text)
}

/// `DELETE path` with a JSON body (a reason), for endpoints that answer 204 No Content.
pub async fn delete_with<B: Serialize>(path: &str, body: &B) -> Result<(), ApiFailure> {
    let json = serde_json::to_string(body).map_err(|e| ApiFailure {
        message: format!("Could not send the request: {e}"),
        ..ApiFailure::default()
    })?;
    request("DELETE", path, Some(("application/json", json)))
        .await
        .map(|_| ())
}

/// `DELETE path` for endpoints that answer 204 No Content.
pub async fn delete_no_content(path: &str) -> Result<(), ApiFailure> {
    request("DELETE", path, None).await.map(|_| ())
}

async fn send<B: Serialize, T: DeserializeOwned>(
    method: &str,
    path: &str,
    body: &B,
) -> Result<T, ApiFailure> {
    let json = serde_json::to_string(body).map_err(|e| ApiFailure {
        message: format!("Could not send the request: {e}"),
        ..ApiFailure::default()
    })?;
    let (status, text) = request(method, path, Some(("application/json", json))).await?;
    parse(status, &text)
}

/// `POST path` with a body of another kind (an iCalendar file: `text/calendar`).
pub async fn post_text<T: DeserializeOwned>(
    path: &str,
    content_type: &'static str,
    text: String,
) -> Result<T, ApiFailure> {
    let (status, body) = request("POST", path, Some((content_type, text))).await?;
    parse(status, &body)
}

fn parse<T: DeserializeOwned>(status: u16, text: &str) -> Result<T, ApiFailure> {
    serde_json::from_str(text).map_err(|e| ApiFailure {
        status,
        message: format!("The hub's answer was unreadable: {e}"),
        fields: BTreeMap::new(),
    })
}

/// One call: the status and body of a successful answer, or the hub's error.
#[cfg(feature = "hydrate")]
async fn request(
    method: &str,
    path: &str,
    body: Option<(&'static str, String)>,
) -> Result<(u16, String), ApiFailure> {
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;
    use web_sys::{Headers, RequestInit, Response};

    let headers = Headers::new().map_err(|_| ApiFailure::unreachable())?;
    _ = headers.set("accept", "application/json");
    let init = RequestInit::new();
    init.set_method(method);
    if let Some((content_type, body)) = body {
        _ = headers.set("content-type", content_type);
        init.set_body(&wasm_bindgen::JsValue::from_str(&body));
    }
    init.set_headers(&headers);
    // Same-origin requests carry the session cookie (fetch's default credentials mode).
    let promise = leptos::prelude::window().fetch_with_str_and_init(path, &init);
    let response: Response = JsFuture::from(promise)
        .await
        .ok()
        .and_then(|r| r.dyn_into().ok())
        .ok_or_else(ApiFailure::unreachable)?;
    let text = match response.text() {
        Ok(p) => JsFuture::from(p)
            .await
            .ok()
            .and_then(|t| t.as_string())
            .unwrap_or_default(),
        Err(_) => String::new(),
    };
    if !response.ok() {
        return Err(ApiFailure::from_body(response.status(), &text));
    }
    Ok((response.status(), text))
}

#[cfg(not(feature = "hydrate"))]
async fn request(
    _method: &str,
    _path: &str,
    _body: Option<(&'static str, String)>,
) -> Result<(u16, String), ApiFailure> {
    Err(ApiFailure::unreachable())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_error_shape() {
        let f = ApiFailure::from_body(
            422,
            r#"{"error":{"code":"invalid_value","message":"Nothing was saved: invalid screenshot_quality.",
                "fields":{"screenshot_quality":"must be an integer from 50 to 95"}}}"#,
        );
        assert_eq!(f.status, 422);
        assert!(f.message.starts_with("Nothing was saved"));
        assert_eq!(
            f.fields["screenshot_quality"],
            "must be an integer from 50 to 95"
        );
        let f = ApiFailure::from_body(502, "<html>");
        assert!(f.message.contains("502") && f.fields.is_empty());
    }
}
