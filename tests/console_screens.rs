//! Snapshots of the console's screen in the states that matter, at 80×24 and 160×45, in
//! English and Traditional Chinese. Times, ids and dates are fixed by `testkit`.

use lanedesk::console::desk::Desk;
use lanedesk::console::keymap::{Key, KeyCode};
use lanedesk::console::modes::demo::Demo;
use lanedesk::console::msg::{Failure, Msg};
use lanedesk::console::state::State;
use lanedesk::console::testkit::{self, TestIssuer};
use lanedesk::console::theme::Theme;
use lanedesk::console::update::update;
use lanedesk::console::view;
use lanedesk::domain::checkpoint::Direction;
use lanedesk::domain::lang::Lang;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const SIZES: [(u16, u16); 2] = [(80, 24), (160, 45)];
const LANGS: [Lang; 2] = [Lang::En, Lang::ZhHant];

fn render(state: &State, theme: &Theme, size: (u16, u16)) -> Terminal<TestBackend> {
    render_desk(&Desk::from(state.clone()), theme, size)
}

fn render_desk(desk: &Desk, theme: &Theme, (w, h): (u16, u16)) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    terminal.draw(|f| view::draw(f, desk, theme)).unwrap();
    terminal
}

fn send(state: &mut State, msg: Msg) {
    let now = state.now;
    update(state, msg, now);
}

/// Builds a state for `scene` and snapshots it at both sizes in both languages.
fn snap<D: Into<Desk>>(scene: &str, build: impl Fn(Lang) -> D) {
    let theme = Theme::dark();
    for lang in LANGS {
        let desk = build(lang).into();
        for size in SIZES {
            let terminal = render_desk(&desk, &theme, size);
            let name = format!("{scene}-{}-{}x{}", lang.tag(), size.0, size.1);
            insta::assert_snapshot!(name, terminal.backend());
        }
    }
}

fn base(lang: Lang) -> (State, TestIssuer) {
    let issuer = TestIssuer::new();
    let mut state = testkit::state(Direction::Exit, lang, &issuer);
    send(
        &mut state,
        Msg::FrameShown(Box::new(testkit::preview_frame())),
    );
    (state, issuer)
}

fn with(id: &str, lang: Lang) -> State {
    let (mut state, issuer) = base(lang);
    testkit::present(&mut state, &issuer, &testkit::traveller(id), 1);
    state
}

#[test]
fn empty_lane() {
    snap("empty-lane", |lang| base(lang).0);
}

#[test]
fn traveller_loaded() {
    // A mainland resident leaving for Hong Kong with a valid endorsement.
    snap("traveller-loaded", |lang| with("T03", lang));
}

#[test]
fn failed_check() {
    // The Hong Kong endorsement expired five days ago.
    snap("failed-check", |lang| with("T05", lang));
}

#[test]
fn watch_list_alert() {
    snap("watch-list", |lang| with("T11", lang));
}

#[test]
fn forged_code() {
    snap("forged-code", |lang| {
        let (mut state, issuer) = base(lang);
        let code = issuer.forged(&testkit::traveller("T01"), state.now);
        send(&mut state, Msg::CodeRead { text: code });
        state
    });
}

#[test]
fn offline() {
    snap("offline", |lang| {
        let (mut state, issuer) = base(lang);
        let code = issuer.code(&testkit::traveller("T01"), state.now, 1);
        send(&mut state, Msg::CodeRead { text: code });
        let failure = Failure {
            code: None,
            message: "cannot reach the issuance service at https://issuer.example:8443/: connection refused. Check the network; decisions are kept.".into(),
            offline: true,
            token_refused: false,
        };
        send(
            &mut state,
            Msg::ServiceReplied {
                request: 1,
                latency: std::time::Duration::from_secs(2),
                result: Err(failure),
            },
        );
        state
    });
}

