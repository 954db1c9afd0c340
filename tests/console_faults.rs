//! The console against services that misbehave, through the real effect runner and client
//! on 127.0.0.1: refusing connections, never answering, answering 500, answering nonsense,
//! answering slowly. After each, the console's state must be right, and while a call is
//! pending the console keeps taking keys: it never waits on the network.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::post;
use lanedesk::app::service::{InProcessService, ServiceSetup};
use lanedesk::console::effect::{Effect, Faults, TrainingEffect};
use lanedesk::console::keymap::{Key, KeyCode};
use lanedesk::console::modes::training::faults::Switchboard;
use lanedesk::console::modes::world::World;
use lanedesk::console::msg::Msg;
use lanedesk::console::runner::EffectRunner;
use lanedesk::console::state::{Delivery, Dialog, Lookup, ServiceState, State};
use lanedesk::console::testkit::{self, TestIssuer};
use lanedesk::console::update::update;
use lanedesk::domain::checkpoint::Direction;
use lanedesk::domain::checks::Outcome;
use lanedesk::domain::clock::{Clock, ManualClock, VirtualClock};
use lanedesk::domain::lang::Lang;
use lanedesk::domain::trust::TrustAnchor;
use lanedesk::edges::client::{ClientConfig, ServiceClient, ServiceRoute};
use tokio::sync::mpsc;

const TOKEN: &str = "faults-token";

async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    format!("http://{addr}")
}

fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The reference service on 127.0.0.1 (`port` 0 for any free one), with the fixtures.
async fn reference_service(port: u16) -> InProcessService {
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(testkit::now()));
    InProcessService::start(ServiceSetup::new(&fixtures, clock, TOKEN).port(port))
        .await
        .unwrap()
}

struct Rig {
    state: State,
    issuer: TestIssuer,
    runner: EffectRunner,
    rx: mpsc::UnboundedReceiver<Msg>,
    clock: Arc<ManualClock>,
    _dir: tempfile::TempDir,
}

impl Rig {
    fn new(url: &str, timeout: Duration) -> Rig {
        let mut config = ClientConfig::new(url).lane_token(TOKEN);
        config.timeout = timeout;
        let client = Arc::new(ServiceClient::new(&config).unwrap());
        Rig::with_route(Arc::new(client), None, TestIssuer::new().anchor())
    }

    /// A lane whose way to the service is `route`, acting in `world` (demo, training).
    fn with_route(
        route: Arc<dyn ServiceRoute>,
        world: Option<Arc<World>>,
        anchor: TrustAnchor,
    ) -> Rig {
        let (tx, rx) = mpsc::unbounded_channel();
        let clock = Arc::new(ManualClock::new(testkit::now()));
        let dir = tempfile::tempdir().unwrap();
        let origin = testkit::lane(Direction::Exit).origin();
        let runner =
            EffectRunner::start(route, tx, world, clock.clone(), dir.path(), &origin, anchor)
                .unwrap();
        let issuer = TestIssuer::new();
        let state = testkit::state(Direction::Exit, Lang::En, &issuer);
        Rig {
            state,
            issuer,
            runner,
            rx,
            clock,
            _dir: dir,
        }
    }

    fn send(&mut self, msg: Msg) -> Vec<Effect> {
        update(&mut self.state, msg, self.clock.now())
    }

    /// Reads a code and runs what it asks for; returns nothing until a reply is awaited.
    fn read_code(&mut self) {
        let code = self
            .issuer
            .code(&testkit::traveller("T01"), self.clock.now(), 1);
        for effect in self.send(Msg::CodeRead { text: code }) {
            self.runner.run(effect);
        }
    }

    /// Waits for the next message that answers a service call and applies it.
    async fn settle(&mut self) {
        loop {
            let msg = tokio::time::timeout(Duration::from_secs(20), self.rx.recv())
                .await
                .expect("an answer")
                .unwrap();
            let answers = matches!(msg, Msg::ServiceReplied { .. });
            self.send(msg);
            if answers {
                return;
            }
        }
    }

    /// The moment in which decision keys are ignored passes: the officer has looked.
    fn look(&mut self) {
        self.clock
            .advance(lanedesk::console::state::DECISION_LOCK + chrono::TimeDelta::milliseconds(1));
    }

    /// Flags the traveller on screen with the first reason and records it.
    fn flag(&mut self) {
        self.look();
        self.send(Msg::Key(Key::char('f')));
        self.send(Msg::Key(Key::char('1')));
        for effect in self.send(Msg::Key(Key::plain(KeyCode::Enter))) {
            self.runner.run(effect);
        }
    }

