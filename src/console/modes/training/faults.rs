//! The trainer's fault switches: the lane's view of a world gone wrong. The service down is
//! the real client pointed at a port nothing listens on; a slow service is the real client
//! through a proxy on 127.0.0.1 that answers after a second and a half; a wrong lane clock
//! is the session's clock, skewed; a stale trust list is one aged by a day and more.
//!
//! The switchboard is the lane's `ServiceRoute`: the lane and its outbox both go through
//! it, so an outage drill holds decisions back as a real outage would.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::console::effect::Faults;
use crate::domain::clock::{Clock, SkewedClock, VirtualClock};
use crate::domain::trust::TrustList;
use crate::edges::client::{ClientConfig, ServiceClient, ServiceRoute};

use super::STALE_AGE_SECS;

/// How long the struggling service of a `service-slow` step takes to answer.
pub const SLOW_DELAY: Duration = Duration::from_millis(1500);
/// How long the lane waits on a service that is down before calling it offline.
const DOWN_TIMEOUT: Duration = Duration::from_millis(500);

pub struct Switchboard {
    normal: Arc<ServiceClient>,
    down_client: Arc<ServiceClient>,
    slow_client: Arc<ServiceClient>,
    down: AtomicBool,
    slow: AtomicBool,
    stale: AtomicBool,
    /// The session's clock: paused by the trainer.
    pub clock: Arc<VirtualClock>,
    /// The lane's clock: the session's, skewed in a clock drill.
    pub lane_clock: Arc<SkewedClock<VirtualClock>>,
}

impl Switchboard {
    /// Switches for a lane that reaches the service through `config`, on `clock`. Starts
    /// the slow proxy; must be called inside the tokio runtime.
    pub async fn start(
        config: &ClientConfig,
        clock: Arc<VirtualClock>,
    ) -> Result<Switchboard, String> {
        let client = |c: &ClientConfig| {
            ServiceClient::new(c)
                .map(Arc::new)
                .map_err(|e| e.to_string())
        };
        // Service down: the same client, pointed at a port nothing listens on.
        let closed = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("cannot find a closed port for the outage drill: {e}"))?;
        let mut down = config.clone();
        down.base_url = format!("http://{closed}");
        down.timeout = DOWN_TIMEOUT;
        let mut slow = config.clone();
        slow.base_url = spawn_slow_proxy(config.base_url.clone(), SLOW_DELAY).await?;
        Ok(Switchboard {
            normal: client(config)?,
            down_client: client(&down)?,
            slow_client: client(&slow)?,
            down: AtomicBool::new(false),
            slow: AtomicBool::new(false),
            stale: AtomicBool::new(false),
            lane_clock: Arc::new(SkewedClock::new(clock.clone())),
            clock,
        })
    }

    pub fn set(&self, faults: Faults) {
        self.down.store(faults.down, Ordering::SeqCst);
        self.slow.store(faults.slow, Ordering::SeqCst);
        self.stale.store(faults.stale, Ordering::SeqCst);
        self.lane_clock.set_skew(faults.skew);
    }

    /// A trust list as the lane receives it: in a stale-trust-list drill, a day and more old.
    pub fn age_trust_list(&self, trust: &mut TrustList) {
        if self.stale.load(Ordering::SeqCst) {
            trust.issued_at = self.lane_clock.unix() - STALE_AGE_SECS;
        }
    }
}

impl ServiceRoute for Switchboard {
    fn client(&self) -> Arc<ServiceClient> {
        if self.down.load(Ordering::SeqCst) {
            self.down_client.clone()
        } else if self.slow.load(Ordering::SeqCst) {
            self.slow_client.clone()
        } else {
            self.normal.clone()
        }
    }
}

/// A struggling service for `service-slow`: every request is passed on to `target` after
/// `delay`, on a port of its own on 127.0.0.1. Returns its base URL.
pub async fn spawn_slow_proxy(target: String, delay: Duration) -> Result<String, String> {
    use axum::http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE};
    use axum::response::IntoResponse;
    let client = reqwest::Client::builder()
        .build()
        .map_err(|e| e.to_string())?;
    let app = axum::Router::new().fallback(move |req: axum::extract::Request| {
        let (client, target) = (client.clone(), target.clone());
        async move {
            tokio::time::sleep(delay).await;
            let (parts, body) = req.into_parts();
            let bytes = axum::body::to_bytes(body, 1 << 20)
                .await
                .unwrap_or_default();
            let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
            let mut forward = client
                .request(parts.method, format!("{target}{path}"))
                .body(bytes);
            for name in [AUTHORIZATION, CONTENT_TYPE, ACCEPT] {
                if let Some(v) = parts.headers.get(&name) {
                    forward = forward.header(name, v);
                }
            }
            match forward.send().await {
                Ok(resp) => {
                    let status = resp.status();
                    let kind = resp.headers().get(CONTENT_TYPE).cloned();
                    let body = resp.bytes().await.unwrap_or_default();
                    let mut out = (status, body).into_response();
                    if let Some(k) = kind {
                        out.headers_mut().insert(CONTENT_TYPE, k);
                    }
                    out
                }
                Err(_) => axum::http::StatusCode::BAD_GATEWAY.into_response(),
            }
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(format!("http://{addr}"))
}