#[test]
fn flag_dialog() {
    snap("flag-dialog", |lang| {
        let mut state = with("T01", lang);
        for key in [
            Key::char('f'),
            Key::plain(KeyCode::Down),
            Key::char(' '),
            Key::plain(KeyCode::Tab),
            Key::char('x'),
        ] {
            send(&mut state, Msg::Key(key));
        }
        state
    });
}

#[test]
fn approved_and_help() {
    snap("approved", |lang| {
        let mut state = with("T01", lang);
        send(&mut state, Msg::Key(Key::char('a')));
        state
    });
    snap("help-demo", |lang| {
        let (state, _) = base(lang);
        let mut desk = Desk::from(state);
        desk.modes.demo = Some(Demo::default());
        let now = desk.lane.now;
        desk.update(Msg::Key(Key::char('?')), now);
        desk
    });
}

#[test]
fn no_color_keeps_every_symbol() {
    // Meaning must survive without colour: the symbols are the same as in colour.
    let state = with("T05", Lang::En);
    let colour = render(&state, &Theme::dark(), (160, 45));
    let mono = render(&state, &Theme::monochrome("dark"), (160, 45));
    let text = |t: &Terminal<TestBackend>| {
        t.backend()
            .buffer()
            .content()
            .iter()
            .map(|c| c.symbol().to_owned())
            .collect::<String>()
    };
    let (colour, mono) = (text(&colour), text(&mono));
    for symbol in ["✔", "✖"] {
        assert_eq!(
            colour.matches(symbol).count(),
            mono.matches(symbol).count(),
            "{symbol}"
        );
    }
    assert!(mono.contains("✖"));
    // And no colour at all, the portrait and the preview included.
    let mono = render(&state, &Theme::monochrome("dark"), (160, 45));
    for cell in mono.backend().buffer().content() {
        assert_eq!(
            (cell.fg, cell.bg),
            (ratatui::style::Color::Reset, ratatui::style::Color::Reset),
            "{:?}",
            cell.symbol()
        );
    }
}

#[test]
fn every_theme_draws_every_state() {
    for (name, _) in lanedesk::console::theme::BUILT_IN {
        let theme = Theme::find(name, None).unwrap();
        for id in ["T01", "T05", "T11"] {
            for size in SIZES {
                render(&with(id, Lang::ZhHans), &theme, size);
            }
        }
    }
}

#[test]
fn control_characters_from_the_service_never_reach_the_screen() {
    let (mut state, issuer) = base(Lang::En);
    let mut t = testkit::traveller("T01");
    t.holder.name_latin = "CHAN\u{1b}[2J\u{1b}]0;owned\u{7} Tai\u{202e}Man".into();
    t.documents[0].number = "H1234\u{1b}[31m5678".into();
    t.alerts.push(lanedesk::domain::holder::Alert {
        code: "W\u{9b}1m".into(),
        severity: lanedesk::domain::holder::AlertSeverity::Warning,
        message: "check\u{1b}[8m hidden".into(),
    });
    testkit::present(&mut state, &issuer, &t, 1);
    send(&mut state, Msg::Key(Key::char('v')));
    for size in SIZES {
        let terminal = render(&state, &Theme::dark(), size);
        for cell in terminal.backend().buffer().content() {
            assert!(
                !cell
                    .symbol()
                    .chars()
                    .any(|c| c.is_control() || ('\u{202a}'..='\u{202e}').contains(&c)),
                "control character on screen: {:?}",
                cell.symbol()
            );
        }
    }
}

/// The verdict bar's line on a rendered screen (the third line wide, the second at 80×24).
fn bar_line(terminal: &Terminal<TestBackend>) -> String {
    let buffer = terminal.backend().buffer();
    let row = if buffer.area.width >= 120 { 2 } else { 1 };
    (0..buffer.area.width)
        .map(|x| buffer[(x, row)].symbol().to_owned())
        .collect()
}

