//! The example service: `rescind-example-service [ADDR]` (default `127.0.0.1:8080`).
//!
//! Accounts come from the variables [`Accounts::from_env`] reads (against the simulator: run
//! `rescind sim` in one terminal and paste the `export` lines it prints into the service's
//! shell); bulk journals go to `RESCIND_JOURNAL_DIR`
//! (default: `rescind-jobs` in the temporary directory). Ctrl-C stops the bulk jobs (rows in
//! flight finish) and the server.

use std::time::Duration;

use rescind::core::TransportConfig;
use rescind_example_service::accounts::Accounts;
use rescind_example_service::{App, Settings};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The SDK's spans (`rescind.call` per HTTP request) nest under the service's
    // `service.cancel`; no header or secret is ever a field.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(tracing::Level::INFO)
        .init();
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8080".to_owned());
    let journal_dir = std::env::var_os("RESCIND_JOURNAL_DIR")
        .map(Into::into)
        .unwrap_or_else(|| std::env::temp_dir().join("rescind-jobs"));
    let transport = TransportConfig::default()
        .with_attempt_timeout(Duration::from_secs(10))
        .with_call_timeout(Duration::from_secs(30));
    let registry = Accounts::from_env()?.transport(transport).registry()?;
    for (name, provider) in registry.accounts() {
        eprintln!("account {name}: {provider}");
    }
    let app = App::new(registry, Settings::new(journal_dir));
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    eprintln!("listening on http://{}", listener.local_addr()?);
    app.serve(listener, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    Ok(())
}
