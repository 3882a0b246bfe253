// README: begin
//! Cancel a Di parcel order.
//! Run it against the simulator: `cargo run -p rescind --example di`.

use rescind::{CancelOutcome, CancelRequest, Canceller, Error, di};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let outcome = cancel_order(&|name| std::env::var(name).ok()).await?;
    println!("{}: {}", outcome.target, outcome.status);
    Ok(())
}

/// Reads `DI_USERNAME`, `DI_PASSWORD` and `DI_BASE_URL` (optional) through `var`.
async fn cancel_order(var: &dyn Fn(&str) -> Option<String>) -> Result<CancelOutcome, Error> {
    let username = var("DI_USERNAME").ok_or_else(|| Error::config("set DI_USERNAME"))?;
    let password = var("DI_PASSWORD").ok_or_else(|| Error::config("set DI_PASSWORD"))?;
    let builder = di::Client::builder().credentials(di::Credentials::new(username, password));
    // Di has no default environment: `.test()`, `.production()` or a base URL.
    let client = match var("DI_BASE_URL") {
        Some(base_url) => builder.base_url(&base_url),
        None => builder.test(),
    }
    .build()?;

    // A shipment number, with or without its `(401)` prefix.
    client
        .cancel(CancelRequest::whole("(401)70724760000000101"))
        .await
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
        let outcome = super::cancel_order(&var).await.unwrap();
        assert_eq!(outcome.status, CancelStatus::Cancelled);
        assert_eq!(outcome.target, "70724760000000101");
    }
}