    /// Applies messages until the latest decision is acknowledged by the service.
    async fn until_sent(&mut self) {
        while self.state.history[0].delivery != Delivery::Sent {
            let msg = tokio::time::timeout(Duration::from_secs(30), self.rx.recv())
                .await
                .expect("delivered in time")
                .unwrap();
            self.send(msg);
        }
    }

    fn outcome(&self, id: &str) -> Option<Outcome> {
        self.state
            .current
            .as_ref()?
            .checks
            .iter()
            .find(|c| c.id.wire() == id)
            .map(|c| c.outcome)
    }

    /// The state every failure must leave: the code checked offline, the rest unknown, and
    /// approval only with an override.
    fn assert_unconfirmed(&mut self) {
        let p = self.state.current.as_ref().unwrap();
        assert!(matches!(p.lookup, Lookup::Failed(_)), "{:?}", p.lookup);
        assert_eq!(self.outcome("code-signature"), Some(Outcome::Pass));
        assert_eq!(self.outcome("service"), Some(Outcome::Unknown));
        assert_eq!(self.outcome("code-not-replayed"), Some(Outcome::Unknown));
        self.look();
        self.send(Msg::Key(Key::char('a')));
        assert!(matches!(self.state.dialog, Some(Dialog::Override(_))));
        self.send(Msg::Key(Key::plain(KeyCode::Esc)));
    }
}

#[tokio::test]
async fn a_refused_connection_leaves_the_console_offline_and_working() {
    let mut rig = Rig::new(
        &format!("http://127.0.0.1:{}", closed_port()),
        Duration::from_millis(500),
    );
    rig.read_code();
    rig.settle().await;
    assert!(
        matches!(rig.state.service, ServiceState::Offline { .. }),
        "{:?}",
        rig.state.service
    );
    rig.assert_unconfirmed();
}

#[tokio::test]
async fn a_service_that_never_answers_does_not_hold_the_console() {
    let router = Router::new().route(
        "/v1/verifications",
        post(|| async {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            StatusCode::OK
        }),
    );
    let mut rig = Rig::new(&serve(router).await, Duration::from_millis(800));
    rig.read_code();
    // The call is out; the officer goes on working meanwhile.
    assert!(rig.rx.try_recv().is_err(), "nothing has answered yet");
    rig.send(Msg::Key(Key::char('l')));
    assert_eq!(rig.state.lang, Lang::ZhHans);
    rig.look();
    rig.send(Msg::Key(Key::char('f')));
    assert!(
        matches!(rig.state.dialog, Some(Dialog::Flag(_))),
        "flagging works while waiting"
    );
    rig.send(Msg::Key(Key::plain(KeyCode::Esc)));
    rig.settle().await;
    assert!(matches!(rig.state.service, ServiceState::Offline { .. }));
    rig.assert_unconfirmed();
}

#[tokio::test]
async fn a_failing_or_garbled_service_is_not_trusted_but_is_not_offline() {
    let failing = Router::new().route(
        "/v1/verifications",
        post(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "boom").into_response() }),
    );
    let garbled = Router::new().route(
        "/v1/verifications",
        post(|| async {
            (
                [("content-type", "application/json")],
                "{\"verification_id\": 12, \u{1b}[2J",
            )
                .into_response()
        }),
    );
    for (name, router) in [("500", failing), ("malformed JSON", garbled)] {
        let mut rig = Rig::new(&serve(router).await, Duration::from_secs(2));
        rig.read_code();
        rig.settle().await;
        assert!(
            !matches!(rig.state.service, ServiceState::Offline { .. }),
            "{name}: {:?}",
            rig.state.service
        );
        let Some(Lookup::Failed(f)) = rig.state.current.as_ref().map(|p| &p.lookup) else {
            panic!("{name}")
        };
        assert!(!f.message.contains('\u{1b}'), "{name}: {:?}", f.message);
        rig.assert_unconfirmed();
    }
}

#[tokio::test]
async fn a_slow_answer_arrives_and_fills_the_screen() {
    let issuer = TestIssuer::new();
    let t = testkit::traveller("T01");
    let router = Router::new().route(
        "/v1/verifications",
        post(move |body: axum::Json<serde_json::Value>| {
            let t = t.clone();
            async move {
                tokio::time::sleep(Duration::from_millis(700)).await;
                let code = body["token"].as_str().unwrap().to_owned();
                axum::Json(testkit::verification(&t, &code, testkit::now())).into_response()
            }
        }),
    );
    let mut rig = Rig::new(&serve(router).await, Duration::from_secs(2));
    rig.issuer = issuer;
    rig.read_code();
    rig.settle().await;
    let p = rig.state.current.as_ref().unwrap();
    assert_eq!(p.verification().unwrap().holder.id, "T01");
    assert!(
        p.checks.iter().all(|c| c.outcome == Outcome::Pass),
        "{:?}",
        p.checks
    );
}

