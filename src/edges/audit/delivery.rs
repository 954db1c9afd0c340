//! Delivering the outbox: each recorded decision goes to the service until it is
//! acknowledged, oldest first, with a growing pause after failures, across restarts.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;

use super::recorder::Recorder;
use crate::api::{AuditHead, DecisionReceipt};
use crate::domain::clock::Clock;
use crate::edges::client::{ServiceClient, ServiceError};

/// Pauses after consecutive failures: 1 s, 2 s, 4 s ... up to a minute.
pub fn backoff(failures: u32) -> Duration {
    Duration::from_secs(1u64 << failures.min(6)).min(Duration::from_secs(60))
}

/// What delivery reports as it goes.
#[derive(Debug)]
pub enum DeliveryEvent {
    Delivered(DecisionReceipt),
    Failed {
        decision_id: String,
        error: ServiceError,
    },
    Waiting(usize),
}

/// Delivers until the outbox is empty, then waits for `wake`; runs until the task is dropped.
/// `client` is asked for the way to the service before each round (training swaps it for a
/// dead or slow one); `back_online` ends a pause after failures early.
pub async fn run(
    recorder: Arc<Mutex<Recorder>>,
    client: impl Fn() -> Arc<ServiceClient> + Send + 'static,
    clock: Arc<dyn Clock>,
    wake: Arc<Notify>,
    back_online: Arc<Notify>,
    report: impl Fn(DeliveryEvent) + Send + 'static,
) {
    let mut failures = 0u32;
    loop {
        let pending = {
            let r = recorder.lock().unwrap_or_else(|p| p.into_inner());
            r.outbox().pending().unwrap_or_default()
        };
        report(DeliveryEvent::Waiting(pending.len()));
        if pending.is_empty() {
            wake.notified().await;
            continue;
        }
        let mut failed = false;
        let client = client();
        for mut decision in pending {
            // The service witnesses the chain as it is now: a later head at each send.
            decision.audit_head = Some(head(&recorder));
            match client.decide(&decision).await {
                Ok(receipt) => {
                    let mut r = recorder.lock().unwrap_or_else(|p| p.into_inner());
                    if let Err(e) =
                        r.delivered(&receipt.decision_id, receipt.duplicate, clock.now())
                    {
                        tracing::error!(error = %e, "could not note a delivery; it will be sent again");
                    }
                    drop(r);
                    report(DeliveryEvent::Delivered(receipt));
                    failures = 0;
                }
                Err(ServiceError::Refused {
                    status,
                    code,
                    detail,
                }) if (400..500).contains(&status) && status != 408 && status != 429 => {
                    // Sending it again would be refused again, and hold up every decision after it.
                    tracing::error!(decision = %decision.decision_id, %code, %detail, "the service refused a decision; set aside");
                    let mut r = recorder.lock().unwrap_or_else(|p| p.into_inner());
                    if let Err(e) = r.rejected(&decision.decision_id, &code, clock.now()) {
                        tracing::error!(error = %e, "could not set a refused decision aside");
                    }
                    drop(r);
                    report(DeliveryEvent::Failed {
                        decision_id: decision.decision_id.clone(),
                        error: ServiceError::Refused {
                            status,
                            code,
                            detail,
                        },
                    });
                }
                Err(error) => {
                    tracing::warn!(decision = %decision.decision_id, error = %error, "decision not delivered yet");
                    report(DeliveryEvent::Failed {
                        decision_id: decision.decision_id.clone(),
                        error,
                    });
                    failed = true;
                    break;
                }
            }
        }
        if failed {
            let pause = backoff(failures);
            failures = failures.saturating_add(1);
            // A new decision does not cut the pause short: the service is struggling. The
            // service answering a health check again does.
            tokio::select! {
                () = tokio::time::sleep(pause) => {}
                () = back_online.notified() => {}
            }
        }
    }
}

/// The lane's audit chain head, as the service is shown it.
fn head(recorder: &Mutex<Recorder>) -> AuditHead {
    let (sequence, hash) = recorder.lock().unwrap_or_else(|p| p.into_inner()).head();
    AuditHead { sequence, hash }
}