#[test]
fn each_verdict_is_unmistakable_in_both_languages_at_both_sizes() {
    // CLEAR: everything passed. REVIEW: an expired endorsement (a document problem, flagged
    // at the desk). ESCALATE: a revoked card. REFUSED: a forged code.
    type Case = (&'static str, [&'static str; 2], fn(Lang) -> State);
    let cases: [Case; 4] = [
        ("verdict-clear", ["CLEAR", "通過"], |lang| {
            with("T03", lang)
        }),
        ("verdict-review", ["REVIEW", "需核查"], |lang| {
            with("T05", lang)
        }),
        ("verdict-escalate", ["ESCALATE", "移交二線"], |lang| {
            with("T09", lang)
        }),
        ("verdict-refused", ["REFUSED", "拒絕"], |lang| {
            let (mut state, issuer) = base(lang);
            let code = issuer.forged(&testkit::traveller("T01"), state.now);
            send(&mut state, Msg::CodeRead { text: code });
            state
        }),
    ];
    for (scene, words, build) in cases {
        snap(scene, build);
        for (lang, word) in LANGS.into_iter().zip(words) {
            for size in SIZES {
                let bar = bar_line(&render(&build(lang), &Theme::dark(), size));
                // A wide character's second cell reads as a space.
                let squeezed = bar.replace(' ', "");
                assert!(squeezed.contains(word), "{scene} {lang} {size:?}: {bar}");
            }
        }
    }
    // The deciding check is named on the bar, and a hard stop does not offer approval.
    let bar = bar_line(&render(&with("T09", Lang::En), &Theme::dark(), (160, 45)));
    assert!(
        bar.contains("e-card revoked") && bar.contains("E escalate"),
        "{bar}"
    );
    assert!(!bar.contains("A approve"), "{bar}");
}

#[test]
fn a_window_too_small_says_so_and_blocks_decisions() {
    let mut state = with("T03", Lang::En);
    send(
        &mut state,
        Msg::Resized {
            width: 60,
            height: 20,
        },
    );
    let terminal = render(&state, &Theme::dark(), (60, 20));
    let text: String = terminal
        .backend()
        .buffer()
        .content()
        .iter()
        .map(|c| c.symbol().to_owned())
        .collect();
    assert!(text.contains("Window too small (60×20)"), "{text}");
    send(&mut state, Msg::Key(Key::char('a')));
    assert!(state.current.as_ref().unwrap().decision.is_none());
    send(
        &mut state,
        Msg::Resized {
            width: 80,
            height: 24,
        },
    );
    send(&mut state, Msg::Key(Key::char('a')));
    assert!(state.current.as_ref().unwrap().decision.is_some());
}

#[test]
fn each_traveller_gets_their_own_face() {
    // The view remembers the last portrait it encoded: one traveller's face must never be
    // shown for the next, however their pictures sit in memory.
    let portrait_cells = |id: &str| {
        let terminal = render(&with(id, Lang::En), &Theme::dark(), (160, 45));
        let buffer = terminal.backend().buffer().clone();
        (4..30)
            .flat_map(|y| (1..40).map(move |x| (x, y)))
            .map(|(x, y)| buffer[(x as u16, y as u16)].clone())
            .collect::<Vec<_>>()
    };
    let first = portrait_cells("T01");
    let second = portrait_cells("T02");
    assert_ne!(first, second, "T02 was shown with T01's face");
    assert_eq!(portrait_cells("T01"), first);
}

#[test]
fn the_themes_background_reaches_every_cell() {
    // A light theme on a dark terminal must not leave dark gaps (the status row, the keys).
    let theme = Theme::find("light", None).unwrap();
    let terminal = render(&with("T05", Lang::En), &theme, (100, 30));
    let buffer = terminal.backend().buffer();
    for y in 0..30 {
        for x in 0..100 {
            let cell = &buffer[(x, y)];
            // The second half of a wide character is drawn by its first.
            let covered =
                x > 0 && unicode_width::UnicodeWidthStr::width(buffer[(x - 1, y)].symbol()) > 1;
            if covered {
                continue;
            }
            assert_ne!(
                cell.bg,
                ratatui::style::Color::Reset,
                "({x}, {y}) {:?}\n{}",
                cell.symbol(),
                (0..100)
                    .map(|x| buffer[(x, y)].symbol().to_owned())
                    .collect::<String>()
            );
        }
    }
}

