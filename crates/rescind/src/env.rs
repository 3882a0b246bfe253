//! Accounts from environment variables.
//!
//! | variable | meaning |
//! |---|---|
//! | `ARTA_API_KEY` | Arta API key: makes an account named `arta` |
//! | `ARTA_BASE_URL` | optional, default `https://api.arta.io` |
//! | `ARTA_KEY_KIND` | optional, `live` (default) or `test`: the key's documented limits, which the client stays under (live: 15 calls in flight, 970 a minute; test: 10 and 485; see `rescind_arta::KeyKind`) |
//! | `DI_USERNAME`, `DI_PASSWORD` | Di web-service user: make an account named `di` |
//! | `DI_ENV` | `test` (`https://staging-ws.di.no`) or `production` (`https://ws.di.no`); or |
//! | `DI_BASE_URL` | another base URL. One of the two is required: production is never a silent default |
//! | `SKIPPAY_USERNAME`, `SKIPPAY_PASSWORD` | Skip Pay partner user: make an account named `skippay` |
//! | `SKIPPAY_BASE_URL` | optional, default `https://api.partner.skippay.cz` |
//! | `RESCIND_ACCOUNTS` | more accounts, by name, comma separated (`arta-live,di-oslo`) |
//! | `RESCIND_<NAME>_PROVIDER` | the named account's provider: `arta`, `di` or `skippay` |
//! | `RESCIND_<NAME>_API_KEY`, `_KEY_KIND`, `_USERNAME`, `_PASSWORD`, `_ENV`, `_BASE_URL` | its settings, as above |
//!
//! `<NAME>` is the account name in upper case with `-` written `_` (`arta-live` →
//! `RESCIND_ARTA_LIVE_API_KEY`). A provider's plain variables make its account only when one of
//! them is set; then a missing one is an error that names it. Values are never echoed in errors.

use std::sync::Arc;

use rescind_core::{Error, Provider, TransportSettings};

/// Looks a variable up: [`std::env::var`] by default, anything in tests.
pub type Lookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// Reads variables through a [`Lookup`], with a prefix.
#[cfg_attr(
    not(any(feature = "arta", feature = "di", feature = "skippay")),
    allow(dead_code)
)]
struct Vars<'a> {
    lookup: Lookup<'a>,
    prefix: String,
}

#[cfg_attr(
    not(any(feature = "arta", feature = "di", feature = "skippay")),
    allow(dead_code)
)]
impl Vars<'_> {
    fn name(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    fn get(&self, key: &str) -> Option<String> {
        (self.lookup)(&self.name(key)).filter(|v| !v.trim().is_empty())
    }

    fn require(&self, key: &str) -> Result<String, Error> {
        self.get(key).ok_or_else(|| {
            Error::config(format!("missing environment variable {}", self.name(key)))
        })
    }

    fn any(&self, keys: &[&str]) -> bool {
        keys.iter().any(|k| self.get(k).is_some())
    }
}

/// The environment as a [`Lookup`].
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// An Arta client from `<prefix>API_KEY`, `<prefix>BASE_URL` and `<prefix>KEY_KIND` (prefix
/// `ARTA_` for the plain variables). `None` when neither the key nor the URL is set.
#[cfg(feature = "arta")]
pub fn arta_client(
    lookup: Lookup<'_>,
    prefix: &str,
) -> Result<Option<rescind_arta::Client>, Error> {
    arta_client_with(lookup, prefix, TransportSettings::new())
}

/// [`arta_client`] with the transport's timeouts, retries, limits and shared connection pool
/// set by `settings` (a [`TransportSettings`], or a
/// [`TransportConfig`](rescind_core::TransportConfig)).
#[cfg(feature = "arta")]
pub fn arta_client_with(
    lookup: Lookup<'_>,
    prefix: &str,
    settings: impl Into<TransportSettings>,
) -> Result<Option<rescind_arta::Client>, Error> {
    let vars = Vars {
        lookup,
        prefix: prefix.into(),
    };
    if !vars.any(&["API_KEY", "BASE_URL"]) {
        return Ok(None);
    }
    let mut builder = rescind_arta::Client::builder()
        .api_key(vars.require("API_KEY")?)
        .transport_settings(settings.into());
    if let Some(kind) = vars.get("KEY_KIND") {
        let kind = rescind_arta::KeyKind::parse(&kind).ok_or_else(|| {
            Error::config(format!(
                "{} must be `live` or `test`",
                vars.name("KEY_KIND")
            ))
        })?;
        builder = builder.key_kind(kind);
    }
    if let Some(url) = vars.get("BASE_URL") {
        builder = builder.base_url(url);
    }
    builder.build().map(Some)
}