#[tokio::test]
async fn a_decision_made_offline_is_recorded_and_delivered_when_the_service_returns() {
    // The lane starts with the service down: the decision is recorded and waits.
    let port = closed_port();
    let mut rig = Rig::new(
        &format!("http://127.0.0.1:{port}"),
        Duration::from_millis(500),
    );
    rig.read_code();
    rig.settle().await;
    rig.flag();
    let id = rig.state.history[0].decision_id.clone();
    let mut waiting = None;
    while rig.state.history[0].delivery != Delivery::Recorded || waiting != Some(1) {
        let msg = tokio::time::timeout(Duration::from_secs(10), rig.rx.recv())
            .await
            .unwrap()
            .unwrap();
        if let Msg::OutboxWaiting(n) = msg {
            waiting = Some(n);
        }
        rig.send(msg);
    }
    assert_eq!(rig.state.outbox_waiting, 1);

    // The service comes back on the same address; the outbox delivers on its next try.
    let service = reference_service(port).await;
    rig.until_sent().await;
    assert_eq!(service.issuer.store().count("decisions").unwrap(), 1);
    assert!(service.issuer.store().decision(&id).unwrap().is_some());
    service.stop().await;
}

#[tokio::test]
async fn an_outage_drill_holds_decisions_back_until_the_trainer_clears_it() {
    // Training: the service runs, but the trainer's switch puts a dead address in the lane's
    // way. The outbox must see the same outage as the lane, or a drill would teach that
    // decisions always go through.
    let service = reference_service(0).await;
    let clock = Arc::new(VirtualClock::new(testkit::now()));
    let board = Arc::new(
        Switchboard::start(&service.client_config(), clock)
            .await
            .unwrap(),
    );
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let world = World::new(
        Arc::new(service.client().unwrap()),
        service.forgery().unwrap(),
        fixtures,
    )
    .with_switchboard(board.clone());
    let mut rig = Rig::with_route(board, Some(Arc::new(world)), service.issuer.anchor());
    let outage = Effect::Training(TrainingEffect::Faults(Faults {
        down: true,
        ..Faults::default()
    }));
    assert!(rig.runner.perform(outage).await.is_none());

    rig.read_code();
    rig.settle().await;
    assert!(matches!(rig.state.service, ServiceState::Offline { .. }));
    rig.flag();
    // The first delivery attempt fails against the dead address; the decision waits.
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(20), rig.rx.recv())
            .await
            .expect("a delivery attempt")
            .unwrap();
        let attempt = match &msg {
            Msg::DecisionSent { result, .. } => Some(result.is_ok()),
            _ => None,
        };
        rig.send(msg);
        match attempt {
            Some(false) => break,
            Some(true) => panic!("delivered through the trainer's outage"),
            None => {}
        }
    }
    assert_eq!(rig.state.history[0].delivery, Delivery::Recorded);
    assert_eq!(service.issuer.store().count("decisions").unwrap(), 0);

    // The trainer clears the fault; the next health check finds the service and the
    // decision goes.
    let clear = Effect::Training(TrainingEffect::Faults(Faults::default()));
    assert!(rig.runner.perform(clear).await.is_none());
    let health = rig.runner.perform(Effect::CheckHealth).await.unwrap();
    rig.send(health);
    assert!(matches!(rig.state.service, ServiceState::Online { .. }));
    rig.until_sent().await;
    assert_eq!(service.issuer.store().count("decisions").unwrap(), 1);
    service.stop().await;
}

#[tokio::test]
async fn the_same_code_at_two_lanes_is_caught_as_a_replay() {
    let service = reference_service(0).await;
    let code = service
        .issuer
        .mint(testkit::traveller("T01").card)
        .unwrap()
        .qr;
    let mut lanes = Vec::new();
    for lane in ["L1", "L2"] {
        let mut rig = Rig::new(&service.url, Duration::from_secs(2));
        rig.state.trust = Some(service.issuer.trust_list().clone());
        rig.state.lane.lane = lane.into();
        for effect in rig.send(Msg::CodeRead { text: code.clone() }) {
            rig.runner.run(effect);
        }
        rig.settle().await;
        lanes.push(rig);
    }
    assert_eq!(lanes[0].outcome("code-not-replayed"), Some(Outcome::Pass));
    assert_eq!(lanes[1].outcome("code-not-replayed"), Some(Outcome::Fail));
    let p = lanes[1].state.current.as_ref().unwrap();
    let sentence = p
        .checks
        .iter()
        .find(|c| c.id.wire() == "code-not-replayed")
        .unwrap()
        .finding
        .sentence(Lang::En);
    // The screen and `lanedesk verify` say it in the same words (one assess pipeline).
    assert!(sentence.contains("lo-wu lane L1"), "{sentence}");
    service.stop().await;
}
