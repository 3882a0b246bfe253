//! Configured accounts by name, so that one call site can cancel at any provider and a cancel
//! can never go to the wrong account.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use rescind_core::{
    CancelOptions, CancelOutcome, CancelRequest, Canceller, Error, ErrorKind, Provider, Sent,
};

/// Accounts by name (`"arta-live"`, `"skippay-cz"`), each a [`Canceller`] for one provider
/// account. Build it in code with [`Registry::insert`], or from environment variables with
/// [`Registry::from_env`](crate::Registry::from_env).
///
/// A cancel names its account: there is no "default account of a provider", so two accounts
/// at the same provider can never be confused.
///
/// ```
/// use std::sync::Arc;
/// use rescind::{CancelRequest, Canceller, ErrorKind, Registry};
/// # use rescind::{async_trait, CancelOutcome, CancelStatus, Capabilities, Error, Provider};
/// # #[derive(Debug)] struct Fake(Provider);
/// # #[async_trait] impl Canceller for Fake {
/// #     fn provider(&self) -> Provider { self.0 }
/// #     fn capabilities(&self) -> Capabilities { Capabilities::NONE.with_whole() }
/// #     async fn cancel(&self, r: CancelRequest) -> Result<CancelOutcome, Error> {
/// #         Ok(CancelOutcome::new(self.0, r.target, CancelStatus::Cancelled))
/// #     }
/// # }
/// # let di_client = Fake(Provider::Di);
/// # let arta_client = Fake(Provider::Arta);
/// let mut registry = Registry::new();
/// registry.insert("di-oslo", Arc::new(di_client))?;
/// registry.insert("arta-live", Arc::new(arta_client))?;
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let outcome = registry.cancel("di-oslo", CancelRequest::whole("70724761617883184")).await?;
/// assert_eq!(outcome.provider, rescind::Provider::Di);
///
/// let err = registry.cancel("di-bergen", CancelRequest::whole("1")).await.unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::UnknownAccount);
/// # Ok::<(), rescind::Error>(())
/// # })?;
/// # Ok::<(), rescind::Error>(())
/// ```
#[derive(Clone, Default)]
pub struct Registry {
    accounts: BTreeMap<String, Arc<dyn Canceller>>,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Registry::default()
    }

    /// Starts a registry built from environment variables with transport settings from code
    /// (timeouts, retries, limits, a shared [`HttpClient`](crate::HttpClient)); see
    /// [`RegistryBuilder`](crate::env::RegistryBuilder).
    pub fn builder() -> crate::env::RegistryBuilder {
        crate::env::RegistryBuilder::default()
    }

    /// Adds an account. Names are 1 to 64 characters of `a-z`, `0-9`, `-` and `_`, and unique:
    /// a second account with the same name is refused rather than silently replacing the first.
    pub fn insert(
        &mut self,
        name: impl Into<String>,
        canceller: Arc<dyn Canceller>,
    ) -> Result<(), Error> {
        let name = name.into();
        check_name(&name)?;
        if self.accounts.contains_key(&name) {
            return Err(Error::config(format!(
                "an account named `{name}` is already registered"
            )));
        }
        self.accounts.insert(name, canceller);
        Ok(())
    }

    /// The account named `name`.
    pub fn get(&self, name: &str) -> Option<&Arc<dyn Canceller>> {
        self.accounts.get(name)
    }

    /// The account named `name`, or an [`ErrorKind::UnknownAccount`](crate::ErrorKind)
    /// error (nothing sent) whose message lists the known names. A program tells "no such
    /// account" from a misconfigured client ([`ErrorKind::Config`](crate::ErrorKind)) by the
    /// kind, not the message.
    pub fn account(&self, name: &str) -> Result<&Arc<dyn Canceller>, Error> {
        self.get(name).ok_or_else(|| {
            let known: Vec<&str> = self.accounts.keys().map(String::as_str).collect();
            Error::new(
                ErrorKind::UnknownAccount,
                Sent::NotSent,
                format!(
                    "no account named `{name}` (configured: {})",
                    if known.is_empty() {
                        "none".to_string()
                    } else {
                        known.join(", ")
                    }
                ),
            )
        })
    }

    /// Cancels through the account named `account`. An unknown account is an
    /// [`ErrorKind::UnknownAccount`](crate::ErrorKind::UnknownAccount) error and nothing is
    /// sent.
    ///
    /// Cancel-safe as [`Canceller::cancel`] is: dropping it after the change was sent leaves
    /// the outcome unknown, like a lost answer; read the target back
    /// ([`Canceller::observe`]) or rerun the cancel, which settles it.
    pub async fn cancel(
        &self,
        account: &str,
        request: CancelRequest,
    ) -> Result<CancelOutcome, Error> {
        self.account(account)?.cancel(request).await
    }

    /// [`cancel`](Registry::cancel) with per-call options (a deadline, a policy, a plan): see
    /// [`Canceller::cancel_with`]. The deadline applies to every request of the cancel
    /// whichever account it goes to (the registry runs the call under it too). Cancel-safe
    /// as `cancel` is.
    pub async fn cancel_with(
        &self,
        account: &str,
        request: CancelRequest,
        options: CancelOptions,
    ) -> Result<CancelOutcome, Error> {
        let canceller = self.account(account)?;
        let deadline = options.deadline_at();
        rescind_core::deadline::scope_opt(deadline, canceller.cancel_with(request, options)).await
    }

    /// The accounts' names and providers, sorted by name.
    pub fn accounts(&self) -> impl Iterator<Item = (&str, Provider)> {
        self.accounts
            .iter()
            .map(|(name, c)| (name.as_str(), c.provider()))
    }

    /// How many accounts there are.
    pub fn len(&self) -> usize {
        self.accounts.len()
    }

    /// Whether there is no account.
    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty()
    }
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The cancellers' own Debug redacts their credentials; names and providers suffice.
        f.debug_map().entries(self.accounts()).finish()
    }
}