/// A Di client from `<prefix>USERNAME`, `PASSWORD`, and `ENV` or `BASE_URL` (prefix `DI_` for
/// the plain variables). `None` when none is set.
#[cfg(feature = "di")]
pub fn di_client(lookup: Lookup<'_>, prefix: &str) -> Result<Option<rescind_di::Client>, Error> {
    di_client_with(lookup, prefix, TransportSettings::new())
}

/// [`di_client`] with the transport's timeouts, retries, limits and shared connection pool
/// set by `settings` (a [`TransportSettings`], or a
/// [`TransportConfig`](rescind_core::TransportConfig)).
#[cfg(feature = "di")]
pub fn di_client_with(
    lookup: Lookup<'_>,
    prefix: &str,
    settings: impl Into<TransportSettings>,
) -> Result<Option<rescind_di::Client>, Error> {
    let vars = Vars {
        lookup,
        prefix: prefix.into(),
    };
    if !vars.any(&["USERNAME", "PASSWORD", "ENV", "BASE_URL"]) {
        return Ok(None);
    }
    let credentials =
        rescind_di::Credentials::new(vars.require("USERNAME")?, vars.require("PASSWORD")?);
    let builder = rescind_di::Client::builder()
        .credentials(credentials)
        .transport_settings(settings.into());
    let builder = match (vars.get("BASE_URL"), vars.get("ENV")) {
        (Some(url), _) => builder.base_url(url),
        (None, Some(env)) => match env.trim() {
            "test" => builder.test(),
            "production" => builder.production(),
            _ => {
                return Err(Error::config(format!(
                    "{} must be `test` or `production`",
                    vars.name("ENV")
                )));
            }
        },
        (None, None) => {
            return Err(Error::config(format!(
                "missing environment variable {} (`test` or `production`) or {}: Di has no default environment",
                vars.name("ENV"),
                vars.name("BASE_URL")
            )));
        }
    };
    builder.build().map(Some)
}

/// A Skip Pay client from `<prefix>USERNAME`, `PASSWORD` and `BASE_URL` (prefix `SKIPPAY_`
/// for the plain variables). `None` when none is set.
#[cfg(feature = "skippay")]
pub fn skippay_client(
    lookup: Lookup<'_>,
    prefix: &str,
) -> Result<Option<rescind_skippay::Client>, Error> {
    skippay_client_with(lookup, prefix, TransportSettings::new())
}

/// [`skippay_client`] with the transport's timeouts, retries, limits and shared connection pool
/// set by `settings` (a [`TransportSettings`], or a
/// [`TransportConfig`](rescind_core::TransportConfig)).
#[cfg(feature = "skippay")]
pub fn skippay_client_with(
    lookup: Lookup<'_>,
    prefix: &str,
    settings: impl Into<TransportSettings>,
) -> Result<Option<rescind_skippay::Client>, Error> {
    let vars = Vars {
        lookup,
        prefix: prefix.into(),
    };
    if !vars.any(&["USERNAME", "PASSWORD", "BASE_URL"]) {
        return Ok(None);
    }
    let credentials =
        rescind_skippay::Credentials::new(vars.require("USERNAME")?, vars.require("PASSWORD")?);
    let mut builder = rescind_skippay::Client::builder()
        .credentials(credentials)
        .transport_settings(settings.into());
    if let Some(url) = vars.get("BASE_URL") {
        builder = builder.base_url(url);
    }
    builder.build().map(Some)
}

