//! The identity provider over HTTP, with the `openidconnect` crate: discovery (kept a few
//! minutes per issuer: a cache, each node fills its own), the authorization URL with PKCE
//! (S256), `state` and `nonce`, the code exchange, and the ID token's verification against
//! the provider's published keys.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreIdToken, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret, CsrfToken,
    EndpointMaybeSet, EndpointNotSet, EndpointSet, IssuerUrl, LoginHint, Nonce, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, RequestTokenError, Scope, TokenResponse,
};

use super::{Authorization, FlowSecrets, Identity, OidcProvider, ProviderError, ProviderSettings};

/// How long a provider's discovery document and keys are used before being fetched again.
const METADATA_TTL: Duration = Duration::from_secs(300);
/// A token whose key is not in the kept key set makes the hub fetch the keys again, at most
/// this often (the provider may have rotated them).
const REFETCH_KEYS_AFTER: Duration = Duration::from_secs(30);
/// Each request to the provider gives up after this.
const HTTP_TIMEOUT: Duration = Duration::from_secs(10);

/// The client as built from discovery: authorization endpoint set, token and user info
/// endpoints as the provider announced them.
type DiscoveredClient = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

#[derive(Clone)]
struct Discovered {
    at: Instant,
    metadata: Arc<CoreProviderMetadata>,
}

/// Real providers, over HTTPS (HTTP on loopback), with their discovery documents kept.
pub struct HttpOidc {
    http: Result<reqwest::Client, String>,
    discovered: Mutex<HashMap<String, Discovered>>,
}

impl Default for HttpOidc {
    fn default() -> Self {
        Self::new()
    }
}

impl HttpOidc {
    pub fn new() -> Self {
        let http = reqwest::Client::builder()
            // A provider's answer must not send the hub elsewhere (server-side request forgery).
            .redirect(reqwest::redirect::Policy::none())
            .timeout(HTTP_TIMEOUT)
            .build()
            .map_err(|e| e.to_string());
        HttpOidc {
            http,
            discovered: Mutex::new(HashMap::new()),
        }
    }

    /// This process's provider client.
    pub fn shared() -> &'static HttpOidc {
        static SHARED: OnceLock<HttpOidc> = OnceLock::new();
        SHARED.get_or_init(HttpOidc::new)
    }

    fn http(&self) -> Result<&reqwest::Client, ProviderError> {
        self.http
            .as_ref()
            .map_err(|e| ProviderError::Unreachable(format!("no HTTP client: {e}")))
    }

    /// The issuer's discovery document and keys: kept ones unless `refetch` or too old.
    async fn discover(&self, issuer: &str, refetch: bool) -> Result<Discovered, ProviderError> {
        if !refetch {
            let kept = self
                .discovered
                .lock()
                .ok()
                .and_then(|d| d.get(issuer).cloned());
            if let Some(kept) = kept.filter(|k| k.at.elapsed() < METADATA_TTL) {
                return Ok(kept);
            }
        }
        let issuer_url = IssuerUrl::new(issuer.to_string())
            .map_err(|e| ProviderError::Unreachable(format!("issuer URL {issuer}: {e}")))?;
        let metadata = CoreProviderMetadata::discover_async(issuer_url, self.http()?)
            .await
            .map_err(|e| {
                ProviderError::Unreachable(format!("discovery at {issuer}: {}", chain(&e)))
            })?;
        let found = Discovered {
            at: Instant::now(),
            metadata: Arc::new(metadata),
        };
        if let Ok(mut discovered) = self.discovered.lock() {
            discovered.retain(|_, d| d.at.elapsed() < METADATA_TTL);
            discovered.insert(issuer.to_string(), found.clone());
        }
        Ok(found)
    }
}

fn build_client(
    metadata: &CoreProviderMetadata,
    settings: &ProviderSettings,
) -> Result<DiscoveredClient, ProviderError> {
    let redirect = RedirectUrl::new(settings.redirect_uri.clone()).map_err(|e| {
        ProviderError::Rejected(format!("redirect URI {}: {e}", settings.redirect_uri))
    })?;
    Ok(CoreClient::from_provider_metadata(
        metadata.clone(),
        ClientId::new(settings.client_id.clone()),
        settings.client_secret.clone().map(ClientSecret::new),
    )
    .set_redirect_uri(redirect))
}

/// The ID token's claims, verified (signature with the provider's keys, `iss`, `aud`, `exp`,
/// `nonce`), as far as the hub uses them.
fn verify(
    client: &DiscoveredClient,
    id_token: &CoreIdToken,
    nonce: &Nonce,
) -> Result<Identity, ClaimsVerificationError> {
    let verifier = client.id_token_verifier();
    let claims = id_token.claims(&verifier, nonce)?;
    Ok(Identity {
        subject: claims.subject().as_str().to_string(),
        email: claims.email().map(|e| e.as_str().to_string()),
        email_verified: claims.email_verified(),
        name: claims
            .name()
            .and_then(|n| n.get(None))
            .map(|n| n.as_str().to_string()),
    })
}

/// An error with its causes, for the audit log's detail.
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}

impl OidcProvider for HttpOidc {
    async fn authorize(
        &self,
        settings: &ProviderSettings,
        login_hint: Option<&str>,
    ) -> Result<Authorization, ProviderError> {
        let discovered = self.discover(&settings.issuer, false).await?;
        let client = build_client(&discovered.metadata, settings)?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("email".to_string()))
            .add_scope(Scope::new("profile".to_string()))
            .set_pkce_challenge(challenge);
        if let Some(hint) = login_hint {
            request = request.set_login_hint(LoginHint::new(hint.to_string()));
        }
        let (url, state, nonce) = request.url();
        Ok(Authorization {
            url: url.to_string(),
            secrets: FlowSecrets {
                state: state.secret().clone(),
                nonce: nonce.secret().clone(),
                pkce_verifier: verifier.secret().clone(),
            },
        })
    }

    async fn identity(
        &self,
        settings: &ProviderSettings,
        code: &str,
        secrets: &FlowSecrets,
    ) -> Result<Identity, ProviderError> {
        let discovered = self.discover(&settings.issuer, false).await?;
        let client = build_client(&discovered.metadata, settings)?;
        let response = client
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .map_err(|e| ProviderError::Rejected(format!("token endpoint: {e}")))?
            .set_pkce_verifier(PkceCodeVerifier::new(secrets.pkce_verifier.clone()))
            .request_async(self.http()?)
            .await
            .map_err(|e| match &e {
                RequestTokenError::Request(_) => {
                    ProviderError::Unreachable(format!("token endpoint: {}", chain(&e)))
                }
                _ => ProviderError::Rejected(format!("token endpoint: {}", chain(&e))),
            })?;
        let id_token = response.id_token().ok_or_else(|| {
            ProviderError::Rejected("the token endpoint's answer has no ID token".into())
        })?;
        let nonce = Nonce::new(secrets.nonce.clone());
        let verified = match verify(&client, id_token, &nonce) {
            Err(ClaimsVerificationError::SignatureVerification(_))
                if discovered.at.elapsed() > REFETCH_KEYS_AFTER =>
            {
                // Perhaps signed with a key published since the keys were fetched.
                let fresh = self.discover(&settings.issuer, true).await?;
                verify(&build_client(&fresh.metadata, settings)?, id_token, &nonce)
            }
            other => other,
        };
        verified.map_err(|e| ProviderError::Rejected(format!("ID token: {}", chain(&e))))
    }
}
