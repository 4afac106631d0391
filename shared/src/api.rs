//! REST request and response bodies.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::role::Role;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserInfo {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub org_id: i64,
}

/// A user as an admin manages it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserRecord {
    pub id: i64,
    pub org_id: i64,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub game_name: Option<String>,
    pub steam_id: Option<String>,
    pub discord: Option<String>,
    /// IANA name; `None` follows the organization's timezone.
    pub timezone: Option<String>,
    pub active: bool,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub last_activity_at: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginResponse {
    pub token: String,
    pub user: UserInfo,
}

/// `POST /api/users`. Without a password the answer carries a one-time invite link.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateUserRequest {
    pub name: String,
    pub email: String,
    #[serde(default)]
    pub password: Option<String>,
    pub role: Role,
    #[serde(default)]
    pub game_name: Option<String>,
    #[serde(default)]
    pub steam_id: Option<String>,
    #[serde(default)]
    pub discord: Option<String>,
    #[serde(default)]
    pub timezone: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateUserRequest {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub role: Option<Role>,
    /// `Some(None)` clears the game name.
    #[serde(
        default,
        with = "double_option",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub game_name: Option<Option<String>>,
    /// `null` clears it.
    #[serde(
        default,
        with = "double_option",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub steam_id: Option<Option<String>>,
    /// `null` clears it.
    #[serde(
        default,
        with = "double_option",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub discord: Option<Option<String>>,
    /// IANA name; `null` follows the organization's timezone.
    #[serde(
        default,
        with = "double_option",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub timezone: Option<Option<String>>,
    #[serde(default)]
    pub active: Option<bool>,
}

/// The JSON error shape of every failed request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorDetail {
    pub code: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fields: Option<BTreeMap<String, String>>,
}

/// A page of a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Paged<T> {
    pub items: Vec<T>,
    pub page: u32,
    pub per_page: u32,
    pub total: i64,
}

/// A field that may be absent (unchanged), `null` (cleared) or a value.
pub mod double_option {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer, T: Serialize>(
        v: &Option<Option<T>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match v {
            None => s.serialize_none(),
            Some(inner) => inner.serialize(s),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
        d: D,
    ) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(d).map(Some)
    }
}

/// A ticket with the time spent on it (sum of its completed sessions).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Ticket {
    pub id: i64,
    pub org_id: i64,
    pub number: i64,
    pub title: String,
    pub description: Option<String>,
    /// `open` or `closed`.
    pub status: String,
    /// Who created it: they, and supervisors and up, may edit and close it.
    pub created_by: Option<i64>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub total_time_spent_seconds: i64,
    pub session_count: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateTicketRequest {
    pub title: String,
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct StartSessionRequest {
    #[serde(default)]
    pub ticket_id: Option<i64>,
    #[serde(default)]
    pub note: Option<String>,
    /// Set by clients that may replay the request (the agent's offline queue).
    #[serde(default)]
    pub client_id: Option<String>,
    /// When the user started, for a start made offline and replayed later (at most 7 days ago).
    #[serde(default)]
    pub started_at: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct StopSessionRequest {
    pub session_id: i64,
    #[serde(default)]
    pub note: Option<String>,
    /// When the user stopped, if earlier than now (a stop made offline and replayed).
    #[serde(default)]
    pub ended_at: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ManualSessionRequest {
    #[serde(default)]
    pub ticket_id: Option<i64>,
    pub start_time: chrono::DateTime<chrono::Utc>,
    pub end_time: chrono::DateTime<chrono::Utc>,
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default)]
    pub client_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EndSessionRequest {
    pub reason: String,
}

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    pub id: i64,
    pub org_id: i64,
    pub actor_id: Option<i64>,
    pub actor_name: Option<String>,
    pub action: String,
    pub target_type: Option<String>,
    pub target_id: Option<i64>,
    pub ip: Option<String>,
    pub details: serde_json::Value,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// A screenshot's metadata; the JPEG itself is at `url`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Screenshot {
    pub id: i64,
    pub user_id: i64,
    pub user_name: String,
    pub session_id: Option<i64>,
    pub captured_at: chrono::DateTime<chrono::Utc>,
    pub width: i64,
    pub height: i64,
    pub bytes: i64,
    pub url: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_optional_fields_stay_absent_on_the_wire() {
        // `null` would clear a field: leaving one unchanged must not send it at all.
        let unchanged = serde_json::to_value(UpdateUserRequest {
            active: Some(false),
            ..UpdateUserRequest::default()
        })
        .unwrap();
        assert_eq!(unchanged["active"], false);
        for field in ["game_name", "steam_id", "discord", "timezone"] {
            assert!(unchanged.get(field).is_none(), "{field}: {unchanged}");
        }
        let cleared = serde_json::to_value(UpdateUserRequest {
            discord: Some(None),
            ..UpdateUserRequest::default()
        })
        .unwrap();
        assert!(cleared["discord"].is_null() && cleared.get("discord").is_some());
        let back: UpdateUserRequest = serde_json::from_value(cleared).unwrap();
        assert_eq!(back.discord, Some(None));
        assert_eq!(back.steam_id, None);
        let ticket = serde_json::to_value(crate::people::UpdateTicketRequest {
            status: Some("closed".into()),
            ..Default::default()
        })
        .unwrap();
        assert!(ticket.get("description").is_none(), "{ticket}");
    }
}
