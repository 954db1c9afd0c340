//! The effect runner: performs each effect on a tokio task and answers with a message. The
//! lane's own I/O is here (service, audit log, outbox); the demo's and training's effects
//! are handed to their world (`modes::world`).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::Notify;
use tokio::sync::mpsc::UnboundedSender;

use crate::domain::clock::Clock;
use crate::domain::lane_time::Learned;
use crate::domain::trust::TrustAnchor;
use crate::edges::audit::RecordedDecision;
use crate::edges::audit::delivery::{self, DeliveryEvent};
use crate::edges::audit::recorder::{Event, Origin, Recorder};
use crate::edges::client::{ServiceClient, ServiceError, ServiceRoute};
use crate::edges::trust_cache::{self, KeepError};

use super::effect::Effect;
use super::modes::world::World;
use super::msg::{Failure, Msg, Portrait};

/// Portraits are kept at most this wide (and twice as tall): enough for a terminal that
/// draws pictures, and what the fixtures' passport photos are.
const PORTRAIT_MAX: u32 = 480;

/// How long to wait for decisions still being written when the console quits.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(2);

impl Failure {
    pub fn from_service(error: &ServiceError) -> Failure {
        Failure {
            code: error.refusal_code().map(str::to_owned),
            message: error.to_string(),
            offline: error.offline(),
            token_refused: error.token_refused(),
        }
    }
}

#[derive(Clone)]
pub struct EffectRunner {
    /// The lane's way to the service (in training, through the trainer's fault switches).
    route: Arc<dyn ServiceRoute>,
    tx: UnboundedSender<Msg>,
    /// The demo's or training's world: the simulated phone and what it needs.
    world: Option<Arc<World>>,
    clock: Arc<dyn Clock>,
    recorder: Arc<Mutex<Recorder>>,
    wake: Arc<Notify>,
    /// Cuts delivery's pause after failures short when the service answers again.
    back_online: Arc<Notify>,
    trust_cache: PathBuf,
    /// The last offset measured against the service's clock, with the lane's wall and
    /// monotonic clocks then: what bounds the offset while the service cannot be asked.
    learned: Arc<Mutex<Option<Learned>>>,
    /// The pinned trust anchor every trust list must be signed by.
    anchor: TrustAnchor,
    /// This lane, as its token must belong to (asked at every health check).
    lane: Origin,
}

impl EffectRunner {
    /// Opens the audit log and outbox in `state_dir` and starts delivering the outbox (what
    /// a previous run left in it first). The outbox goes the same route as the lane, so an
    /// outage drill holds decisions back as a real outage would. Must be called inside the
    /// tokio runtime.
    pub fn start(
        route: Arc<dyn ServiceRoute>,
        tx: UnboundedSender<Msg>,
        world: Option<Arc<World>>,
        clock: Arc<dyn Clock>,
        state_dir: &Path,
        origin: &Origin,
        anchor: TrustAnchor,
    ) -> Result<Self, String> {
        let recorder = Recorder::open(state_dir, clock.now(), origin).map_err(|e| e.to_string())?;
        let recorder = Arc::new(Mutex::new(recorder));
        let wake = Arc::new(Notify::new());
        let back_online = Arc::new(Notify::new());
        let report_tx = tx.clone();
        let delivery_route = route.clone();
        tokio::spawn(delivery::run(
            recorder.clone(),
            move || delivery_route.client(),
            clock.clone(),
            wake.clone(),
            back_online.clone(),
            move |event| {
                let _ = report_tx.send(delivery_msg(event));
            },
        ));
        Ok(Self {
            route,
            tx,
            world,
            clock,
            recorder,
            wake,
            back_online,
            trust_cache: trust_cache::path_in(state_dir),
            learned: Arc::new(Mutex::new(None)),
            anchor,
            lane: origin.clone(),
        })
    }