/// Builds the client of `provider` from variables with `prefix`, as a [`Canceller`].
///
/// [`Canceller`]: rescind_core::Canceller
fn canceller(
    provider: Provider,
    lookup: Lookup<'_>,
    prefix: &str,
    settings: &TransportSettings,
) -> Result<Option<std::sync::Arc<dyn rescind_core::Canceller>>, Error> {
    let _ = (lookup, prefix, settings);
    match provider {
        #[cfg(feature = "arta")]
        Provider::Arta => Ok(arta_client_with(lookup, prefix, settings.clone())?
            .map(|c| std::sync::Arc::new(c) as _)),
        #[cfg(feature = "di")]
        Provider::Di => {
            Ok(di_client_with(lookup, prefix, settings.clone())?
                .map(|c| std::sync::Arc::new(c) as _))
        }
        #[cfg(feature = "skippay")]
        Provider::SkipPay => Ok(skippay_client_with(lookup, prefix, settings.clone())?
            .map(|c| std::sync::Arc::new(c) as _)),
        #[allow(unreachable_patterns)]
        other => Err(Error::config(format!(
            "provider `{}` is not built in: enable the `{}` feature of rescind",
            other.id(),
            other.id()
        ))),
    }
}

impl crate::Registry {
    /// The accounts the process environment configures (see the [module docs](self)), with
    /// default transport settings. [`Registry::builder`](crate::Registry::builder) sets them
    /// from code.
    pub fn from_env() -> Result<crate::Registry, Error> {
        crate::Registry::from_vars(&process_env)
    }

    /// The accounts that `lookup` configures, with the variables of the [module docs](self).
    pub fn from_vars(lookup: Lookup<'_>) -> Result<crate::Registry, Error> {
        from_vars_with(lookup, &TransportSettings::new())
    }
}

/// Builds a [`Registry`](crate::Registry) from environment variables with transport settings
/// given in code: timeouts, retries, limits and a shared connection pool, applied to every
/// account it builds. Each setting follows the rule of
/// [`TransportSettings`](rescind_core::TransportSettings#which-setting-wins): what is set here
/// wins over the provider's defaults (Arta's key-kind limits included); what is not set keeps
/// them. Limits are per account: `max_concurrency(4)` gives each account its own 4 (Arta
/// accounts with the same API key and base URL are one client, so they share theirs: Arta's
/// limits are per key).
///
/// ```
/// use std::time::Duration;
/// use rescind::{HttpClient, Registry};
///
/// let pool = HttpClient::new()?;
/// let vars = |name: &str| match name {
///     "ARTA_API_KEY" => Some("k".to_string()),
///     "SKIPPAY_USERNAME" | "SKIPPAY_PASSWORD" => Some("u".to_string()),
///     _ => None,
/// };
/// let registry = Registry::builder()
///     .call_timeout(Duration::from_secs(10))
///     .retry(rescind::core::retry::RetryPolicy::default().with_max_attempts(2))
///     .http_client(pool)
///     .from_vars(&vars)?;
/// assert_eq!(registry.len(), 2);
/// # Ok::<(), rescind::Error>(())
/// ```
#[derive(Debug, Default)]
#[must_use]
pub struct RegistryBuilder {
    transport: TransportSettings,
}

impl RegistryBuilder {
    rescind_core::__transport_setters!();

    /// The accounts the process environment configures (see the [module docs](self)), built
    /// with these settings.
    pub fn from_env(self) -> Result<crate::Registry, Error> {
        from_vars_with(&process_env, &self.transport)
    }

    /// The accounts `lookup` configures, built with these settings.
    pub fn from_vars(self, lookup: Lookup<'_>) -> Result<crate::Registry, Error> {
        from_vars_with(lookup, &self.transport)
    }
}

fn from_vars_with(
    lookup: Lookup<'_>,
    settings: &TransportSettings,
) -> Result<crate::Registry, Error> {
    {
        let mut registry = crate::Registry::new();
        let mut shared = SharedKeys::default();
        for provider in Provider::ALL {
            let prefix = format!("{}_", provider.id().to_ascii_uppercase());
            let enabled = provider_enabled(provider);
            if !enabled {
                continue;
            }
            if let Some(c) = canceller(provider, lookup, &prefix, settings)? {
                let c = shared.share(provider, lookup, &prefix, provider.id(), c)?;
                registry.insert(provider.id(), c)?;
            }
        }
        let names = lookup("RESCIND_ACCOUNTS").unwrap_or_default();
        for name in names.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let prefix = format!("RESCIND_{}_", name.to_ascii_uppercase().replace('-', "_"));
            let key = format!("{prefix}PROVIDER");
            let id = lookup(&key)
                .ok_or_else(|| Error::config(format!("missing environment variable {key}")))?;
            let provider = Provider::from_id(id.trim())
                .ok_or_else(|| Error::config(format!("{key} must be `arta`, `di` or `skippay`")))?;
            let c = canceller(provider, lookup, &prefix, settings)?.ok_or_else(|| {
                Error::config(format!(
                    "account `{name}` has no settings: set {prefix}API_KEY or {prefix}USERNAME and {prefix}PASSWORD"
                ))
            })?;
            let c = shared.share(provider, lookup, &prefix, name, c)?;
            registry.insert(name, c)?;
        }
        Ok(registry)
    }
}

