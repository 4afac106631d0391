//! Where a command-line password comes from: an environment variable, else a prompt on a
//! terminal; neither means an invite link instead.

use std::io::IsTerminal;

use crate::ops::OpError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordSource {
    Environment(&'static str),
    Terminal,
    None,
}

impl PasswordSource {
    pub fn describe(self) -> String {
        match self {
            PasswordSource::Environment(var) => format!("${var}"),
            PasswordSource::Terminal => "the terminal".into(),
            PasswordSource::None => "nowhere".into(),
        }
    }
}

pub struct Password {
    pub value: Option<String>,
    pub source: PasswordSource,
}

impl Password {
    pub fn as_deref(&self) -> Option<&str> {
        self.value.as_deref()
    }
}

/// `$var` if set and not empty; else, on a terminal, asked twice (an empty answer means an
/// invite link); else none.
pub fn password_from(var: &'static str, email: &str) -> Result<Password, OpError> {
    if let Some(value) = std::env::var(var).ok().filter(|v| !v.is_empty()) {
        return Ok(Password {
            value: Some(value),
            source: PasswordSource::Environment(var),
        });
    }
    if !std::io::stdin().is_terminal() {
        return Ok(Password {
            value: None,
            source: PasswordSource::None,
        });
    }
    let ask = |prompt: &str| {
        rpassword::prompt_password(prompt)
            .map_err(|e| OpError::BadRequest(format!("could not read the password: {e}")))
    };
    let first = ask(&format!(
        "Password for {email} (at least 10 characters; empty: print an invite link instead): "
    ))?;
    if first.is_empty() {
        return Ok(Password {
            value: None,
            source: PasswordSource::None,
        });
    }
    if ask("The same password again: ")? != first {
        return Err(OpError::invalid_field(
            "password",
            "was not typed the same twice",
        ));
    }
    Ok(Password {
        value: Some(first),
        source: PasswordSource::Terminal,
    })
}
