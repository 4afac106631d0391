//! The OpenAPI 3.1 description of the REST API (`GET /api/openapi.json`, browsable at
//! `/api/docs`), generated from the handlers' `#[utoipa::path]` attributes and the types of
//! `shared`. What every operation has in common is added here once: the two ways to log in
//! and the JSON error shape of SPEC §5.

use utoipa::openapi::path::Operation;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::schema::{AdditionalProperties, ObjectBuilder, Schema, Type};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, SecurityRequirement};
use utoipa::{Modify, OpenApi, PartialSchema, ToSchema};

use crate::api::extract::SESSION_COOKIE;
use shared::api::{ErrorBody, ErrorDetail};
use shared::policy::{FieldKind, FIELDS};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Presence Hub",
        description = "Real-time presence and time tracking. Every `/api` call takes `Authorization: Bearer <token>` (from `POST /api/auth/login`) or the session cookie the login sets. Errors are `{\"error\": {\"code\", \"message\", \"fields\"?}}`; another organization's ids answer 404. Live events come over the WebSockets `/ws/agent` and `/ws/tab` (not described here)."
    ),
    modifiers(&Security),
    components(schemas(ErrorBody, ErrorDetail)),
    tags(
        (name = "auth", description = "Logging in and out, passwords, devices"),
        (name = "two-factor", description = "One's own two-factor sign-in: authenticator app (TOTP) and recovery codes"),
        (name = "setup", description = "The first organization of a new hub"),
        (name = "organization", description = "Organization settings"),
        (name = "users", description = "People of the organization"),
        (name = "status", description = "One's own break, custom status and do-not-disturb"),
        (name = "sessions", description = "Work sessions"),
        (name = "tickets", description = "Tickets and the time spent on them"),
        (name = "timesheets", description = "Corrections, idle time, approved weeks and time reports"),
        (name = "worktime", description = "Working time: plans, holidays, absences, and planned / worked / absence / balance figures"),
        (name = "policy", description = "The tracking policy every agent applies"),
        (name = "fleet", description = "Desktop agent devices and what they applied"),
        (name = "webhooks", description = "Signed HTTP deliveries of the organization's events"),
        (name = "audit", description = "Who changed what"),
        (name = "screenshots", description = "Screenshots taken by desktop agents"),
        (name = "own data", description = "What is held about a person: their own view, export and erasure"),
        (name = "game servers", description = "Game servers polled over A2S"),
        (name = "staff", description = "Staff time on game servers"),
        (name = "operations", description = "Health and metrics"),
    )
)]
pub struct ApiDoc;

/// The bearer token and the session cookie; either one logs a request in. Operations marked
/// `security(())` are open.
struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
        components.add_security_scheme(
            "cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(SESSION_COOKIE))),
        );
        openapi.security = Some(vec![
            SecurityRequirement::new("bearer", Vec::<String>::new()),
            SecurityRequirement::new("cookie", Vec::<String>::new()),
        ]);
    }
}

/// The statuses `crate::error::ApiError` answers with, each with the JSON error body.
const ERROR_STATUSES: [(&str, &str); 11] = [
    (
        "400",
        "Malformed request (not JSON, wrong types, bad query), or the device sign-in's poll answer (`authorization_pending`, `slow_down`, `access_denied`, `expired_token`, `invalid_grant`)",
    ),
    ("401", "Not logged in, or wrong credentials"),
    (
        "403",
        "The caller's role is too low, or (`two_factor_required`) their organization requires two-factor sign-in they have not turned on",
    ),
    ("404", "Not found, or another organization's"),
    ("405", "Method not allowed"),
    (
        "409",
        "Conflict (an existing e-mail, an active session, the last owner, a used link), or (`sso_required`) a password login where the organization signs in through its identity provider",
    ),
    ("413", "Request body too large"),
    ("415", "Wrong content type"),
    (
        "422",
        "Invalid values: `fields` names each with its allowed range",
    ),
    ("429", "Rate limited (sign-in: passwords and two-factor codes; device codes): see Retry-After"),
    ("500", "The hub failed"),
];