/// Arta's limits are per API key (Arta reference, "Rate Limits"): accounts of one registry
/// that hold the same key at the same base URL share one client, so that their calls are
/// queued and paced together (each client paces only its own calls). The same key given two
/// different key kinds is a contradiction, refused with both variables named.
#[derive(Default)]
struct SharedKeys {
    arta: Vec<SharedArtaKey>,
}

/// The first Arta account built with one key at one base URL.
struct SharedArtaKey {
    key: String,
    base_url: String,
    /// Its `KEY_KIND` variable's name, and the kind (`live` when unset).
    kind_var: String,
    kind: String,
    client: Arc<dyn rescind_core::Canceller>,
}

impl SharedKeys {
    fn share(
        &mut self,
        provider: Provider,
        lookup: Lookup<'_>,
        prefix: &str,
        account: &str,
        client: Arc<dyn rescind_core::Canceller>,
    ) -> Result<Arc<dyn rescind_core::Canceller>, Error> {
        if provider != Provider::Arta {
            return Ok(client);
        }
        let Some(key) = lookup(&format!("{prefix}API_KEY")) else {
            return Ok(client);
        };
        let base = lookup(&format!("{prefix}BASE_URL"))
            .map(|u| u.trim().trim_end_matches('/').to_string())
            .unwrap_or_else(|| "https://api.arta.io".into());
        let kind_var = format!("{prefix}KEY_KIND");
        // Unset is the documented default, `live`.
        let kind = lookup(&kind_var)
            .map(|k| k.trim().to_ascii_lowercase())
            .unwrap_or_else(|| "live".into());
        for first in &self.arta {
            if first.key == key && first.base_url == base {
                if first.kind != kind {
                    return Err(Error::config(format!(
                        "account `{account}` has the same Arta API key as an earlier account but another key kind ({kind_var} and {} differ): one key has one kind",
                        first.kind_var
                    )));
                }
                return Ok(first.client.clone());
            }
        }
        self.arta.push(SharedArtaKey {
            key,
            base_url: base,
            kind_var,
            kind,
            client: client.clone(),
        });
        Ok(client)
    }
}

#[allow(clippy::match_like_matches_macro)] // one arm per cargo feature reads better
fn provider_enabled(provider: Provider) -> bool {
    match provider {
        Provider::Arta => cfg!(feature = "arta"),
        Provider::Di => cfg!(feature = "di"),
        Provider::SkipPay => cfg!(feature = "skippay"),
        _ => false,
    }
}

#[cfg(all(test, feature = "arta", feature = "di", feature = "skippay"))]
mod tests {
    use std::collections::HashMap;

    use rescind_core::{ErrorKind, TransportSettings};

    use crate::Registry;

    fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[cfg(all(feature = "arta", feature = "di", feature = "skippay"))]
    #[test]
    fn the_with_variants_apply_the_transport_config() {
        use std::time::Duration;

        let vars = lookup(&[
            ("ARTA_API_KEY", "k-secret"),
            ("DI_USERNAME", "u"),
            ("DI_PASSWORD", "p-secret"),
            ("DI_ENV", "test"),
            ("SKIPPAY_USERNAME", "u"),
            ("SKIPPAY_PASSWORD", "p"),
        ]);
        let config = || {
            rescind_core::TransportConfig::default()
                .with_call_timeout(Duration::from_secs(7))
                .with_retry(rescind_core::retry::RetryPolicy::default().with_max_attempts(1))
        };
        let arta = super::arta_client_with(&vars, "ARTA_", config())
            .unwrap()
            .unwrap();
        let di = super::di_client_with(&vars, "DI_", config())
            .unwrap()
            .unwrap();
        let skippay = super::skippay_client_with(&vars, "SKIPPAY_", config())
            .unwrap()
            .unwrap();
        for t in [arta.transport(), di.transport(), skippay.transport()] {
            assert_eq!(t.config().call_timeout, Duration::from_secs(7));
            assert_eq!(t.config().retry.max_attempts, 1);
        }
        // Arta's own settings still apply over the caller's config.
        assert!(arta.transport().config().request_id_header.is_some());
    }

