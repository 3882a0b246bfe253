// README: begin
//! Cancel one item of a Skip Pay order, then the rest of the order.
//! Run it against the simulator: `cargo run -p rescind --example skippay`.

use rescind::{CancelOutcome, CancelRequest, Canceller, Error, ItemSelector, skippay};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    for outcome in cancel_one_then_all(&|name| std::env::var(name).ok()).await? {
        println!("{}: {}", outcome.target, outcome.status);
    }
    Ok(())
}

/// Reads `SKIPPAY_USERNAME`, `SKIPPAY_PASSWORD` and `SKIPPAY_BASE_URL` (optional) through `var`.
async fn cancel_one_then_all(
    var: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<CancelOutcome>, Error> {
    let username = var("SKIPPAY_USERNAME").ok_or_else(|| Error::config("set SKIPPAY_USERNAME"))?;
    let password = var("SKIPPAY_PASSWORD").ok_or_else(|| Error::config("set SKIPPAY_PASSWORD"))?;
    let mut builder =
        skippay::Client::builder().credentials(skippay::Credentials::new(username, password));
    if let Some(base_url) = var("SKIPPAY_BASE_URL") {
        builder = builder.base_url(&base_url); // https://api.partner.skippay.cz by default
    }
    let client = builder.build()?;

    // One of the three cases of application 11200a0ee1...
    let one_case = ItemSelector::by_code("CASE-3").quantity(1.into());
    let some = client
        .cancel(CancelRequest::items("11200a0ee1", vec![one_case]))
        .await?;

    // ...then the whole order.
    let rest = client.cancel(CancelRequest::whole("11200a0ee1")).await?;
    Ok(vec![some, rest])
}
// README: end

#[cfg(test)]
mod tests {
    use rescind::CancelStatus;

    #[tokio::test]
    async fn runs_against_the_simulator() {
        let sim = rescind_sim::Simulator::new().start().await.unwrap();
        let env = rescind_sim::demo_env(&sim.base_url());
        let var = |name: &str| env.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone());
        let outcomes = super::cancel_one_then_all(&var).await.unwrap();
        assert!(matches!(
            outcomes[0].status,
            CancelStatus::PartiallyCancelled { .. }
        ));
        assert_eq!(outcomes[1].status, CancelStatus::Cancelled);
    }
}
