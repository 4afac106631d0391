//! `presence-agent login --server URL` without an e-mail: the device authorization flow
//! (SPEC §17, RFC 8628 shape). The agent asks the hub for a code, prints where to enter it,
//! and polls until someone approves it in their signed-in browser, denies it, or it expires.
//! The login answer it gets is kept exactly as a password login's.

use std::future::Future;
use std::time::Duration;

use super::api::{ApiError, HubApi};
use shared::api::LoginResponse;
use shared::device_flow::DeviceAuthorization;

/// What each `slow_down` adds to the wait between polls (RFC 8628 §3.5).
const SLOW_DOWN_STEP: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum DeviceLoginError {
    #[error("the sign-in was denied in the browser")]
    Denied,
    #[error("the code expired before anyone approved it; run `presence-agent login --server URL` again for a new one")]
    Expired,
    #[error(transparent)]
    Api(#[from] ApiError),
}

/// How the agent names itself on the approval page: "presence-agent on HOST, OS".
pub fn client_name() -> String {
    let os = crate::os::name::os_name();
    match host_name() {
        Some(host) => format!("presence-agent on {host}, {os}"),
        None => format!("presence-agent on {os}"),
    }
}

/// The two lines the person reads (and a test can): where to go with the code, and the link
/// that has the code in it.
pub fn instructions(auth: &DeviceAuthorization) -> [String; 2] {
    [
        format!(
            "Open {} and enter the code {}",
            auth.verification_uri, auth.user_code
        ),
        format!("(or open {})", auth.verification_uri_complete),
    ]
}

/// Polls the hub every `interval` until the code is approved (the login answer), denied or
/// expired; 5 s more between polls after each `slow_down`. A hub that does not answer for a
/// moment is asked again at the same pace, until the code's lifetime is over.
pub async fn wait_for_approval(
    api: &HubApi,
    auth: &DeviceAuthorization,
) -> Result<LoginResponse, DeviceLoginError> {
    poll_until_answered(auth, move || api.poll_device_login(&auth.device_code)).await
}

async fn poll_until_answered<F, Fut>(
    auth: &DeviceAuthorization,
    mut poll: F,
) -> Result<LoginResponse, DeviceLoginError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<LoginResponse, ApiError>>,
{
    let mut interval = Duration::from_secs(auth.interval.max(1));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(auth.expires_in);
    loop {
        tokio::time::sleep(interval).await;
        let e = match poll().await {
            Ok(login) => return Ok(login),
            Err(e) => e,
        };
        let code = match &e {
            ApiError::Refused { code, .. } => code.clone(),
            ApiError::Unreachable(_) => String::new(),
        };
        match code.as_str() {
            "authorization_pending" => {}
            "slow_down" => interval += SLOW_DOWN_STEP,
            "access_denied" => return Err(DeviceLoginError::Denied),
            // An unknown device code: the hub already dropped the expired request.
            "expired_token" | "invalid_grant" => return Err(DeviceLoginError::Expired),
            _ if e.is_unreachable() && tokio::time::Instant::now() < deadline => {
                tracing::warn!(error = %e, "the hub did not answer the poll; asking again");
            }
            _ => return Err(e.into()),
        }
    }
}

/// This computer's name, if the system tells it.
#[cfg(unix)]
fn host_name() -> Option<String> {
    let mut buf = [0u8; 256];
    // SAFETY: `buf` is valid for `buf.len()` bytes; gethostname writes at most that many, and
    // only the bytes before the first NUL are read.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return None;
    }
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    let name = String::from_utf8_lossy(&buf[..end]).trim().to_string();
    (!name.is_empty()).then_some(name)
}

/// This computer's name, if the system tells it.
#[cfg(not(unix))]
fn host_name() -> Option<String> {
    std::env::var("COMPUTERNAME")
        .ok()
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::api::UserInfo;
    use shared::Role;
    use std::collections::VecDeque;

    fn auth() -> DeviceAuthorization {
        DeviceAuthorization {
            device_code: "device-code".into(),
            user_code: "BCDF-GHJK".into(),
            verification_uri: "http://hub.test/device".into(),
            verification_uri_complete: "http://hub.test/device?code=BCDF-GHJK".into(),
            expires_in: 600,
            interval: 5,
        }
    }

    fn refused(code: &str) -> Result<LoginResponse, ApiError> {
        Err(ApiError::Refused {
            status: 400,
            code: code.into(),
            message: format!("{code} from the hub"),
        })
    }

    fn approved() -> Result<LoginResponse, ApiError> {
        Ok(LoginResponse {
            token: "device-token".into(),
            user: UserInfo {
                id: 7,
                name: "Ann".into(),
                email: "ann@hub.test".into(),
                role: Role::Member,
                org_id: 1,
            },
        })
    }

    /// Runs the loop against `answers` (one per poll): the outcome and when each poll was made,
    /// in whole seconds from the start.
    async fn scripted(
        answers: Vec<Result<LoginResponse, ApiError>>,
    ) -> (Result<LoginResponse, DeviceLoginError>, Vec<u64>) {
        let mut answers = VecDeque::from(answers);
        let started = tokio::time::Instant::now();
        let mut polled_at = Vec::new();
        let outcome = poll_until_answered(&auth(), || {
            polled_at.push(started.elapsed().as_secs());
            let next = answers
                .pop_front()
                .unwrap_or_else(|| refused("authorization_pending"));
            async move { next }
        })
        .await;
        (outcome, polled_at)
    }

    #[test]
    fn the_instructions_name_the_page_and_the_code() {
        let [first, second] = instructions(&auth());
        assert_eq!(
            first,
            "Open http://hub.test/device and enter the code BCDF-GHJK"
        );
        assert_eq!(second, "(or open http://hub.test/device?code=BCDF-GHJK)");
        assert!(client_name().starts_with("presence-agent on "));
    }

    #[tokio::test(start_paused = true)]
    async fn it_polls_at_the_interval_and_slower_when_told() {
        let (outcome, at) = scripted(vec![
            refused("authorization_pending"),
            refused("slow_down"),
            refused("authorization_pending"),
            approved(),
        ])
        .await;
        assert_eq!(outcome.expect("approved").token, "device-token");
        assert_eq!(at, vec![5, 10, 20, 30]);
    }

    #[tokio::test(start_paused = true)]
    async fn denied_and_expired_codes_end_the_wait() {
        let (outcome, _) = scripted(vec![refused("access_denied")]).await;
        assert!(
            matches!(outcome, Err(DeviceLoginError::Denied)),
            "{outcome:?}"
        );
        let (outcome, _) = scripted(vec![
            refused("authorization_pending"),
            refused("expired_token"),
        ])
        .await;
        assert!(
            matches!(outcome, Err(DeviceLoginError::Expired)),
            "{outcome:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn an_unreachable_hub_is_asked_again_until_the_code_expires() {
        let (outcome, at) = scripted(vec![
            Err(ApiError::Unreachable("connection refused".into())),
            approved(),
        ])
        .await;
        assert!(outcome.is_ok(), "{outcome:?}");
        assert_eq!(at, vec![5, 10]);
        let down: Vec<_> = (0..200)
            .map(|_| Err(ApiError::Unreachable("connection refused".into())))
            .collect();
        let (outcome, at) = scripted(down).await;
        assert!(
            matches!(
                outcome,
                Err(DeviceLoginError::Api(ApiError::Unreachable(_)))
            ),
            "{outcome:?}"
        );
        assert_eq!(
            at.last().copied(),
            Some(600),
            "gives up with the code's lifetime"
        );
    }
}
