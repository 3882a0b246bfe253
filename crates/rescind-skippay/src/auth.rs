//! Credentials and the login: `POST /authentication/v1/partner` gives a bearer token that lives
//! 2 hours; the core [`TokenCache`](rescind_core::TokenCache) shares it between calls, renews
//! it before it expires and once after a 401.

use rescind_core::{Error, HttpResponse, Login, LoginFailure, Token, Transport, async_trait};

use crate::{request, response};

/// A Skip Pay partner account: username and password. Both stay secret: [`Debug`] shows
/// neither, and no error or log line contains them. The core type, shared with the other
/// providers that log in.
///
/// ```
/// use rescind_skippay::Credentials;
/// let c = Credentials::new("eShop", "eShopSecretPassword");
/// assert_eq!(format!("{c:?}"), "Credentials { username: [redacted], password: [redacted] }");
/// ```
pub use rescind_core::Credentials;

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

    /// Skip Pay's refusals of the login: its documented 400 "Unable to authenticate partner"
    /// (`ErrorsResponse`, OpenAPI `paths./authentication/v1/partner`), the OAuth-style 401 and a
    /// 403 are [`LoginFailure::Refused`]: the core remembers them for the cool-down and does
    /// not send these credentials again meanwhile. Anything else is read by kind
    /// ([`LoginFailure::of`]: 5xx and timeouts are transient).
    fn classify(&self, error: &Error) -> LoginFailure {
        match error.status() {
            Some(400 | 401 | 403) => LoginFailure::Refused,
            _ => LoginFailure::of(error),
        }
    }

    /// Only the OAuth-style 401 (`{"error": "invalid_token", ...}`, reference notes, Skip Pay
    /// section 3) refuses a token; another 401 (a gateway's page) proves nothing, so a change
    /// that is not idempotent (a cancel with quantities) is not replayed after it.
    fn refuses_token(&self, response: &HttpResponse) -> bool {
        crate::error::is_documented_refusal(response)
    }
}
