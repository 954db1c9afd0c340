//! Verifications per second of the reference service with 1, 8 and 64 concurrent lanes.
//!
//! cargo bench --bench service
//!
//! The service runs as its own process (`lanedesk issuer serve`, the binary this package
//! builds) on 127.0.0.1 with a fresh SQLite file; this process plays the lanes, each with its
//! own HTTP connection, sending fresh codes minted beforehand. Both share the machine's cores,
//! so the figures are a floor for a service on a machine of its own.
//! LANEDESK_BENCH_REQUESTS sets the verifications per run (default 4000);
//! LANEDESK_BENCH_DB=postgres://... runs the service on PostgreSQL instead (an empty
//! database: `createdb`).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use lanedesk::api::VerificationRequest;
use lanedesk::domain::checkpoint::Direction;
use lanedesk::edges::client::{ClientConfig, ServiceClient};

const TOKEN: &str = "bench-lane-token";

#[allow(dead_code)]
#[path = "../tests/common/served.rs"]
mod served;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

async fn run(url: &str, lanes: usize, requests: usize) -> (f64, Duration, Duration) {
    let minting = ServiceClient::new(&ClientConfig::new(url)).unwrap();
    let cards = minting.cards().await.unwrap();
    let mut tokens = Vec::with_capacity(requests);
    for i in 0..requests {
        tokens.push(minting.mint(cards[i % cards.len()].card).await.unwrap().qr);
    }
    let tokens = Arc::new(tokens);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for lane in 0..lanes {
        let (tokens, next, url) = (tokens.clone(), next.clone(), url.to_owned());
        tasks.push(tokio::spawn(async move {
            let client = ServiceClient::new(&ClientConfig::new(&url).lane_token(TOKEN)).unwrap();
            let mut latencies = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(token) = tokens.get(i) else { break };
                let request = VerificationRequest {
                    token: token.clone(),
                    checkpoint: "lo-wu".into(),
                    lane: format!("{lane}"),
                    direction: Direction::Entry,
                    officer: "bench".into(),
                };
                let t = Instant::now();
                client
                    .verify(&request)
                    .await
                    .expect("verification succeeds");
                latencies.push(t.elapsed());
            }
            latencies
        }));
    }
    let mut latencies = Vec::with_capacity(requests);
    for task in tasks {
        latencies.extend(task.await.unwrap());
    }
    let elapsed = started.elapsed();
    latencies.sort();
    (
        requests as f64 / elapsed.as_secs_f64(),
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
    )
}

fn main() {
    // `cargo test` runs benches once with --bench absent; keep that quick.
    let requests: usize = std::env::var("LANEDESK_BENCH_REQUESTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if std::env::args().any(|a| a == "--bench") {
            4000
        } else {
            200
        });
    let db = std::env::var("LANEDESK_BENCH_DB").ok();
    let service = served::serve_on(env!("CARGO_BIN_EXE_lanedesk"), TOKEN, db.as_deref(), &[]);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    println!(
        "reference service on {}, {requests} verifications per run, loopback, lanes each on their own connection",
        if db.is_some() { "PostgreSQL" } else { "SQLite" }
    );
    println!(
        "{:>6} {:>14} {:>10} {:>10}",
        "lanes", "verif./s", "p50 ms", "p99 ms"
    );
    for lanes in [1, 8, 64] {
        let (rate, p50, p99) = rt.block_on(run(&service.url, lanes, requests));
        println!(
            "{lanes:>6} {rate:>14.0} {:>10.2} {:>10.2}",
            p50.as_secs_f64() * 1000.0,
            p99.as_secs_f64() * 1000.0
        );
    }
}
