// README: begin
//! Cancel an Arta hosted session, then hold a shipment.
//! Run it against the simulator: `cargo run -p rescind --example arta`.

use rescind::{CancelOutcome, CancelRequest, Canceller, Error, arta};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    for outcome in cancel_and_hold(&|name| std::env::var(name).ok()).await? {
        println!("{}: {}", outcome.target, outcome.status);
    }
    Ok(())
}

/// Reads `ARTA_API_KEY` and `ARTA_BASE_URL` (optional) through `var`.
async fn cancel_and_hold(
    var: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<CancelOutcome>, Error> {
    let api_key = var("ARTA_API_KEY").ok_or_else(|| Error::config("set ARTA_API_KEY"))?;
    let mut builder = arta::Client::builder().api_key(api_key);
    if let Some(base_url) = var("ARTA_BASE_URL") {
        builder = builder.base_url(&base_url); // https://api.arta.io by default
    }
    let client = builder.build()?;

    // Cancel hosted session 42.
    let cancelled = client.cancel(CancelRequest::whole("42")).await?;

    // Hold a shipment until 1 December 2026 (Arta's `requested_hold_to_collect`).
    let until = rescind::core::jiff::civil::date(2026, 12, 1);
    let shipment = "6b12c76a-5217-4cd6-82d8-7aa5265ebaad";
    let held = client
        .cancel(CancelRequest::hold(shipment, Some(until)))
        .await?;
    Ok(vec![cancelled, held])
}
// README: end

#[cfg(test)]
mod tests {
    use rescind::CancelStatus;

    #[tokio::test]
    async fn runs_against_the_simulator() {
        let sim = rescind_sim::Simulator::new()
            .clock(rescind_sim::Clock::fixed(
                rescind_sim::arta::DEMO_NOW.parse().unwrap(),
            ))
            .start()
            .await
            .unwrap();
        let env = rescind_sim::demo_env(&sim.base_url());
        let var = |name: &str| env.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone());
        let outcomes = super::cancel_and_hold(&var).await.unwrap();
        assert_eq!(outcomes[0].status, CancelStatus::Cancelled);
        let until = rescind::core::jiff::civil::date(2026, 12, 1);
        assert_eq!(
            outcomes[1].status,
            CancelStatus::Held { until: Some(until) }
        );
    }
}