    /// Starts the effect on the current tokio runtime; the answer comes back as a message.
    pub fn run(&self, effect: Effect) {
        // Putting the phone away is instant, and must happen before anything shown after it.
        if effect == Effect::HidePhone {
            if let Some(world) = &self.world {
                world.hide();
            }
            return;
        }
        let this = self.clone();
        tokio::spawn(async move {
            if let Some(msg) = this.perform(effect).await {
                let _ = this.tx.send(msg);
            }
        });
    }

    /// Performs one effect and returns the message it answers with.
    pub async fn perform(&self, effect: Effect) -> Option<Msg> {
        let client = self.route.client();
        match effect {
            Effect::CheckHealth => Some(self.health(&client).await),
            Effect::FetchTrustList => Some(self.trust_list(&client).await),
            Effect::Verify { request, body } => {
                let started = Instant::now();
                let result = client.verify(&body).await;
                Some(Msg::ServiceReplied {
                    request,
                    latency: started.elapsed(),
                    result: result.map(Box::new).map_err(|e| Failure::from_service(&e)),
                })
            }
            Effect::FetchPortrait { request, holder } => {
                let result = match client.photo(&holder).await {
                    Ok(bytes) => decode_portrait(&bytes),
                    Err(e) => Err(e.to_string()),
                };
                Some(Msg::PortraitLoaded { request, result })
            }
            Effect::Record(decision) => Some(self.record(*decision).await),
            Effect::LogReveal {
                officer,
                lane,
                holder,
                document,
            } => {
                let event = Event::Reveal {
                    officer,
                    lane,
                    holder,
                    document: document.slug().to_owned(),
                };
                let at = self.clock.now();
                let result = self
                    .with_recorder(move |r| r.reveal(&event, at).map_err(|e| e.to_string()))
                    .await;
                if let Err(e) = result {
                    tracing::error!(error = %e, "a reveal could not be audited");
                }
                None
            }
            Effect::WriteFile { path, contents } => match std::fs::write(&path, contents) {
                Ok(()) => None,
                Err(e) => Some(Msg::WriteFailed {
                    message: format!("cannot write {}: {e}", path.display()),
                }),
            },
            Effect::HidePhone => {
                if let Some(world) = &self.world {
                    world.hide();
                }
                None
            }
            Effect::Demo(effect) => {
                let world = self.world.as_ref()?;
                super::modes::demo::perform(world, effect, self.clock.unix()).await
            }
            Effect::Training(effect) => {
                let world = self.world.as_ref()?;
                super::modes::training::present::perform(world, effect, &self.tx, self.clock.unix())
                    .await
            }
        }
    }

    async fn health(&self, client: &ServiceClient) -> Msg {
        let started = Instant::now();
        let (sent_wall, sent_mono) = (self.clock.now(), self.clock.monotonic());
        let answer = client.health().await;
        let received_mono = self.clock.monotonic();
        let result = answer
            .as_ref()
            .map(|_| started.elapsed())
            .map_err(Failure::from_service);
        if result.is_ok() {
            // Decisions held back by an outage go now, not after the backoff.
            self.back_online.notify_waiters();
        }
        let offset = {
            let mut learned = self.learned.lock().unwrap_or_else(|p| p.into_inner());
            match &answer {
                Ok(health) => {
                    let l =
                        Learned::from_round_trip(sent_wall, sent_mono, received_mono, health.time);
                    *learned = Some(l);
                    Some(l.offset)
                }
                // Offline: the last offset learned, unless the clock went back since.
                Err(_) => learned.map(|l| l.since(self.clock.now(), self.clock.monotonic())),
            }
        };
        if let Some(offset) = offset {
            // Sent before the health answer, so the lane knows its clock when it hears it.
            let _ = self.tx.send(Msg::ClockChecked { offset });
        }
        let result = match result {
            Ok(latency) => self.lane_token(client).await.map(|()| latency),
            Err(f) => Err(f),
        };
        Msg::HealthChecked { result }
    }

