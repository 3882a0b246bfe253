// README: begin
//! A bulk job fed from code: orders keyed by the caller's own ids, and a journal that makes
//! the job safe to run again after a crash, a deploy or an edit of the list (rows done are not
//! sent again: the journal knows each row by its content, not its position). Run it against
//! the simulator: `cargo run -p rescind --example bulk`.

use std::path::Path;

use rescind::bulk::{BulkError, Input, Journal, Options, Outcome, Report, Row, Runner};
use rescind::{ItemSelector, Registry};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let registry = Registry::from_env()?;
    let journal = std::env::temp_dir().join("rescind-example-bulk.journal.jsonl");
    let report = cancel_orders(registry, &journal).await?;
    if let Some(done) = report.already_done {
        println!("{done}");
    }
    for row in &report.rows {
        let key = row.key.as_deref().unwrap_or("-");
        match row.outcome {
            Outcome::Done => println!("{key}: done ({:?})", row.status),
            other => println!("{key}: {other}: {}", row.detail),
        }
    }
    Ok(())
}

async fn cancel_orders(registry: Registry, journal: &Path) -> Result<Report, BulkError> {
    let case = ItemSelector::by_code("CASE-3").quantity(1.into());
    let orders = [
        ("order-1001", Row::cancel("arta", "42")),
        ("order-1002", Row::cancel("di", "70724760000000101")),
        (
            "order-1003",
            Row::cancel_items("skippay", "11200a0ee1", vec![case]),
        ),
    ];
    let input = Input::from_rows(orders.into_iter().map(|(id, row)| row.with_key(id)));
    let journal = Journal::open(journal, &input)?;
    let runner = Runner::new(registry).options(Options::default().concurrency(4));
    runner
        .run(input, journal, |p| {
            if let Some(w) = p.waiting {
                eprintln!("waiting for {} row(s) in flight until {}", w.rows, w.until);
            }
        })
        .await
}
// README: end

#[cfg(test)]
mod tests {
    use rescind::bulk::Outcome;
    use rescind::{CancelStatus, Registry};

    #[tokio::test]
    async fn runs_against_the_simulator_and_a_rerun_sends_nothing() {
        let sim = rescind_sim::Simulator::new().start().await.unwrap();
        let env = rescind_sim::demo_env(&sim.base_url());
        let var = |name: &str| env.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone());
        let registry = Registry::from_vars(&var).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let journal = dir.path().join("job.journal.jsonl");

        let report = super::cancel_orders(registry.clone(), &journal)
            .await
            .unwrap();
        assert!(report.all_done(), "{report:?}");
        let keys: Vec<&str> = report
            .rows
            .iter()
            .filter_map(|r| r.key.as_deref())
            .collect();
        assert_eq!(keys, ["order-1001", "order-1002", "order-1003"]);
        assert_eq!(report.rows[1].status, Some(CancelStatus::Cancelled));
        let changes = sim.sim().counters().snapshot().applied;

        let again = super::cancel_orders(registry, &journal).await.unwrap();
        assert!(
            again
                .rows
                .iter()
                .all(|r| r.outcome == Outcome::Done && r.earlier_run)
        );
        assert_eq!(again.already_done.map(|d| d.rows), Some(3));
        assert_eq!(
            sim.sim().counters().snapshot().applied,
            changes,
            "nothing sent again"
        );
    }
}