    #[test]
    #[cfg(feature = "arta")]
    fn arta_key_kind_sets_the_limits_and_a_bad_one_is_named() {
        let limits = |kind: Option<&str>| {
            let mut pairs = vec![("ARTA_API_KEY", "k-secret")];
            if let Some(kind) = kind {
                pairs.push(("ARTA_KEY_KIND", kind));
            }
            let vars = lookup(&pairs);
            super::arta_client_with(&vars, "ARTA_", TransportSettings::new()).map(|c| {
                let config = c.unwrap().transport().config().clone();
                (config.max_concurrency, config.rate_limit.map(|r| r.calls()))
            })
        };
        assert_eq!(limits(None).unwrap(), (Some(15), Some(970)));
        assert_eq!(limits(Some("live")).unwrap(), (Some(15), Some(970)));
        assert_eq!(limits(Some(" Test ")).unwrap(), (Some(10), Some(485)));
        let err = limits(Some("sandbox")).unwrap_err();
        assert!(err.to_string().contains("ARTA_KEY_KIND"), "{err}");
        assert!(!err.to_string().contains("k-secret"), "{err}");
        // A named account reads its own variable.
        let vars = lookup(&[
            ("RESCIND_ACCOUNTS", "arta-test"),
            ("RESCIND_ARTA_TEST_PROVIDER", "arta"),
            ("RESCIND_ARTA_TEST_API_KEY", "k"),
            ("RESCIND_ARTA_TEST_KEY_KIND", "test"),
        ]);
        let client =
            super::arta_client_with(&vars, "RESCIND_ARTA_TEST_", TransportSettings::new()).unwrap();
        assert_eq!(
            client.unwrap().transport().config().max_concurrency,
            Some(10)
        );
    }

    /// `Registry::builder()` applies timeouts, retries, limits and one shared connection pool
    /// to every account it builds, by the rule of `TransportSettings`: what is set wins over
    /// Arta's key-kind defaults, what is not set keeps them.
    #[test]
    fn the_registry_builder_configures_every_account_from_code() {
        use std::time::Duration;

        use rescind_core::{HttpClient, RateLimit, retry::RetryPolicy};

        let vars = lookup(&[
            ("ARTA_API_KEY", "k-secret"),
            ("DI_USERNAME", "u"),
            ("DI_PASSWORD", "p-secret"),
            ("DI_ENV", "test"),
            ("SKIPPAY_USERNAME", "u"),
            ("SKIPPAY_PASSWORD", "p"),
        ]);
        let pool = HttpClient::new().unwrap();
        let settings = || {
            rescind_core::TransportSettings::new()
                .call_timeout(Duration::from_secs(9))
                .attempt_timeout(Duration::from_secs(3))
                .retry(RetryPolicy::default().with_max_attempts(2))
                .http_client(pool.clone())
        };
        // The registry applies them to each account (checked on the clients it builds).
        let registry = Registry::builder()
            .call_timeout(Duration::from_secs(9))
            .attempt_timeout(Duration::from_secs(3))
            .retry(RetryPolicy::default().with_max_attempts(2))
            .http_client(pool.clone())
            .from_vars(&vars)
            .unwrap();
        assert_eq!(registry.len(), 3);
        let arta = super::arta_client_with(&vars, "ARTA_", settings())
            .unwrap()
            .unwrap();
        let di = super::di_client_with(&vars, "DI_", settings().max_concurrency(4))
            .unwrap()
            .unwrap();
        let skippay = super::skippay_client_with(&vars, "SKIPPAY_", settings())
            .unwrap()
            .unwrap();
        for t in [arta.transport(), di.transport(), skippay.transport()] {
            assert_eq!(t.config().call_timeout, Duration::from_secs(9));
            assert_eq!(t.config().attempt_timeout, Duration::from_secs(3));
            assert_eq!(t.config().retry.max_attempts, 2);
            assert!(t.shares_connections_with(arta.transport()));
        }
        // Unset limits keep the provider's defaults; set ones win.
        assert_eq!(arta.transport().config().max_concurrency, Some(15));
        assert_eq!(
            arta.transport().config().rate_limit,
            Some(RateLimit::per_minute(970))
        );
        assert_eq!(di.transport().config().max_concurrency, Some(4));
        assert_eq!(skippay.transport().config().max_concurrency, None);
        let arta = super::arta_client_with(
            &vars,
            "ARTA_",
            rescind_core::TransportSettings::new().max_concurrency(2),
        )
        .unwrap()
        .unwrap();
        assert_eq!(arta.transport().config().max_concurrency, Some(2));
        // Secrets stay out of the builder's Debug.
        let shown = format!("{:?}", Registry::builder().http_client(pool));
        assert!(!shown.contains("secret"), "{shown}");
    }