/// A reader unplugged, and a console clock twelve minutes fast: the header says both, the
/// code's window is unknown (not expired), and each time check says it rests on the clock.
#[test]
fn reader_lost_and_clock_wrong() {
    use lanedesk::domain::lane_time::Offset;
    use lanedesk::edges::reader::ReaderEvent;
    snap("reader-lost-clock-wrong", |lang| {
        let (mut state, issuer) = base(lang);
        state.reader.serial = Some("ttyACM0".into());
        send(
            &mut state,
            Msg::Reader(ReaderEvent::Lost {
                port: "/dev/ttyACM0".into(),
                reason: "/dev/ttyACM0 stopped answering (end of data): the reader was unplugged or reset; trying again every second".into(),
            }),
        );
        let offset = Offset {
            ms: -720_000,
            error_ms: 4,
            measured: true,
        };
        send(&mut state, Msg::ClockChecked { offset });
        testkit::present(&mut state, &issuer, &testkit::traveller("T03"), 1);
        state
    });
}

/// The text of a rendered screen's left `width` columns (the camera, or the portrait and
/// the camera's status beneath it), without spaces and box lines: wrapped text joined up.
fn left_column_text(terminal: &Terminal<TestBackend>, width: u16) -> String {
    let buffer = terminal.backend().buffer();
    (0..buffer.area.height)
        .flat_map(|y| (0..width).map(move |x| (x, y)))
        .map(|pos| buffer[pos].symbol().to_owned())
        .filter(|s| !s.trim().is_empty() && !"│─╭╮╰╯".contains(s.as_str()))
        .collect()
}

const IMAGES: &str = "/var/lib/lanedesk-lane/images";

/// An image folder with nothing in it yet: the camera says it waits, with the folder,
/// wrapped in the narrow column rather than cut, and so does the status beneath a face.
#[test]
fn camera_waiting_for_images() {
    let waiting = |mut state: State| {
        send(
            &mut state,
            Msg::CameraWaiting {
                folder: IMAGES.into(),
            },
        );
        state
    };
    let empty = |lang| {
        let issuer = TestIssuer::new();
        waiting(testkit::state(Direction::Exit, lang, &issuer))
    };
    snap("camera-waiting", empty);
    snap("camera-waiting-traveller", |lang| {
        waiting(with("T03", lang))
    });
    for state in [empty(Lang::En), waiting(with("T03", Lang::En))] {
        let terminal = render(&state, &Theme::dark(), (80, 24));
        let text = left_column_text(&terminal, 22);
        let said = format!("waitingforimagesin{IMAGES}");
        assert!(text.contains(&said), "{said:?} not in {text:?}");
    }
}

#[test]
fn lane_token_refused() {
    // The service answers but refuses the lane's token: the header says so, not "online",
    // and the notice line says what to do. In all three languages.
    let theme = Theme::dark();
    for lang in [Lang::En, Lang::ZhHans, Lang::ZhHant] {
        let (mut state, _) = base(lang);
        let refused = Failure {
            code: None,
            message: "the issuance service refused this lane's token (Lane token refused).".into(),
            offline: false,
            token_refused: true,
        };
        send(
            &mut state,
            Msg::HealthChecked {
                result: Err(refused),
            },
        );
        for size in SIZES {
            let terminal = render(&state, &theme, size);
            let name = format!("token-refused-{}-{}x{}", lang.tag(), size.0, size.1);
            insta::assert_snapshot!(name, terminal.backend());
        }
    }
}
