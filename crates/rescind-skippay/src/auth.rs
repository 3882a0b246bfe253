//! Credentials and the login: `POST /authentication/v1/partner` gives a bearer token that lives
//! 2 hours; the core [`TokenCache`](rescind_core::TokenCache) shares it between calls, renews
//! it before it expires and once after a 401.

use std::fmt;

use rescind_core::secrecy::SecretString;
use rescind_core::{Error, Login, Token, Transport, async_trait};

use crate::{request, response};

/// A Skip Pay partner account: username and password. Both stay secret: [`Debug`] shows
/// neither, and no error or log line contains them.
///
/// ```
/// use rescind_skippay::Credentials;
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
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &format_args!("[redacted]"))
            .field("password", &format_args!("[redacted]"))
            .finish()
    }
}

/// The Skip Pay login, for the core token cache.
#[derive(Debug, Clone)]
pub struct PartnerLogin {
    credentials: Credentials,
}

impl PartnerLogin {
    /// A login with these credentials.
    pub fn new(credentials: Credentials) -> Self {
        PartnerLogin { credentials }
    }
}

#[async_trait]
impl Login for PartnerLogin {
    async fn login(&self, transport: &Transport) -> Result<Token, Error> {
        let req = request::login(&self.credentials)?;
        let resp = transport.send(&req).await?;
        response::parse_login(&resp)
    }
}
