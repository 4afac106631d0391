//! Single sign-on rules (SPEC §17), without I/O: what makes an issuer URL and a list of e-mail
//! domains valid, who a verified e-mail signs in as, and every way a sign-in is refused, worded
//! for the person who sees it.

use std::net::IpAddr;

use super::people::FieldProblems;

/// At most this many allowed domains per organization.
pub const MAX_DOMAINS: usize = 50;

/// The domain of a normalized e-mail address (after its last `@`), if it has one.
pub fn email_domain(email: &str) -> Option<&str> {
    email
        .rsplit_once('@')
        .map(|(_, domain)| domain)
        .filter(|d| !d.is_empty())
}

/// What is wrong with a domain (`example.com`): lower-case letters, digits and hyphens in dot
/// separated labels, at least two labels. `None` when it is fine.
pub fn domain_problem(domain: &str) -> Option<&'static str> {
    if domain.is_empty() || domain.len() > 253 {
        return Some("must be 1 to 253 characters");
    }
    let labels: Vec<&str> = domain.split('.').collect();
    if labels.len() < 2 {
        return Some("must be a domain such as example.com");
    }
    let label_ok = |l: &&str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    };
    if !labels.iter().all(label_ok) {
        return Some("must be a domain such as example.com (letters, digits, hyphens, dots)");
    }
    None
}

/// The allowed domains as stored: trimmed, lower-case, without a leading `@`, sorted, each
/// once. Problems go into `problems` under `allowed_domains`.
pub fn normalize_domains(input: &[String], problems: &mut FieldProblems) -> Vec<String> {
    let mut domains: Vec<String> = input
        .iter()
        .map(|d| d.trim().trim_start_matches('@').to_lowercase())
        .filter(|d| !d.is_empty())
        .collect();
    domains.sort();
    domains.dedup();
    if domains.len() > MAX_DOMAINS {
        problems.insert(
            "allowed_domains".into(),
            format!("must list at most {MAX_DOMAINS} domains"),
        );
        return domains;
    }
    if let Some((domain, problem)) = domains
        .iter()
        .find_map(|d| domain_problem(d).map(|p| (d, p)))
    {
        problems.insert("allowed_domains".into(), format!("{domain:?} {problem}"));
    }
    domains
}

/// Whether `email`'s domain is one of `allowed` (exactly: a subdomain is another domain).
pub fn domain_allowed(allowed: &[String], email: &str) -> bool {
    email_domain(email).is_some_and(|d| allowed.iter().any(|a| a == d))
}

/// What is wrong with an issuer URL; `None` when it is fine. The provider's discovery document
/// must name the same string as its issuer, so it is kept as typed (trimmed).
pub fn issuer_problem(issuer: &str) -> Option<&'static str> {
    const HTTPS: &str = "must be an absolute https:// URL such as https://login.example.com/realms/acme (http:// only for a provider on this machine: localhost, 127.0.0.1 or [::1])";
    if issuer.len() > 500 {
        return Some("must be at most 500 characters");
    }
    let Ok(url) = url::Url::parse(issuer) else {
        return Some(HTTPS);
    };
    if !url.username().is_empty() || url.password().is_some() {
        return Some("must not contain a user name or password");
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Some("must not have a query (?…) or fragment (#…)");
    }
    let Some(host) = url.host_str() else {
        return Some(HTTPS);
    };
    match url.scheme() {
        "https" => None,
        "http" if is_loopback(host) => None,
        "http" => Some("must use https:// (http:// is only accepted for a provider on this machine: localhost, 127.0.0.1 or [::1])"),
        _ => Some(HTTPS),
    }
}

fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The name of a person who joins at their first sign-in: the provider's `name` claim, else
/// the part of the e-mail before the `@`.
pub fn display_name(name_claim: Option<&str>, email: &str) -> String {
    let name: String = name_claim
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| email.split('@').next().unwrap_or(email))
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    if name.trim().is_empty() {
        email.chars().take(200).collect()
    } else {
        name
    }
}

/// Where to go once signed in: a path of this hub only (`/device?code=…`), never another site
/// (`//evil.test`, `https://…`, `/\evil.test`); plain visible ASCII, as a `Location` header
/// takes it. `None` for `/` itself.
pub fn local_return(next: Option<&str>) -> Option<&str> {
    let next = next?.trim();
    let local = next.starts_with('/')
        && !next.starts_with("//")
        && next.len() <= 512
        && next.chars().all(|c| c.is_ascii_graphic() && c != '\\');
    (local && next != "/").then_some(next)
}

/// Who a verified e-mail address is in the hub, as far as matching needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Existing {
    pub org_id: i64,
    pub active: bool,
}

/// What a verified e-mail address signs in as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Match {
    /// The person's account in the organization.
    Existing,
    /// A new member of the organization (the domain is allowed).
    NewMember,
}