/// Adds the error responses to every operation (a handler documents its success answers);
/// applied once the router has added every path ([`finish`]).
struct Errors;

/// Completes the description of the routed operations.
pub fn finish(openapi: &mut utoipa::openapi::OpenApi) {
    Errors.modify(openapi);
}

impl Modify for Errors {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        for (status, description) in ERROR_STATUSES.iter().chain([&(
            "503",
            "The hub is shutting down or its database is unreachable",
        )]) {
            components.responses.insert(
                format!("Error{status}"),
                RefOr::T(
                    ResponseBuilder::new()
                        .description(*description)
                        .content(
                            "application/json",
                            ContentBuilder::new()
                                .schema(Some(Ref::from_schema_name("ErrorBody")))
                                .build(),
                        )
                        .build(),
                ),
            );
        }
        for item in openapi.paths.paths.values_mut() {
            for op in operations(item) {
                for (status, _) in ERROR_STATUSES.iter().chain([&("503", "")]) {
                    op.responses
                        .responses
                        .entry(status.to_string())
                        .or_insert_with(|| {
                            RefOr::Ref(Ref::from_response_name(format!("Error{status}")))
                        });
                }
            }
        }
    }
}

fn operations(item: &mut utoipa::openapi::PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        item.get.as_mut(),
        item.put.as_mut(),
        item.post.as_mut(),
        item.delete.as_mut(),
        item.patch.as_mut(),
        item.head.as_mut(),
        item.options.as_mut(),
        item.trace.as_mut(),
    ]
    .into_iter()
    .flatten()
}

/// The body of `PUT /api/policy`: any subset of the policy's fields, each with its range —
/// built from `shared::policy::FIELDS`, the table the hub validates against.
pub struct PolicyPatch;

impl PartialSchema for PolicyPatch {
    fn schema() -> RefOr<Schema> {
        let mut object = ObjectBuilder::new()
            .description(Some("Any subset of the policy's fields; out-of-range values answer 422 and nothing is saved."))
            .additional_properties(Some(AdditionalProperties::FreeForm(false)));
        for field in FIELDS.iter() {
            let property = match field.kind {
                FieldKind::Bool => ObjectBuilder::new().schema_type(Type::Boolean),
                FieldKind::Int { min, max } => ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .minimum(Some(min as f64))
                    .maximum(Some(max as f64)),
                // 0 or min..=max: the range alone would refuse the 0 that turns it off.
                FieldKind::IntOrOff { max, .. } => ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .minimum(Some(0.0))
                    .maximum(Some(max as f64)),
                FieldKind::Choice(words) => ObjectBuilder::new()
                    .schema_type(Type::String)
                    .enum_values(Some(words.iter().copied())),
                FieldKind::LocalTime => ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::SchemaType::from_iter([
                        Type::String,
                        Type::Null,
                    ]))
                    .pattern(Some("^([01][0-9]|2[0-3]):[0-5][0-9]$")),
            }
            .description(Some(format!(
                "{}: {} (default {})",
                field.label,
                field.range_text(),
                field.default
            )));
            object = object.property(field.name, property);
        }
        RefOr::T(Schema::Object(object.build()))
    }
}

impl ToSchema for PolicyPatch {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_patch_names_every_field_with_its_range() {
        let json = serde_json::to_value(PolicyPatch::schema()).expect("schema");
        let props = json["properties"].as_object().expect("properties");
        assert_eq!(props.len(), FIELDS.len());
        assert_eq!(props["screenshot_quality"]["minimum"], 50.0);
        assert_eq!(props["screenshot_quality"]["maximum"], 95.0);
        assert_eq!(props["screenshots_enabled"]["type"], "boolean");
    }
}