fn check_name(name: &str) -> Result<(), Error> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(Error::invalid_input(
            "account name",
            format!("`{name}` must be 1 to 64 characters of a-z, 0-9, `-` and `_`"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rescind_core::{CancelStatus, Capabilities, ErrorKind, async_trait};

    #[derive(Debug)]
    struct Fake(Provider);

    #[async_trait]
    impl Canceller for Fake {
        fn provider(&self) -> Provider {
            self.0
        }
        fn capabilities(&self) -> Capabilities {
            Capabilities::NONE.with_whole()
        }
        async fn cancel(&self, request: CancelRequest) -> Result<CancelOutcome, Error> {
            Ok(CancelOutcome::new(
                self.0,
                request.target,
                CancelStatus::Cancelled,
            ))
        }
    }

    #[tokio::test]
    async fn cancels_go_to_the_named_account_only() {
        let mut r = Registry::new();
        r.insert("arta-live", Arc::new(Fake(Provider::Arta)))
            .unwrap();
        r.insert("skippay-cz", Arc::new(Fake(Provider::SkipPay)))
            .unwrap();
        let o = r
            .cancel("skippay-cz", CancelRequest::whole("A1"))
            .await
            .unwrap();
        assert_eq!(o.provider, Provider::SkipPay);
        let err = r
            .cancel("skippay-sk", CancelRequest::whole("A1"))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::UnknownAccount);
        assert_eq!(err.sent(), Sent::NotSent);
        assert_eq!(err.reason(), None);
        assert!(err.to_string().contains("arta-live, skippay-cz"), "{err}");
    }

    #[test]
    fn duplicate_and_bad_names_are_refused() {
        let mut r = Registry::new();
        r.insert("di", Arc::new(Fake(Provider::Di))).unwrap();
        assert_eq!(
            r.insert("di", Arc::new(Fake(Provider::Di)))
                .unwrap_err()
                .kind(),
            ErrorKind::Config
        );
        for bad in ["", "Di", "di oslo", &"x".repeat(65)] {
            assert!(
                r.insert(bad, Arc::new(Fake(Provider::Di))).is_err(),
                "{bad:?}"
            );
        }
        assert_eq!(r.len(), 1);
        assert_eq!(format!("{r:?}"), "{\"di\": Di}");
    }
}
