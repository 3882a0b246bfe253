//! The service's accounts, configured in code: one [`Accounts`] value (from the service's own
//! configuration, or from environment variables with [`Accounts::from_env`]) builds every
//! client with the same transport settings (timeouts, retries, concurrency) and puts them in
//! a [`Registry`] by name.

use std::sync::Arc;

use rescind::core::TransportConfig;
use rescind::{Error, Registry, arta, di, skippay};

/// One account to build.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Account {
    /// An Arta API key (its base URL: `https://api.arta.io` when `None`).
    Arta {
        /// The base URL, if not Arta's own.
        base_url: Option<String>,
        /// The API key (redacted in `Debug`).
        api_key: arta::ApiKey,
    },
    /// A Di web-service user (there is no default base URL: test or production is a choice).
    Di {
        /// The base URL (`di::TEST_BASE_URL`, `di::PRODUCTION_BASE_URL` or a simulator's).
        base_url: String,
        /// The user name and password (redacted in `Debug`).
        credentials: di::Credentials,
    },
    /// A Skip Pay partner (its base URL: `https://api.partner.skippay.cz` when `None`).
    SkipPay {
        /// The base URL, if not Skip Pay's own.
        base_url: Option<String>,
        /// The partner's user name and password (redacted in `Debug`).
        credentials: skippay::Credentials,
    },
}

/// The accounts of the service by name, and the transport settings every client shares.
#[derive(Debug, Clone, Default)]
pub struct Accounts {
    transport: TransportConfig,
    accounts: Vec<(String, Account)>,
}

impl Accounts {
    /// No accounts, the transport's defaults.
    pub fn new() -> Self {
        Accounts::default()
    }

    /// The transport settings of every client (timeouts per attempt and per call, retries,
    /// concurrency). A provider's documented limits stay the client's defaults where this
    /// does not set them.
    pub fn transport(mut self, config: TransportConfig) -> Self {
        self.transport = config;
        self
    }

    /// Adds an account named `name` (1 to 64 characters of `a-z`, `0-9`, `-`, `_`).
    pub fn add(mut self, name: impl Into<String>, account: Account) -> Self {
        self.accounts.push((name.into(), account));
        self
    }

    /// Adds the Arta account `name`.
    pub fn arta(self, name: &str, base_url: Option<&str>, api_key: &str) -> Self {
        self.add(
            name,
            Account::Arta {
                base_url: base_url.map(str::to_owned),
                api_key: arta::ApiKey::new(api_key),
            },
        )
    }

    /// Adds the Di account `name`.
    pub fn di(self, name: &str, base_url: &str, username: &str, password: &str) -> Self {
        self.add(
            name,
            Account::Di {
                base_url: base_url.to_owned(),
                credentials: di::Credentials::new(username, password),
            },
        )
    }

    /// Adds the Skip Pay account `name`.
    pub fn skippay(
        self,
        name: &str,
        base_url: Option<&str>,
        username: &str,
        password: &str,
    ) -> Self {
        self.add(
            name,
            Account::SkipPay {
                base_url: base_url.map(str::to_owned),
                credentials: skippay::Credentials::new(username, password),
            },
        )
    }

    /// The accounts `arta`, `di` and `skippay` from the variables `rescind::env` reads
    /// (`ARTA_API_KEY`, `ARTA_BASE_URL`, `DI_USERNAME`, `DI_PASSWORD`, `DI_BASE_URL`,
    /// `SKIPPAY_USERNAME`, `SKIPPAY_PASSWORD`, `SKIPPAY_BASE_URL`), each present only when its
    /// credentials are set; `RESCIND_BASE_URL` points all three at one server (`rescind sim`).
    pub fn from_env() -> Result<Self, Error> {
        Self::from_vars(&|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
    }

    /// [`Accounts::from_env`] with another source of variables (tests).
    pub fn from_vars(var: &dyn Fn(&str) -> Option<String>) -> Result<Self, Error> {
        let shared = var("RESCIND_BASE_URL");
        let base = |name: &str| var(name).or_else(|| shared.clone());
        let mut accounts = Accounts::new();
        if let Some(key) = var("ARTA_API_KEY") {
            accounts = accounts.arta("arta", base("ARTA_BASE_URL").as_deref(), &key);
        }
        if let (Some(user), Some(password)) = (var("DI_USERNAME"), var("DI_PASSWORD")) {
            let url = base("DI_BASE_URL").ok_or_else(|| {
                Error::config("DI_BASE_URL is not set (Di has no default: test or production)")
            })?;
            accounts = accounts.di("di", &url, &user, &password);
        }
        if let (Some(user), Some(password)) = (var("SKIPPAY_USERNAME"), var("SKIPPAY_PASSWORD")) {
            accounts = accounts.skippay(
                "skippay",
                base("SKIPPAY_BASE_URL").as_deref(),
                &user,
                &password,
            );
        }
        Ok(accounts)
    }

    /// Builds every client and the registry. Fails, before anything is sent, on a bad base
    /// URL, a missing credential or a bad or duplicate account name.
    pub fn registry(&self) -> Result<Registry, Error> {
        let mut registry = Registry::new();
        for (name, account) in &self.accounts {
            let config = self.transport.clone();
            let canceller: Arc<dyn rescind::Canceller> = match account {
                Account::Arta { base_url, api_key } => {
                    let mut b = arta::Client::builder()
                        .api_key(api_key.clone())
                        .config(config);
                    if let Some(url) = base_url {
                        b = b.base_url(url);
                    }
                    Arc::new(b.build()?)
                }
                Account::Di {
                    base_url,
                    credentials,
                } => Arc::new(
                    di::Client::builder()
                        .base_url(base_url)
                        .credentials(credentials.clone())
                        .config(config)
                        .build()?,
                ),
                Account::SkipPay {
                    base_url,
                    credentials,
                } => {
                    let mut b = skippay::Client::builder()
                        .credentials(credentials.clone())
                        .config(config);
                    if let Some(url) = base_url {
                        b = b.base_url(url);
                    }
                    Arc::new(b.build()?)
                }
            };
            registry.insert(name.clone(), canceller)?;
        }
        Ok(registry)
    }
}
