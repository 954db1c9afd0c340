//! Effects: the I/O `update` asks for. The runner performs each on a tokio task and answers
//! with a message, so the screen never waits on the network.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use tokio::sync::Notify;
use tokio::sync::mpsc::UnboundedSender;

use crate::domain::checks::kind_slug;
use crate::domain::credential::{self, CardRef, Claims};
use crate::domain::documents::DocumentKind;
use crate::edges::api::VerificationRequest;
use crate::edges::audit::RecordedDecision;
use crate::edges::audit::delivery::{self, DeliveryEvent};
use crate::edges::audit::recorder::{Event, Recorder};
use crate::edges::camera::synthetic::Phone;
use crate::edges::client::{ServiceClient, ServiceError};
use crate::edges::trust_cache;

use super::msg::{Failure, Msg, Portrait};

/// How long the demo's phone is away before a code is shown again.
pub const REPLAY_GAP: Duration = Duration::from_millis(1500);

/// Portraits are shown a few dozen cells wide: anything larger is scaled down first.
const PORTRAIT_MAX: u32 = 96;

#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    CheckHealth,
    FetchTrustList,
    Verify {
        request: u64,
        body: VerificationRequest,
    },
    FetchPortrait {
        request: u64,
        holder: String,
    },
    /// Write the decision to the audit log and the outbox; the outbox delivers it.
    Record(Box<RecordedDecision>),
    /// A masked number was shown in full: who asked, for which document. Audited.
    LogReveal {
        officer: String,
        lane: String,
        holder: String,
        document: DocumentKind,
    },
    Demo(DemoEffect),
    /// Training: the faults in force (the service unreachable, the lane's clock off).
    TrainFaults {
        down: bool,
        slow: bool,
        skew: i64,
    },
    /// Training: put a step's code on the phone.
    TrainPresent {
        step: usize,
        present: crate::edges::sessions::Present,
        last_code: Option<String>,
    },
    /// Training: stop or restart the session's clock.
    TrainClock {
        paused: bool,
    },
    /// Training: the report, written where `--report` said.
    WriteReport {
        path: PathBuf,
        json: String,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum DemoEffect {
    FetchCards,
    /// Ask the service for a fresh code for this card, as the phone app would, and show it.
    Present {
        card: CardRef,
        label: String,
    },
    /// Show a code for this card signed by a key the issuer never had.
    PresentForged {
        card: CardRef,
        label: String,
    },
    /// Show this exact code again.
    Show {
        code: String,
        label: String,
    },
    HidePhone,
}

impl Failure {
    pub fn from_service(error: &ServiceError) -> Failure {
        let offline = matches!(
            error,
            ServiceError::Unreachable { .. } | ServiceError::TimedOut { .. }
        );
        Failure {
            code: error.problem_code().map(str::to_owned),
            message: error.to_string(),
            offline,
        }
    }
}

/// The demo's simulated phone and the key material a forger would not have.
#[derive(Clone)]
pub struct DemoWorld {
    pub phone: Phone,
    pub issuer_id: String,
    pub active_kid: credential::Kid,
}

/// Training's levers on the world: a service that can be made unreachable, and the
/// session's clock (paused by the trainer, skewed for the lane).
#[derive(Clone)]
pub struct TrainingLink {
    pub down: Arc<std::sync::atomic::AtomicBool>,
    pub down_client: Arc<ServiceClient>,
    pub slow: Arc<std::sync::atomic::AtomicBool>,
    pub slow_client: Arc<ServiceClient>,
    pub clock: Arc<crate::domain::clock::VirtualClock>,
    pub lane_clock: Arc<crate::domain::clock::SkewedClock<crate::domain::clock::VirtualClock>>,
}

/// Which client reaches the service now: the lane's own, or in training the one the
/// trainer's faults put in its place (a closed port, a slow proxy). The lane and its outbox
/// share one route, so an outage drill holds decisions back as a real outage would.
#[derive(Clone)]
struct Route {
    normal: Arc<ServiceClient>,
    training: Arc<OnceLock<TrainingLink>>,
}

impl Route {
    fn current(&self) -> Arc<ServiceClient> {
        use std::sync::atomic::Ordering::SeqCst;
        match self.training.get() {
            Some(t) if t.down.load(SeqCst) => t.down_client.clone(),
            Some(t) if t.slow.load(SeqCst) => t.slow_client.clone(),
            _ => self.normal.clone(),
        }
    }
}

#[derive(Clone)]
pub struct EffectRunner {
    route: Route,
    tx: UnboundedSender<Msg>,
    demo: Option<DemoWorld>,
    clock: Arc<dyn crate::domain::clock::Clock>,
    recorder: Arc<Mutex<Recorder>>,
    wake: Arc<Notify>,
    /// Cuts delivery's pause after failures short when the service answers again.
    back_online: Arc<Notify>,
    /// Training: the service's cards, asked for once, to find each step's traveller.
    cards: Arc<tokio::sync::OnceCell<Vec<crate::edges::api::CardSummary>>>,
    trust_cache: PathBuf,
}

/// The cached trust list's place in a state folder.
pub fn trust_cache_path(state_dir: &Path) -> PathBuf {
    state_dir.join("trust-list.json")
}

impl EffectRunner {
    /// Opens the audit log and outbox in `state_dir` and starts delivering the outbox (what
    /// a previous run left in it first). Must be called inside the tokio runtime.
    pub fn start(
        client: Arc<ServiceClient>,
        tx: UnboundedSender<Msg>,
        demo: Option<DemoWorld>,
        clock: Arc<dyn crate::domain::clock::Clock>,
        state_dir: &Path,
    ) -> Result<Self, String> {
        let recorder = Recorder::open(state_dir, clock.now()).map_err(|e| e.to_string())?;
        let recorder = Arc::new(Mutex::new(recorder));
        let wake = Arc::new(Notify::new());
        let back_online = Arc::new(Notify::new());
        let route = Route {
            normal: client.clone(),
            training: Arc::new(OnceLock::new()),
        };
        let report_tx = tx.clone();
        let delivery_route = route.clone();
        tokio::spawn(delivery::run(
            recorder.clone(),
            move || delivery_route.current(),
            clock.clone(),
            wake.clone(),
            back_online.clone(),
            move |event| {
                let msg = match event {
                    DeliveryEvent::Waiting(n) => Msg::OutboxWaiting(n),
                    DeliveryEvent::Delivered(receipt) => Msg::DecisionSent {
                        decision_id: receipt.decision_id.clone(),
                        result: Ok(receipt),
                    },
                    DeliveryEvent::Failed { decision_id, error } => Msg::DecisionSent {
                        decision_id,
                        result: Err(Failure::from_service(&error)),
                    },
                };
                let _ = report_tx.send(msg);
            },
        ));
        Ok(Self {
            route,
            tx,
            demo,
            clock,
            recorder,
            wake,
            back_online,
            cards: Arc::new(tokio::sync::OnceCell::new()),
            trust_cache: trust_cache_path(state_dir),
        })
    }

    /// Puts the trainer's fault switches in the route of this runner and every clone of it,
    /// its outbox delivery included. Set once: a runner trains one session.
    pub fn with_training(self, link: TrainingLink) -> Self {
        if self.route.training.set(link).is_err() {
            tracing::warn!("a training link was already set; the first one stays");
        }
        self
    }

    fn training(&self) -> Option<&TrainingLink> {
        self.route.training.get()
    }

    /// The phone app's way to the service: never behind the trainer's faults.
    fn phone_app(&self) -> &ServiceClient {
        &self.route.normal
    }

    /// The client for the service as the lane can reach it now.
    fn service(&self) -> Arc<ServiceClient> {
        self.route.current()
    }

    /// Starts the effect on the current tokio runtime; the answer comes back as a message.
    pub fn run(&self, effect: Effect) {
        // Putting the phone away is instant, and must happen before anything shown after it.
        if let (Effect::Demo(DemoEffect::HidePhone), Some(world)) = (&effect, &self.demo) {
            world.phone.hide();
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
        let client = self.service();
        match effect {
            Effect::CheckHealth => {
                let started = Instant::now();
                let result = client
                    .health()
                    .await
                    .map(|_| started.elapsed())
                    .map_err(|e| Failure::from_service(&e));
                if result.is_ok() {
                    // Decisions held back by an outage go now, not after the backoff.
                    self.back_online.notify_waiters();
                }
                Some(Msg::HealthChecked { result })
            }
            Effect::FetchTrustList => {
                let result = client
                    .trust_list(self.clock.unix())
                    .await
                    .map_err(|e| Failure::from_service(&e));
                if let Ok(trust) = &result
                    && let Err(e) = trust_cache::save(&self.trust_cache, trust)
                {
                    tracing::warn!(error = %e, "could not cache the trust list; offline checks will use the previous copy");
                }
                Some(Msg::TrustListFetched { result })
            }
            Effect::Verify { request, body } => {
                let started = Instant::now();
                let result = client.verify(&body).await;
                let latency = started.elapsed();
                Some(Msg::ServiceReplied {
                    request,
                    latency,
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
            Effect::Record(decision) => {
                let (recorder, clock) = (self.recorder.clone(), self.clock.clone());
                let id = decision.request.decision_id.clone();
                let result = tokio::task::spawn_blocking(move || {
                    let mut r = recorder.lock().unwrap_or_else(|p| p.into_inner());
                    r.record(&decision, clock.now()).map_err(|e| e.to_string())
                })
                .await
                .unwrap_or_else(|e| Err(format!("recording stopped unexpectedly ({e})")));
                if result.is_ok() {
                    self.wake.notify_one();
                }
                Some(Msg::Recorded {
                    decision_id: id,
                    result,
                })
            }
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
                    document: kind_slug(document).to_owned(),
                };
                let (recorder, clock) = (self.recorder.clone(), self.clock.clone());
                let result = tokio::task::spawn_blocking(move || {
                    let mut r = recorder.lock().unwrap_or_else(|p| p.into_inner());
                    r.reveal(&event, clock.now())
                })
                .await;
                if let Ok(Err(e)) = result {
                    tracing::error!(error = %e, "a reveal could not be audited");
                }
                None
            }
            Effect::Demo(demo) => self.demo(demo).await,
            Effect::TrainFaults { down, slow, skew } => {
                if let Some(t) = self.training() {
                    t.down.store(down, std::sync::atomic::Ordering::SeqCst);
                    t.slow.store(slow, std::sync::atomic::Ordering::SeqCst);
                    t.lane_clock.set_skew(skew);
                }
                None
            }
            Effect::TrainClock { paused } => {
                if let Some(t) = self.training() {
                    t.clock.set_paused(paused);
                }
                None
            }
            Effect::TrainPresent {
                step,
                present,
                last_code,
            } => self.present(step, present, last_code).await,
            Effect::WriteReport { path, json } => match std::fs::write(&path, json) {
                Ok(()) => None,
                Err(e) => Some(Msg::DemoFailed {
                    message: format!("cannot write the report to {}: {e}", path.display()),
                }),
            },
        }
    }

    async fn demo(&self, effect: DemoEffect) -> Option<Msg> {
        let world = self.demo.as_ref()?;
        match effect {
            DemoEffect::FetchCards => Some(Msg::DemoCards {
                result: self
                    .phone_app()
                    .cards()
                    .await
                    .map_err(|e| Failure::from_service(&e)),
            }),
            DemoEffect::Present { card, label } => match self.phone_app().mint(card).await {
                Ok(token) => {
                    world.phone.show(&token.qr);
                    Some(Msg::DemoShown {
                        label,
                        code: token.qr,
                        genuine: true,
                    })
                }
                Err(e) => Some(Msg::DemoFailed {
                    message: e.to_string(),
                }),
            },
            DemoEffect::PresentForged { card, label } => {
                let forger = ed25519_dalek::SigningKey::from_bytes(&random_bytes());
                let claims = Claims::fresh(&world.issuer_id, card, self.clock.unix());
                let code = credential::mint(&claims, world.active_kid, &forger);
                world.phone.show(&code);
                Some(Msg::DemoShown {
                    label,
                    code,
                    genuine: false,
                })
            }
            DemoEffect::Show { code, label } => {
                // Away long enough for the scanner to count the next sighting as a new
                // presentation, as when someone else shows the copy later.
                world.phone.hide();
                tokio::time::sleep(REPLAY_GAP).await;
                world.phone.show(&code);
                Some(Msg::DemoShown {
                    label,
                    code,
                    genuine: true,
                })
            }
            DemoEffect::HidePhone => {
                world.phone.hide();
                None
            }
        }
    }
}

impl EffectRunner {
    /// Training: a step's traveller holds up their phone, as in the demo.
    async fn present(
        &self,
        step: usize,
        present: crate::edges::sessions::Present,
        last_code: Option<String>,
    ) -> Option<Msg> {
        use crate::edges::sessions::Present;
        let world = self.demo.as_ref()?;
        let card_of = async |who: &str| -> Result<CardRef, Msg> {
            let cards = self
                .cards
                .get_or_try_init(|| self.phone_app().cards())
                .await
                .map_err(|e| Msg::DemoFailed {
                    message: format!("training: cannot list the service's cards: {e}"),
                })?;
            cards
                .iter()
                .find(|c| c.traveller == who || c.scenario == who)
                .map(|c| c.card)
                .ok_or_else(|| Msg::DemoFailed {
                    message: format!(
                        "training: the service has no card for traveller \"{who}\"; press S to skip the step"
                    ),
                })
        };
        let code = match present {
            Present::Traveller(who) => {
                let card = match card_of(&who).await {
                    Ok(card) => card,
                    Err(msg) => return Some(msg),
                };
                match self.phone_app().mint(card).await {
                    Ok(token) => Some(token.qr),
                    Err(e) => {
                        return Some(Msg::DemoFailed {
                            message: e.to_string(),
                        });
                    }
                }
            }
            Present::Forged(who) => {
                let card = match card_of(&who).await {
                    Ok(card) => card,
                    Err(msg) => return Some(msg),
                };
                let forger = ed25519_dalek::SigningKey::from_bytes(&random_bytes());
                let claims = Claims::fresh(&world.issuer_id, card, self.clock.unix());
                Some(credential::mint(&claims, world.active_kid, &forger))
            }
            Present::Replay => {
                // Someone else, later, with the same code.
                world.phone.hide();
                tokio::time::sleep(REPLAY_GAP).await;
                last_code
            }
            Present::CorruptFrame => {
                world.phone.hide();
                let _ = self.tx.send(Msg::CameraFailed {
                    message: crate::edges::camera::SourceError::CorruptFrame {
                        why: "the frame's data ends early".into(),
                    }
                    .to_string(),
                });
                None
            }
        };
        if let Some(code) = &code {
            world.phone.show(code);
        }
        Some(Msg::TrainShown { step, code })
    }
}

fn random_bytes() -> [u8; 32] {
    let mut bytes = [0u8; 32];
    // A forger's key only has to be unknown to the issuer; any bytes will do.
    let _ = getrandom::fill(&mut bytes);
    bytes
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
    Ok(Portrait {
        width: rgb.width(),
        height: rgb.height(),
        rgb: Arc::from(rgb.into_raw()),
    })
}

/// How long to wait before giving up on a decision delivery in the demo's shutdown.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(2);
