//! Fault injection: make the next N requests of a route (or a fraction of them) fail the way
//! networks and providers fail.

use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

/// What to do instead of (or after) the real answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FaultAction {
    /// Answer this status with a small JSON body; `retry_after` adds a `Retry-After` header
    /// (seconds).
    Status {
        /// The HTTP status.
        status: u16,
        /// `Retry-After` in seconds, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_after: Option<u64>,
    },
    /// Close the connection without answering.
    Drop,
    /// Answer 200 with a body that is not valid JSON.
    MalformedJson,
    /// Answer 502 with an HTML error page, as a proxy in front of the provider would.
    Html,
    /// Answer 200 with an empty body.
    Empty,
    /// Answer 200 with a JSON body of about this many bytes.
    Oversized {
        /// The body size in bytes.
        bytes: usize,
    },
}

/// One fault: which requests, what happens, how often.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaultRule {
    /// The HTTP method to match (any when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// The path pattern: segments separated by `/`, where `*` matches one segment and a final
    /// `**` matches the rest (`/hosted_sessions/*/cancel`, `/ws/json/**`).
    pub path: String,
    /// Wait this long before anything else (the request is then handled, or the action
    /// applied). A delay past the client's timeout makes the outcome unknown to the client.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<u64>,
    /// What happens instead of the real answer; the real answer when absent (a pure delay).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<FaultAction>,
    /// Apply the request's real effect first, then fail: the client cannot tell that the
    /// change happened. With `drop`, this is "the connection dropped after the change was
    /// applied".
    #[serde(default)]
    pub apply: bool,
    /// Only the next N matching requests (all of them when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<u32>,
    /// Only this fraction of matching requests, from 0.0 to 1.0 (all when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fraction: Option<f64>,
}

impl FaultRule {
    /// A rule for every request to `path` (any method).
    pub fn new(path: impl Into<String>, action: FaultAction) -> Self {
        FaultRule {
            method: None,
            path: path.into(),
            delay_ms: None,
            action: Some(action),
            apply: false,
            times: None,
            fraction: None,
        }
    }

    /// A rule that only delays requests to `path`, which are then handled normally.
    pub fn delay(path: impl Into<String>, delay: std::time::Duration) -> Self {
        FaultRule {
            method: None,
            path: path.into(),
            delay_ms: Some(u64::try_from(delay.as_millis()).unwrap_or(u64::MAX)),
            action: None,
            apply: false,
            times: None,
            fraction: None,
        }
    }

    /// Waits this long before the action.
    pub fn with_delay(mut self, delay: std::time::Duration) -> Self {
        self.delay_ms = Some(u64::try_from(delay.as_millis()).unwrap_or(u64::MAX));
        self
    }

    /// Only for this method.
    pub fn method(mut self, method: &str) -> Self {
        self.method = Some(method.to_ascii_uppercase());
        self
    }

    /// Only the next `n` matching requests.
    pub fn times(mut self, n: u32) -> Self {
        self.times = Some(n);
        self
    }

    /// Only this fraction of matching requests.
    pub fn fraction(mut self, fraction: f64) -> Self {
        self.fraction = Some(fraction.clamp(0.0, 1.0));
        self
    }

    /// Applies the real effect first.
    pub fn after_apply(mut self) -> Self {
        self.apply = true;
        self
    }

    fn matches(&self, method: &str, path: &str) -> bool {
        if let Some(m) = &self.method
            && !m.eq_ignore_ascii_case(method)
        {
            return false;
        }
        path_matches(&self.path, path)
    }
}

/// Whether `path` matches `pattern` (`*` one segment, final `**` the rest).
pub fn path_matches(pattern: &str, path: &str) -> bool {
    let mut pat = pattern.trim_matches('/').split('/');
    let mut segs = path.trim_matches('/').split('/');
    loop {
        match (pat.next(), segs.next()) {
            (Some("**"), _) => return true,
            (Some(p), Some(s)) if p == "*" || p == s => continue,
            (None, None) => return true,
            _ => return false,
        }
    }
}

/// The fault rules in force. Cheap to clone; clones share the rules.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    rules: Arc<Mutex<Vec<FaultRule>>>,
}

impl Faults {
    /// Adds a rule; rules are tried in the order they were added.
    pub fn add(&self, rule: FaultRule) {
        self.lock().push(rule);
    }

    /// Removes every rule.
    pub fn clear(&self) {
        self.lock().clear();
    }

    /// The rules in force.
    pub fn list(&self) -> Vec<FaultRule> {
        self.lock().clone()
    }

    /// The fault for this request, if any, counting it against the rule's `times`.
    pub fn take(&self, method: &str, path: &str) -> Option<FaultRule> {
        let mut rules = self.lock();
        let index = rules.iter().position(|r| {
            r.matches(method, path) && r.fraction.is_none_or(|f| fastrand::f64() < f)
        })?;
        let rule = rules[index].clone();
        if let Some(times) = &mut rules[index].times {
            *times -= 1;
            if *times == 0 {
                rules.remove(index);
            }
        }
        Some(rule)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<FaultRule>> {
        self.rules.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_segments() {
        assert!(path_matches(
            "/hosted_sessions/*/cancel",
            "/hosted_sessions/42/cancel"
        ));
        assert!(!path_matches(
            "/hosted_sessions/*/cancel",
            "/hosted_sessions/42"
        ));
        assert!(!path_matches(
            "/hosted_sessions/*",
            "/hosted_sessions/42/cancel"
        ));
        assert!(path_matches(
            "/ws/json/**",
            "/ws/json/parcel/booking/v-1/order/cancel/1"
        ));
        assert!(path_matches("/shipments", "/shipments/"));
    }

    #[test]
    fn times_counts_down_and_method_filters() {
        let faults = Faults::default();
        faults.add(
            FaultRule::new("/a/*", FaultAction::Drop)
                .method("post")
                .times(2),
        );
        assert!(faults.take("GET", "/a/1").is_none());
        assert!(faults.take("POST", "/a/1").is_some());
        assert!(faults.take("POST", "/a/2").is_some());
        assert!(faults.take("POST", "/a/3").is_none());
        assert!(faults.list().is_empty());
    }

    #[test]
    fn fraction_zero_never_fires() {
        let faults = Faults::default();
        faults.add(FaultRule::new("/a", FaultAction::Empty).fraction(0.0));
        assert!((0..100).all(|_| faults.take("GET", "/a").is_none()));
    }

    #[test]
    fn rules_round_trip_as_json() {
        let rule: FaultRule = serde_json::from_str(
            r#"{"method":"PATCH","path":"/hosted_sessions/*/cancel","action":{"kind":"status","status":429,"retry_after":1},"times":1}"#,
        )
        .unwrap();
        assert_eq!(
            rule.action,
            Some(FaultAction::Status {
                status: 429,
                retry_after: Some(1)
            })
        );
        assert!(!rule.apply);
    }
}