/// Matches a verified e-mail to the organization whose provider vouched for it: only that
/// organization's people (a provider never signs anyone into another organization), or a new
/// member when the domain is allowed.
pub fn match_identity(
    org_id: i64,
    org_name: &str,
    allowed_domains: &[String],
    email: &str,
    existing: Option<Existing>,
) -> Result<Match, SsoRefusal> {
    match existing {
        Some(user) if user.org_id == org_id && user.active => Ok(Match::Existing),
        Some(user) if user.org_id == org_id => Err(SsoRefusal::Deactivated {
            org: org_name.to_string(),
        }),
        Some(_) => Err(SsoRefusal::OtherOrganization {
            email: email.to_string(),
        }),
        None if domain_allowed(allowed_domains, email) => Ok(Match::NewMember),
        None => Err(SsoRefusal::DomainNotAllowed {
            domain: email_domain(email).unwrap_or(email).to_string(),
            org: org_name.to_string(),
        }),
    }
}

/// Every way a single sign-on is refused. The message is for the person in front of the
/// browser; `reason` names the case in the audit log (`SSO_REFUSED`), `detail` keeps what
/// only an admin needs (never shown on the page).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SsoRefusal {
    #[error("Single sign-on is not set up for this organization. Sign in with your password, or ask its owner.")]
    NotConfigured,
    #[error("The sign-in link was already used or is too old; start again.")]
    Stale {
        /// `used`, `expired` or `unknown`.
        reason: &'static str,
    },
    #[error("This sign-in was not started in this browser, or its answer was changed on the way; start again.")]
    StateMismatch,
    #[error("Your identity provider did not sign you in ({error}). Start again, or ask an admin.")]
    ProviderDeclined {
        error: String,
        description: Option<String>,
    },
    #[error("The identity provider could not be reached. Try again in a moment, or ask an admin.")]
    Unreachable { detail: String },
    #[error("The identity provider's answer could not be verified.")]
    Unverified { detail: String },
    #[error("Your identity provider did not tell the hub your e-mail address; ask an admin to let the hub read it (the email scope).")]
    NoEmail,
    #[error("Your identity provider has not verified this e-mail address ({email}).")]
    EmailNotVerified { email: String },
    #[error("{domain} is not allowed to join {org}; ask an admin to invite you.")]
    DomainNotAllowed { domain: String, org: String },
    #[error("Your account in {org} is deactivated; ask an admin.")]
    Deactivated { org: String },
    #[error("{email} already has an account in another organization on this hub; sign in there.")]
    OtherOrganization { email: String },
}

