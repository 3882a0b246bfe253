// README: begin
//! One call site for every provider: a registry of named accounts from the environment.
//! Run it against the simulator: `cargo run -p rescind --example registry`.

use rescind::{CancelOutcome, CancelRequest, Error, Registry};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    // The variables of `rescind::env`: ARTA_API_KEY, DI_USERNAME, ... and RESCIND_ACCOUNTS.
    let registry = Registry::from_env()?;
    for outcome in cancel_everywhere(&registry).await? {
        println!(
            "{} {}: {}",
            outcome.provider, outcome.target, outcome.status
        );
    }
    Ok(())
}

async fn cancel_everywhere(registry: &Registry) -> Result<Vec<CancelOutcome>, Error> {
    let mut outcomes = Vec::new();
    for (account, target) in [("arta", "43"), ("di", "70724760000000104")] {
        outcomes.push(
            registry
                .cancel(account, CancelRequest::whole(target))
                .await?,
        );
    }
    // An account that is not configured is an error, and nothing is sent anywhere.
    assert!(
        registry
            .cancel("arta-live", CancelRequest::whole("42"))
            .await
            .is_err()
    );
    Ok(outcomes)
}
// README: end

#[cfg(test)]
mod tests {
    use rescind::{CancelStatus, Registry};

    #[tokio::test]
    async fn runs_against_the_simulator() {
        let sim = rescind_sim::Simulator::new().start().await.unwrap();
        let env = rescind_sim::demo_env(&sim.base_url());
        let var = |name: &str| env.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone());
        let registry = Registry::from_vars(&var).unwrap();
        let outcomes = super::cancel_everywhere(&registry).await.unwrap();
        // Session 43 and order ...104 are cancelled in the demo data.
        assert!(
            outcomes
                .iter()
                .all(|o| o.status == CancelStatus::AlreadyCancelled)
        );
    }
}
