//! Auth under load: 1,000 concurrent cancels across the three providers (Arta with a key; Di
//! with two accounts and Skip Pay with one, all with short-lived tokens), while the
//! simulator's clock jumps past the tokens' lifetime twice mid-run. Asserted: one login per
//! expiry per account (the first, then one after each jump), no request lost (every cancel
//! succeeds and every target is cancelled exactly once), no deadlock (the whole run is bounded
//! by a timeout).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use jiff::SignedDuration;
use rescind_core::retry::RetryPolicy;
use rescind_core::{CancelRequest, CancelStatus, Canceller, TransportConfig};
use rescind_sim::di::{DiOrder, DiUser};
use rescind_sim::{Clock, Simulator, World};

const ARTA: usize = 300;
const DI_PER_ACCOUNT: usize = 200;
const SKIPPAY: usize = 300;
const TOTAL: usize = ARTA + 2 * DI_PER_ACCOUNT + SKIPPAY;
/// The tokens' lifetime in the simulator, in seconds; each jump of the clock is longer.
const LIFETIME: u64 = 120;

fn arta_id(i: usize) -> u64 {
    10_000 + i as u64
}
fn di_id(account: usize, i: usize) -> String {
    format!("7072476{account}{i:010}")
}
fn skippay_id(i: usize) -> String {
    format!("load{i:06}")
}

fn world() -> World {
    let mut world = World::demo();
    let session = world
        .arta
        .hosted_sessions
        .iter()
        .find(|s| s.id == 42)
        .unwrap()
        .clone();
    for i in 0..ARTA {
        let mut s = session.clone();
        s.id = arta_id(i);
        world.arta.hosted_sessions.push(s);
    }
    world.di.token_lifetime_seconds = LIFETIME;
    world
        .di
        .users
        .push(DiUser::new("wsload1", "load-password-1", &[7001]));
    world
        .di
        .users
        .push(DiUser::new("wsload2", "load-password-2", &[7002]));
    for account in 0..2 {
        for i in 0..DI_PER_ACCOUNT {
            world.di.orders.push(
                DiOrder::new(di_id(account, i), 7001 + account as i64)
                    .with_desired_delivery_date(jiff::civil::date(2099, 1, 1)),
            );
        }
    }
    world.skippay.token_lifetime_seconds = LIFETIME;
    let app = world.skippay.application("11200a0ee1").unwrap().clone();
    for i in 0..SKIPPAY {
        let mut a = app.clone();
        a.id = skippay_id(i);
        world.skippay.applications.push(a);
    }
    world
}

