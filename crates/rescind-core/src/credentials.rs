//! A username and a password, for providers with a login (Di, Skip Pay).

use std::fmt;

use secrecy::{ExposeSecret, SecretString};

use crate::{Error, Provider};

/// A username and a password, both kept secret: [`Debug`] shows neither, and no error or log
/// line contains them. Each provider crate with a login re-exports it as its `Credentials`.
///
/// ```
/// use rescind_core::Credentials;
/// let c = Credentials::new("eShop", "eShopSecretPassword");
/// assert_eq!(format!("{c:?}"), "Credentials { username: [redacted], password: [redacted] }");
/// ```
#[derive(Clone)]
pub struct Credentials {
    username: SecretString,
    password: SecretString,
}

impl Credentials {
    /// Credentials from a username and a password.
    pub fn new(username: impl Into<String>, password: impl Into<String>) -> Self {
        Credentials {
            username: SecretString::from(username.into()),
            password: SecretString::from(password.into()),
        }
    }

    /// Credentials from secrets already held as such.
    pub fn from_secrets(username: SecretString, password: SecretString) -> Self {
        Credentials { username, password }
    }

    /// The username.
    pub fn username(&self) -> &SecretString {
        &self.username
    }

    /// The password.
    pub fn password(&self) -> &SecretString {
        &self.password
    }

    /// Refuses an empty username or password of `provider`, before anything is sent.
    pub fn check(&self, provider: Provider) -> Result<(), Error> {
        if self.username.expose_secret().trim().is_empty() {
            return Err(
                Error::config(format!("the {} username is empty", provider.name()))
                    .with_provider(provider),
            );
        }
        if self.password.expose_secret().is_empty() {
            return Err(
                Error::config(format!("the {} password is empty", provider.name()))
                    .with_provider(provider),
            );
        }
        Ok(())
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &format_args!("[redacted]"))
            .field("password", &format_args!("[redacted]"))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_values_are_config_errors_that_show_no_value() {
        let err = Credentials::new(" ", "pw-secret")
            .check(Provider::Di)
            .unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::Config);
        assert!(err.to_string().contains("Di username is empty"), "{err}");
        assert!(!err.to_string().contains("pw-secret"));
        assert!(Credentials::new("u", "").check(Provider::SkipPay).is_err());
        assert!(Credentials::new("u", "p").check(Provider::SkipPay).is_ok());
    }
}