    /// Whether the service takes this lane's token, asked after each good health answer:
    /// a refused token is said at once, not at the first traveller. Any other failure of
    /// this call (a service without it, a moment's outage) leaves the health answer as it was.
    async fn lane_token(&self, client: &ServiceClient) -> Result<(), Failure> {
        match client
            .lane_identity(&self.lane.checkpoint, &self.lane.lane)
            .await
        {
            Err(e) if e.token_refused() => Err(Failure::from_service(&e)),
            Err(e) => {
                tracing::debug!(error = %e, "the lane token could not be checked");
                Ok(())
            }
            Ok(_) => Ok(()),
        }
    }

    /// Fetches the list, verified against the pinned anchor, and keeps it on disk. A list
    /// below the newest this lane has held is a rollback: refused, and nothing is kept.
    async fn trust_list(&self, client: &ServiceClient) -> Msg {
        let fetched = client.trust_list(&self.anchor, self.clock.unix()).await;
        let result = match fetched {
            Err(e) => Err(Failure::from_service(&e)),
            Ok((mut trust, signed)) => {
                let path = self.trust_cache.clone();
                let kept = {
                    let trust = trust.clone();
                    tokio::task::spawn_blocking(move || trust_cache::save(&path, &signed, &trust))
                        .await
                        .unwrap_or_else(|e| Err(KeepError::Failed(e.to_string())))
                };
                match kept {
                    Err(KeepError::Refused(e)) => Err(Failure {
                        code: None,
                        message: e.to_string(),
                        offline: false,
                        token_refused: false,
                    }),
                    other => {
                        if let Err(e) = other {
                            tracing::warn!(error = %e, "could not keep the trust list; offline checks will use the previous copy");
                        }
                        if let Some(world) = &self.world {
                            world.age_trust_list(&mut trust);
                        }
                        Ok(trust)
                    }
                }
            }
        };
        Msg::TrustListFetched { result }
    }

    async fn record(&self, decision: RecordedDecision) -> Msg {
        let decision_id = decision.request.decision_id.clone();
        let at = self.clock.now();
        let result = self
            .with_recorder(move |r| r.record(&decision, at).map_err(|e| e.to_string()))
            .await;
        if result.is_ok() {
            self.wake.notify_one();
        }
        Msg::Recorded {
            decision_id,
            result,
        }
    }

    /// Runs `work` on the recorder off the async threads (it fsyncs).
    async fn with_recorder<T, F>(&self, work: F) -> Result<T, String>
    where
        T: Send + 'static,
        F: FnOnce(&mut Recorder) -> Result<T, String> + Send + 'static,
    {
        let recorder = self.recorder.clone();
        tokio::task::spawn_blocking(move || {
            let mut r = recorder.lock().unwrap_or_else(|p| p.into_inner());
            work(&mut r)
        })
        .await
        .unwrap_or_else(|e| Err(format!("recording stopped unexpectedly ({e})")))
    }
}

fn delivery_msg(event: DeliveryEvent) -> Msg {
    match event {
        DeliveryEvent::Waiting(n) => Msg::OutboxWaiting(n),
        DeliveryEvent::Delivered(receipt) => Msg::DecisionSent {
            decision_id: receipt.decision_id.clone(),
            result: Ok(receipt),
        },
        DeliveryEvent::Failed { decision_id, error } => Msg::DecisionSent {
            decision_id,
            result: Err(Failure::from_service(&error)),
        },
    }
}

/// Decodes the service's portrait (PNG or JPEG) into small RGB for the screen.
pub fn decode_portrait(bytes: &[u8]) -> Result<Portrait, String> {
    let image = crate::edges::contain::contained(|| image::load_from_memory(bytes))
        .map_err(|_| "the portrait could not be decoded".to_owned())?
        .map_err(|e| format!("the portrait is not a readable image ({e})"))?;
    let image = if image.width() > PORTRAIT_MAX || image.height() > PORTRAIT_MAX * 2 {
        image.resize(
            PORTRAIT_MAX,
            PORTRAIT_MAX * 2,
            image::imageops::FilterType::Triangle,
        )
    } else {
        image
    };
    let rgb = image.to_rgb8();
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    Ok(Portrait {
        id: NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        width: rgb.width(),
        height: rgb.height(),
        rgb: Arc::from(rgb.into_raw()),
    })
}