fn config() -> TransportConfig {
    TransportConfig::default()
        .with_retry(
            RetryPolicy::default().with_backoff(Duration::from_millis(1), Duration::from_millis(5)),
        )
        .with_attempt_timeout(Duration::from_secs(20))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_cancels_with_tokens_expiring_mid_run() {
    let running = Simulator::new()
        .seed(world())
        .clock(Clock::fixed("2026-11-24T12:00:00Z".parse().unwrap()))
        .start()
        .await
        .unwrap();
    let base = running.base_url();
    let arta: Arc<dyn Canceller> = Arc::new(
        rescind_arta::Client::builder()
            .api_key(rescind_sim::arta::DEMO_API_KEY)
            .base_url(&base)
            .config(config())
            .build()
            .unwrap(),
    );
    let di_client = |user: &str, password: &str| {
        rescind_di::Client::builder()
            .base_url(&base)
            .credentials(rescind_di::Credentials::new(user, password))
            .minutes_valid(60)
            .config(config())
            .build()
            .unwrap()
    };
    let di = [
        Arc::new(di_client("wsload1", "load-password-1")),
        Arc::new(di_client("wsload2", "load-password-2")),
    ];
    let skippay = Arc::new(
        rescind_skippay::Client::builder()
            .base_url(&base)
            .credentials(rescind_skippay::Credentials::new(
                "eShop",
                "eShopSecretPassword",
            ))
            .configure(|_| config())
            .build()
            .unwrap(),
    );

    // (client, target, phase): a call of phase k starts once the clock has jumped k times, so
    // every account has calls before, across and after each jump.
    let mut jobs: Vec<(Arc<dyn Canceller>, String, u32)> = Vec::with_capacity(TOTAL);
    let phase = |i: usize| (i % 3) as u32;
    for i in 0..ARTA.max(DI_PER_ACCOUNT).max(SKIPPAY) {
        if i < ARTA {
            jobs.push((arta.clone(), arta_id(i).to_string(), phase(i)));
        }
        for (account, client) in di.iter().enumerate() {
            if i < DI_PER_ACCOUNT {
                jobs.push((
                    client.clone() as Arc<dyn Canceller>,
                    di_id(account, i),
                    phase(i),
                ));
            }
        }
        if i < SKIPPAY {
            jobs.push((
                skippay.clone() as Arc<dyn Canceller>,
                skippay_id(i),
                phase(i),
            ));
        }
    }
    assert_eq!(jobs.len(), TOTAL);

    let done = Arc::new(AtomicUsize::new(0));
    let (jumped, _) = tokio::sync::watch::channel(0u32);
    let sim = running.sim().clone();
    let run = async {
        let mut set = tokio::task::JoinSet::new();
        for (client, target, phase) in jobs {
            let done = done.clone();
            let mut gate = jumped.subscribe();
            set.spawn(async move {
                gate.wait_for(|jumps| *jumps >= phase).await.unwrap();
                let outcome = client.cancel(CancelRequest::whole(target.clone())).await;
                done.fetch_add(1, Ordering::SeqCst);
                (target, outcome)
            });
        }
        // The clock jumps past the tokens' lifetime when half of the first phase is done and
        // when half of the second is, while the rest of that phase is in flight.
        let mut jumps = 0;
        let mut results = Vec::with_capacity(TOTAL);
        while let Some(joined) = set.join_next().await {
            results.push(joined.unwrap());
            let finished = done.load(Ordering::SeqCst);
            if (jumps == 0 && finished >= TOTAL / 6) || (jumps == 1 && finished >= TOTAL / 2) {
                sim.clock()
                    .advance(SignedDuration::from_secs(LIFETIME as i64 + 1));
                jumps += 1;
                jumped.send_replace(jumps);
            }
        }
        (results, jumps)
    };
    let (results, jumps) = tokio::time::timeout(Duration::from_secs(120), run)
        .await
        .expect("no deadlock: 1,000 cancels finish within 2 minutes");
    assert_eq!(jumps, 2);

    // No request lost: every cancel succeeded and every target is cancelled exactly once.
    assert_eq!(results.len(), TOTAL);
    let failed: Vec<_> = results
        .iter()
        .filter(|(_, r)| !matches!(r, Ok(o) if o.status == CancelStatus::Cancelled))
        .map(|(t, r)| format!("{t}: {r:?}"))
        .collect();
    assert!(
        failed.is_empty(),
        "{} failed: {:?}",
        failed.len(),
        &failed[..failed.len().min(5)]
    );
    let counters = sim.counters().snapshot();
    for i in 0..ARTA {
        let key = format!("arta:hosted_session:{}:cancel", arta_id(i));
        assert_eq!(counters.applied.get(&key), Some(&1), "{key}");
    }
    for account in 0..2 {
        for i in 0..DI_PER_ACCOUNT {
            let key = format!("di:order:{}:cancel", di_id(account, i));
            assert_eq!(counters.applied.get(&key), Some(&1), "{key}");
        }
    }
    for i in 0..SKIPPAY {
        let key = format!("skippay:order:{}:cancel", skippay_id(i));
        assert_eq!(counters.applied.get(&key), Some(&1), "{key}");
    }

    // One login per expiry per account: the first login and one after each jump.
    for client in &di {
        assert_eq!(client.token_cache().login_count(), 3);
    }
    assert_eq!(
        counters.hits.get("POST /ws/json/auth/v-3/login/60"),
        Some(&6)
    );
    assert_eq!(skippay.token_cache().login_count(), 3);
    assert_eq!(
        counters.hits.get("POST /authentication/v1/partner"),
        Some(&3)
    );
    running.shutdown().await;
}

/// `n` concurrent whole cancels of `targets` through `client`, in order.
async fn cancel_all(
    client: Arc<dyn Canceller>,
    targets: Vec<String>,
) -> Vec<Result<rescind_core::CancelOutcome, rescind_core::Error>> {
    let tasks: Vec<_> = targets
        .into_iter()
        .map(|t| {
            let c = client.clone();
            tokio::spawn(async move { c.cancel(CancelRequest::whole(t)).await })
        })
        .collect();
    let mut out = Vec::with_capacity(tasks.len());
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

/// A wrong password at Di and at Skip Pay: N concurrent cancels make one login at the
/// simulator, every caller gets the refusal, nothing is cancelled; later cancels get the
/// remembered refusal without a login.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_costs_one_login_for_every_concurrent_cancel() {
    const N: usize = 50;
    let running = Simulator::new()
        .seed(world())
        .clock(Clock::fixed("2026-11-24T12:00:00Z".parse().unwrap()))
        .start()
        .await
        .unwrap();
    let base = running.base_url();
    let di: Arc<dyn Canceller> = Arc::new(
        rescind_di::Client::builder()
            .base_url(&base)
            .credentials(rescind_di::Credentials::new("wsload1", "not-the-password"))
            .minutes_valid(60)
            .config(config())
            .build()
            .unwrap(),
    );
    let skippay: Arc<dyn Canceller> = Arc::new(
        rescind_skippay::Client::builder()
            .base_url(&base)
            .credentials(rescind_skippay::Credentials::new(
                "eShop",
                "not-the-password",
            ))
            .configure(|_| config())
            .build()
            .unwrap(),
    );
    let sim = running.sim().clone();
    for (client, targets, login_route) in [
        (
            di,
            (0..N).map(|i| di_id(0, i)).collect::<Vec<_>>(),
            "POST /ws/json/auth/v-3/login/60",
        ),
        (
            skippay,
            (0..N).map(skippay_id).collect(),
            "POST /authentication/v1/partner",
        ),
    ] {
        for _round in 0..2 {
            for r in cancel_all(client.clone(), targets.clone()).await {
                let err = r.unwrap_err();
                assert_eq!(err.kind(), rescind_core::ErrorKind::Unauthorized, "{err}");
                assert_eq!(err.operation(), Some("login"), "{err}");
                assert!(!err.to_string().contains("not-the-password"), "{err}");
            }
        }
        assert_eq!(sim.counters().hit_count(login_route), 1, "{login_route}");
    }
    let counters = sim.counters().snapshot();
    assert!(counters.applied.is_empty(), "{:?}", counters.applied);
    running.shutdown().await;
}

/// A Di client limited to one call in flight logs in and cancels (before, its first call held
/// the only place and its login waited for it forever).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_di_client_limited_to_one_call_logs_in_and_cancels() {
    const N: usize = 10;
    let running = Simulator::new()
        .seed(world())
        .clock(Clock::fixed("2026-11-24T12:00:00Z".parse().unwrap()))
        .start()
        .await
        .unwrap();
    let base = running.base_url();
    let di: Arc<dyn Canceller> = Arc::new(
        rescind_di::Client::builder()
            .base_url(&base)
            .credentials(rescind_di::Credentials::new("wsload1", "load-password-1"))
            .minutes_valid(60)
            .config(config().with_max_concurrency(1))
            .build()
            .unwrap(),
    );
    let targets: Vec<String> = (0..N).map(|i| di_id(0, i)).collect();
    let results = tokio::time::timeout(Duration::from_secs(120), cancel_all(di, targets.clone()))
        .await
        .expect("a limit of 1 does not deadlock the login");
    for r in results {
        assert_eq!(r.unwrap().status, CancelStatus::Cancelled);
    }
    let sim = running.sim();
    assert_eq!(
        sim.counters().hit_count("POST /ws/json/auth/v-3/login/60"),
        1
    );
    for t in &targets {
        assert_eq!(
            sim.counters()
                .applied_count(&format!("di:order:{t}:cancel")),
            1
        );
    }
    running.shutdown().await;
}
