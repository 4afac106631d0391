//! `/api/openapi.json` against the router itself: every route the hub answers is described
//! (path and method), every described operation is routed, and the description carries the
//! error shape and both ways to log in. `/api/docs` serves Swagger UI from the hub itself.

use crate::common;

use common::TestHub;
use std::collections::BTreeSet;

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// Every path the hub's router has, read from its debug form (axum lists its routes there).
/// Panics if that form stops naming routes, so a change in axum cannot make this test pass
/// by finding nothing.
fn router_paths(hub: &TestHub) -> BTreeSet<String> {
    let debug = format!("{:?}", server::app::router(hub.state().clone()));
    let paths: BTreeSet<String> = debug
        .split('"')
        .filter(|s| s.starts_with('/') && !s.contains(' '))
        .map(str::to_string)
        .collect();
    for known in [
        "/api/auth/login",
        "/api/users/{id}",
        "/healthz",
        "/sessions/{id}",
    ] {
        assert!(
            paths.contains(known),
            "{known} not found in the router's routes: {paths:?}"
        );
    }
    paths
}

/// A concrete URL for a route pattern.
fn concrete(path: &str) -> String {
    path.replace("{id}", "1")
        .replace("{token}", "no-such-token")
}

#[tokio::test]
async fn every_route_is_described_and_every_description_is_routed() {
    let hub = TestHub::start().await;
    let (status, spec) = hub.call("GET", "/api/openapi.json", None, None).await;
    assert_eq!(status, 200);
    assert!(
        spec["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1")),
        "{}",
        spec["openapi"]
    );
    let described = spec["paths"].as_object().expect("paths");

    // The REST routes of the router: `/api/...` and the operations endpoints, without the
    // catch-all for unknown API paths and the description's own routes.
    let routes: Vec<String> = router_paths(&hub)
        .into_iter()
        .filter(|p| p.starts_with("/api/") || p == "/healthz" || p == "/metrics")
        .filter(|p| !p.contains("{*") && !p.starts_with("/api/docs") && p != "/api/openapi.json")
        .collect();
    assert!(routes.len() >= 35, "{routes:?}");
    let mut missing = Vec::new();
    for path in &routes {
        let Some(item) = described.get(path) else {
            missing.push(format!("{path} (the whole path)"));
            continue;
        };
        // Each method the hub answers on the route (anything but 405) must be described.
        for method in METHODS {
            let (status, _) = hub
                .call(&method.to_uppercase(), &concrete(path), None, None)
                .await;
            if status != 405 && item.get(method).is_none() {
                missing.push(format!(
                    "{} {path} (answers {status})",
                    method.to_uppercase()
                ));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "routes missing from /api/openapi.json: {missing:?}"
    );

    // And each described operation is a real route (not the JSON 404 for unknown API paths,
    // not 405).
    for (path, item) in described {
        for method in METHODS {
            if item.get(method).is_none() {
                continue;
            }
            let (status, body) = hub
                .call(&method.to_uppercase(), &concrete(path), None, None)
                .await;
            assert_ne!(status, 405, "{method} {path}: {body}");
            assert!(
                body["error"]["message"] != "Endpoint not found.",
                "{method} {path} is described but not routed"
            );
        }
    }
}

#[tokio::test]
async fn the_description_has_the_error_shape_auth_schemes_and_schemas() {
    let hub = TestHub::start().await;
    let (_, spec) = hub.call("GET", "/api/openapi.json", None, None).await;
    let schemes = &spec["components"]["securitySchemes"];
    assert_eq!(schemes["bearer"]["type"], "http");
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    assert_eq!(schemes["cookie"]["type"], "apiKey");
    assert_eq!(schemes["cookie"]["in"], "cookie");
    assert_eq!(schemes["cookie"]["name"], "ph_session");
    let error = &spec["components"]["schemas"]["ErrorBody"];
    assert!(error["properties"]["error"].is_object(), "{error}");
    // Every operation documents its errors with that shape, and its success with a schema, and
    // has an operationId of its own named `resource_action` (client generators name their
    // functions after it and refuse repeats).
    let mut operations = 0;
    let mut operation_ids = BTreeSet::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if !METHODS.contains(&method.as_str()) {
                continue;
            }
            operations += 1;
            let id = op["operationId"].as_str().unwrap_or_default();
            let (resource, action) = id.split_once('_').unwrap_or_default();
            assert!(
                !resource.is_empty()
                    && !action.is_empty()
                    && id.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{method} {path}: operationId {id:?} is not resource_action"
            );
            assert!(
                operation_ids.insert(id.to_string()),
                "{method} {path}: operationId {id} repeats"
            );
            let responses = op["responses"].as_object().unwrap();
            for status in ["400", "401", "404", "422", "500"] {
                assert!(
                    responses.contains_key(status),
                    "{method} {path} lacks {status}"
                );
            }
            assert!(
                responses.keys().any(|s| s.starts_with('2')),
                "{method} {path} has no success answer"
            );
        }
    }
    assert!(operations >= 45, "{operations} operations");
    // Public operations say so; the others need a login.
    assert_eq!(
        spec["paths"]["/api/auth/login"]["post"]["security"],
        serde_json::json!([{}])
    );
    assert!(spec["paths"]["/api/users"]["get"]["security"].is_null());
    assert!(spec["security"].as_array().is_some_and(|s| s.len() == 2));
    // The policy body names each field with its range.
    let policy = &spec["components"]["schemas"]["PolicyPatch"]["properties"];
    assert_eq!(policy["idle_threshold_seconds"]["minimum"], 60.0);
    assert_eq!(policy["idle_threshold_seconds"]["maximum"], 1800.0);
}

#[tokio::test]
async fn swagger_ui_is_served_by_the_hub_itself() {
    let hub = TestHub::start().await;
    let http = reqwest::Client::new();
    let page = http
        .get(format!("{}/api/docs/", hub.url))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("swagger-ui"), "{html}");
    assert!(!html.contains("https://"), "no asset from a CDN: {html}");
    let init = http
        .get(format!("{}/api/docs/swagger-initializer.js", hub.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(init.contains("/api/openapi.json"), "{init}");
    let bundle = http
        .get(format!("{}/api/docs/swagger-ui-bundle.js", hub.url))
        .send()
        .await
        .unwrap();
    assert_eq!(bundle.status(), 200);
    assert!(bundle.bytes().await.unwrap().len() > 100_000);
}
