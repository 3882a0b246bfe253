//! Per-call options of a cancel: [`CancelOptions`] (a reading already taken, the request
//! policy, a deadline), given to [`Canceller::cancel_with`](crate::Canceller::cancel_with).
//!
//! ```
//! use std::time::Duration;
//! use rescind_core::{CancelOptions, Policy};
//!
//! let options = CancelOptions::new()
//!     .policy(Policy::ChangeFirst)
//!     .timeout(Duration::from_secs(10));
//! assert_eq!(options.policy_or(Policy::CheckFirst), Policy::ChangeFirst);
//! assert!(options.deadline_at().is_some());
//! assert!(options.plan().is_none());
//! ```

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use crate::Plan;

/// How many requests a cancel spends to decide its outcome (issue "every call counts").
///
/// - [`CheckFirst`](Policy::CheckFirst): read the target, apply the provider's documented
///   rules to the reading, then send the change only if it would do something. Exact outcomes
///   ("already cancelled" told apart from "cancelled now") and the clearest refusals, at one
///   read more per cancel.
/// - [`ChangeFirst`](Policy::ChangeFirst): send the change first wherever the promises allow
///   it (the provider refuses what its rules forbid, and a lost answer can still be settled
///   by reading the target back), and read only to explain a refusal or settle an ambiguous
///   answer. Fewest requests; where the provider's answer cannot tell "cancelled now" from
///   "was already cancelled", the outcome says so rather than guess.
///
/// A read that is the only fingerprint of a change that cannot be repeated (a Skip Pay
/// quantity cancel) or the input of a rule the provider does not enforce itself (Arta's
/// 30-day hold window) is taken under both policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Policy {
    /// Read first, then change (the clients' default).
    #[default]
    CheckFirst,
    /// Change first, read only when the answer does not decide.
    ChangeFirst,
}

impl Policy {
    /// The stable name: `check_first`, `change_first`.
    pub fn as_str(self) -> &'static str {
        match self {
            Policy::CheckFirst => "check_first",
            Policy::ChangeFirst => "change_first",
        }
    }
}

impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Options of one cancel, for [`Canceller::cancel_with`](crate::Canceller::cancel_with).
///
/// Every field is optional; the default is what [`Canceller::cancel`](crate::Canceller::cancel)
/// does.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct CancelOptions {
    plan: Option<Plan>,
    policy: Option<Policy>,
    deadline: Option<Instant>,
}

impl CancelOptions {
    /// No options: the client's own settings.
    pub fn new() -> Self {
        CancelOptions::default()
    }

    /// A reading of the target already taken by [`Canceller::plan`](crate::Canceller::plan)
    /// for this same request: the cancel uses it instead of reading the target again.
    ///
    /// The plan's reading becomes the cancel's reading from before, the fingerprint that
    /// settles a lost answer by reading back (DESIGN principle 11: a read-back proves this
    /// call's change only against a reading nobody else changed since).
    ///
    /// Where that fingerprint decides alone, for a change that cannot be sent twice (a Skip
    /// Pay item cancel with quantities), the plan is used only while fresh: at most
    /// [`Plan::FRESH_FOR`] (5 seconds) after its reading ([`Plan::taken_at`]); an older plan
    /// makes the cancel read the target again, one request more (3 instead of 2), and its
    /// outcome is then exact: a lost answer is compared with that new reading, not with an
    /// order someone else has changed since the plan. Within the bound, take the plan just
    /// before the cancel (as a bulk run does): a change by someone else in those seconds,
    /// followed by a lost answer, is still read back as this call's. Elsewhere (rules'
    /// inputs such as Arta's 30-day hold window, idempotent changes) a plan of any age is
    /// used. A plan about another target is ignored.
    pub fn with_plan(mut self, plan: Plan) -> Self {
        self.plan = Some(plan);
        self
    }

    /// Overrides the client's [`Policy`] for this call.
    pub fn policy(mut self, policy: Policy) -> Self {
        self.policy = Some(policy);
        self
    }

    /// The whole cancel (every request it sends, read-backs included) ends by `deadline`.
    pub fn deadline(mut self, deadline: Instant) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// The whole cancel ends within `timeout` from now (a [`deadline`](Self::deadline)). A
    /// timeout past the clock's range (`Duration::MAX`) is taken as 30 years, never a panic.
    pub fn timeout(self, timeout: Duration) -> Self {
        self.deadline(crate::pacer::later(Instant::now(), timeout))
    }

    /// The plan handed in, if any.
    pub fn plan(&self) -> Option<&Plan> {
        self.plan.as_ref()
    }

    /// Takes the plan out (a provider that uses its reading).
    pub fn take_plan(&mut self) -> Option<Plan> {
        self.plan.take()
    }

    /// The policy asked for this call, if any.
    pub fn requested_policy(&self) -> Option<Policy> {
        self.policy
    }

    /// The policy asked for this call, or `client_default`.
    pub fn policy_or(&self, client_default: Policy) -> Policy {
        self.policy.unwrap_or(client_default)
    }

    /// The deadline, if any.
    pub fn deadline_at(&self) -> Option<Instant> {
        self.deadline
    }

    /// Runs `future` under this call's deadline ([`deadline::scope`](crate::deadline::scope)),
    /// or as it is without one: every request the transport sends from it honours the
    /// deadline. A [`Canceller::cancel_with`](crate::Canceller::cancel_with) runs its work in
    /// here.
    pub fn scope<F: std::future::Future>(
        &self,
        future: F,
    ) -> impl std::future::Future<Output = F::Output> + use<F> {
        crate::deadline::scope_opt(self.deadline, future)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A timeout past the clock's range is a far deadline, not a panic (break429: an absurd
    /// duration added to an `Instant` overflows).
    #[tokio::test]
    async fn a_timeout_of_duration_max_is_a_far_deadline() {
        let options = CancelOptions::new().timeout(Duration::MAX);
        let deadline = options.deadline.expect("a deadline");
        assert!(deadline > Instant::now() + Duration::from_secs(365 * 24 * 60 * 60));
    }
}