impl SsoRefusal {
    /// The case, as the audit log's `reason`.
    pub fn reason(&self) -> &'static str {
        match self {
            SsoRefusal::NotConfigured => "not_configured",
            SsoRefusal::Stale { reason } => reason,
            SsoRefusal::StateMismatch => "state_mismatch",
            SsoRefusal::ProviderDeclined { .. } => "provider_error",
            SsoRefusal::Unreachable { .. } => "provider_unreachable",
            SsoRefusal::Unverified { .. } => "token_invalid",
            SsoRefusal::NoEmail => "no_email",
            SsoRefusal::EmailNotVerified { .. } => "email_not_verified",
            SsoRefusal::DomainNotAllowed { .. } => "domain_not_allowed",
            SsoRefusal::Deactivated { .. } => "deactivated",
            SsoRefusal::OtherOrganization { .. } => "other_organization",
        }
    }

    /// The HTTP status of the refusal page: 400 for a sign-in that went wrong on its way,
    /// 403 for a person the organization does not take, 404 for no provider, 502 for a
    /// provider out of reach.
    pub fn status(&self) -> u16 {
        match self {
            SsoRefusal::NotConfigured => 404,
            SsoRefusal::Stale { .. }
            | SsoRefusal::StateMismatch
            | SsoRefusal::ProviderDeclined { .. }
            | SsoRefusal::Unverified { .. } => 400,
            SsoRefusal::Unreachable { .. } => 502,
            SsoRefusal::NoEmail
            | SsoRefusal::EmailNotVerified { .. }
            | SsoRefusal::DomainNotAllowed { .. }
            | SsoRefusal::Deactivated { .. }
            | SsoRefusal::OtherOrganization { .. } => 403,
        }
    }

    /// What an admin needs beyond the message (the provider's words, the verifier's).
    pub fn detail(&self) -> Option<&str> {
        match self {
            SsoRefusal::Unreachable { detail } | SsoRefusal::Unverified { detail } => Some(detail),
            SsoRefusal::ProviderDeclined { description, .. } => description.as_deref(),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuers_are_https_or_loopback_http() {
        for good in [
            "https://login.example.com",
            "https://login.example.com/realms/acme",
            "https://accounts.google.com",
            "http://127.0.0.1:8080",
            "http://localhost:9000/issuer",
            "http://[::1]:7000",
        ] {
            assert_eq!(issuer_problem(good), None, "{good}");
        }
        let plain_http = issuer_problem("http://login.example.com").expect("refused");
        assert!(plain_http.contains("only accepted for a provider on this machine"));
        for bad in [
            "",
            "login.example.com",
            "ftp://login.example.com",
            "https://user:pw@login.example.com",
            "https://login.example.com/?tenant=1",
            "https://login.example.com/#x",
            "/relative",
        ] {
            assert!(issuer_problem(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn domains_are_lower_cased_and_checked() {
        let mut problems = FieldProblems::new();
        let domains = normalize_domains(
            &[
                " Example.COM ".into(),
                "@acme.test".into(),
                "example.com".into(),
                "".into(),
            ],
            &mut problems,
        );
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(domains, vec!["acme.test", "example.com"]);
        for bad in [
            "com",
            "exa mple.com",
            "-bad.com",
            "a..b",
            "bad_underscore.com",
            "x%.com",
        ] {
            let mut problems = FieldProblems::new();
            normalize_domains(&[bad.into()], &mut problems);
            assert!(problems.contains_key("allowed_domains"), "{bad}");
        }
        let many: Vec<String> = (0..=MAX_DOMAINS).map(|i| format!("d{i}.test")).collect();
        let mut problems = FieldProblems::new();
        normalize_domains(&many, &mut problems);
        assert!(problems.contains_key("allowed_domains"));
    }

    #[test]
    fn only_the_exact_domain_is_allowed() {
        let allowed = vec!["acme.test".to_string()];
        assert!(domain_allowed(&allowed, "ann@acme.test"));
        assert!(!domain_allowed(&allowed, "ann@eu.acme.test"));
        assert!(!domain_allowed(&allowed, "ann@acme.test.evil"));
        assert!(!domain_allowed(&allowed, "acme.test"));
        assert_eq!(email_domain("a@b@acme.test"), Some("acme.test"));
    }

    #[test]
    fn a_provider_signs_in_only_its_own_organization() {
        let allowed = vec!["acme.test".to_string()];
        let mine = Some(Existing {
            org_id: 1,
            active: true,
        });
        assert_eq!(
            match_identity(1, "Acme", &allowed, "ann@acme.test", mine),
            Ok(Match::Existing)
        );
        let elsewhere = Some(Existing {
            org_id: 2,
            active: true,
        });
        assert!(matches!(
            match_identity(1, "Acme", &allowed, "ann@acme.test", elsewhere),
            Err(SsoRefusal::OtherOrganization { .. })
        ));
        let gone = Some(Existing {
            org_id: 1,
            active: false,
        });
        assert!(matches!(
            match_identity(1, "Acme", &allowed, "ann@acme.test", gone),
            Err(SsoRefusal::Deactivated { .. })
        ));
        assert_eq!(
            match_identity(1, "Acme", &allowed, "new@acme.test", None),
            Ok(Match::NewMember)
        );
        let refused = match_identity(1, "Acme", &allowed, "eve@example.org", None);
        assert_eq!(
            refused.map_err(|r| r.to_string()),
            Err("example.org is not allowed to join Acme; ask an admin to invite you.".into())
        );
    }

    #[test]
    fn sign_ins_return_only_to_this_hub() {
        assert_eq!(
            local_return(Some("/device?code=ABCD-EFGH")),
            Some("/device?code=ABCD-EFGH")
        );
        for bad in [
            "//evil.test",
            "https://evil.test/",
            "/\\evil.test",
            "/a b",
            "",
            "/",
        ] {
            assert_eq!(local_return(Some(bad)), None, "{bad}");
        }
        assert_eq!(local_return(None), None);
    }

    #[test]
    fn names_come_from_the_claim_or_the_address() {
        assert_eq!(display_name(Some(" Ann Lee "), "ann@acme.test"), "Ann Lee");
        assert_eq!(display_name(None, "ann@acme.test"), "ann");
        assert_eq!(display_name(Some("  "), "ann@acme.test"), "ann");
        let long = "x".repeat(300);
        assert_eq!(display_name(Some(long.as_str()), "a@b.c").len(), 200);
    }

    #[test]
    fn refusals_keep_details_off_the_page() {
        let r = SsoRefusal::Unverified {
            detail: "Invalid audiences: must contain `hub`".into(),
        };
        assert_eq!(
            r.to_string(),
            "The identity provider's answer could not be verified."
        );
        assert_eq!(r.detail(), Some("Invalid audiences: must contain `hub`"));
        assert_eq!(r.status(), 400);
        assert_eq!(r.reason(), "token_invalid");
    }
}