    #[test]
    fn plain_variables_make_one_account_per_provider() {
        let vars = lookup(&[
            ("ARTA_API_KEY", "k-secret"),
            ("DI_USERNAME", "u"),
            ("DI_PASSWORD", "p-secret"),
            ("DI_ENV", "test"),
            ("SKIPPAY_USERNAME", "u"),
            ("SKIPPAY_PASSWORD", "p"),
            ("SKIPPAY_BASE_URL", "http://127.0.0.1:9"),
        ]);
        let r = Registry::from_vars(&vars).unwrap();
        let names: Vec<_> = r.accounts().map(|(n, p)| (n.to_string(), p)).collect();
        assert_eq!(
            names,
            vec![
                ("arta".to_string(), rescind_core::Provider::Arta),
                ("di".to_string(), rescind_core::Provider::Di),
                ("skippay".to_string(), rescind_core::Provider::SkipPay),
            ]
        );
        let debug = format!("{:?}", r.get("di").unwrap());
        assert!(!debug.contains("p-secret"), "{debug}");
    }

    #[test]
    fn nothing_set_is_an_empty_registry() {
        assert!(Registry::from_vars(&lookup(&[])).unwrap().is_empty());
    }

    #[test]
    fn a_missing_variable_is_named_and_no_value_is_echoed() {
        let err =
            Registry::from_vars(&lookup(&[("DI_USERNAME", "u"), ("DI_ENV", "test")])).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config);
        assert!(err.to_string().contains("DI_PASSWORD"), "{err}");

        let err = Registry::from_vars(&lookup(&[
            ("DI_USERNAME", "u"),
            ("DI_PASSWORD", "pw-secret"),
        ]))
        .unwrap_err();
        assert!(err.to_string().contains("DI_ENV"), "{err}");
        assert!(!err.to_string().contains("pw-secret"), "{err}");

        let err = Registry::from_vars(&lookup(&[("SKIPPAY_PASSWORD", "p")])).unwrap_err();
        assert!(err.to_string().contains("SKIPPAY_USERNAME"), "{err}");
    }

    #[test]
    fn named_accounts() {
        let vars = lookup(&[
            ("RESCIND_ACCOUNTS", "arta-live, arta-test"),
            ("RESCIND_ARTA_LIVE_PROVIDER", "arta"),
            ("RESCIND_ARTA_LIVE_API_KEY", "live"),
            ("RESCIND_ARTA_TEST_PROVIDER", "arta"),
            ("RESCIND_ARTA_TEST_API_KEY", "test"),
            ("RESCIND_ARTA_TEST_BASE_URL", "http://127.0.0.1:9/prefix"),
        ]);
        let r = Registry::from_vars(&vars).unwrap();
        assert_eq!(r.len(), 2);
        assert!(r.get("arta-live").is_some() && r.get("arta-test").is_some());

        let err = Registry::from_vars(&lookup(&[
            ("RESCIND_ACCOUNTS", "x"),
            ("RESCIND_X_PROVIDER", "ups"),
        ]))
        .unwrap_err();
        assert!(err.to_string().contains("RESCIND_X_PROVIDER"), "{err}");
        let err = Registry::from_vars(&lookup(&[
            ("RESCIND_ACCOUNTS", "x"),
            ("RESCIND_X_PROVIDER", "di"),
        ]))
        .unwrap_err();
        assert!(
            err.to_string().contains("account `x` has no settings"),
            "{err}"
        );
    }
}
