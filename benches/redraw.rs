//! One full redraw of the console at 160×45 (and 80×24), traveller and documents on screen.
//!
//! cargo bench --bench redraw
//!
//! `view` is the pure drawing into ratatui's buffer; `terminal` adds ratatui's diff and the
//! (test) backend write, as a real frame does. `portrait_first_frame` is the first frame
//! after a portrait arrives, in each way a terminal draws pictures; later frames reuse it.

use divan::{Bencher, black_box};
use lanedesk::console::desk::Desk;
use lanedesk::console::msg::Msg;
use lanedesk::console::state::{PortraitState, State};
use lanedesk::console::testkit::{self, TestIssuer};
use lanedesk::console::theme::Theme;
use lanedesk::console::update::update;
use lanedesk::console::view;
use lanedesk::domain::checkpoint::Direction;
use lanedesk::domain::lang::Lang;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn main() {
    divan::main();
}

/// A portrait id the view has not seen: each input is a new portrait, not a memo hit.
fn next_id() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1 << 40);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

fn loaded(lang: Lang) -> Desk {
    Desk::from(loaded_state(lang))
}

fn loaded_state(lang: Lang) -> State {
    let issuer = TestIssuer::new();
    let mut state = testkit::state(Direction::Exit, lang, &issuer);
    let now = state.now;
    update(
        &mut state,
        Msg::FrameShown(Box::new(testkit::preview_frame())),
        now,
    );
    testkit::present(&mut state, &issuer, &testkit::traveller("T03"), 1);
    state
}

#[divan::bench(args = [(160, 45), (80, 24)])]
fn view_only(bencher: Bencher, (w, h): (u16, u16)) {
    let state = loaded(Lang::En);
    let theme = Theme::dark();
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    bencher.bench_local(|| {
        let mut frame = terminal.get_frame();
        view::draw(&mut frame, black_box(&state), &theme);
    });
}

#[divan::bench(args = [(160, 45), (80, 24)])]
fn terminal(bencher: Bencher, (w, h): (u16, u16)) {
    let state = loaded(Lang::ZhHant);
    let theme = Theme::dark();
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    bencher.bench_local(|| {
        // A cleared back buffer makes every cell differ: a full redraw, not a no-op diff.
        terminal.current_buffer_mut().reset();
        terminal
            .draw(|f| view::draw(f, black_box(&state), &theme))
            .unwrap();
    });
}

/// The first frame after a portrait arrives, in each way a terminal can draw it: encoding
/// (half-blocks: scaling into cells; kitty: the RGBA transmission; sixel: quantising and
/// encoding) happens once per portrait and size.
#[divan::bench(args = ["halfblocks", "kitty", "sixel"])]
fn portrait_first_frame(bencher: Bencher, protocol: &str) {
    use lanedesk::console::graphics::Graphics;
    use ratatui_image::picker::ProtocolType;
    let graphics = match protocol {
        "kitty" => Graphics::forced(ProtocolType::Kitty),
        "sixel" => Graphics::forced(ProtocolType::Sixel),
        _ => Graphics::halfblocks(),
    };
    let state = loaded_state(Lang::En);
    let theme = Theme::dark();
    let PortraitState::Loaded(portrait) = &state.current.as_ref().unwrap().portrait else {
        panic!("the portrait loaded")
    };
    let portrait = portrait.clone();
    bencher
        .with_inputs(|| {
            let mut s = state.clone();
            let mut p = portrait.clone();
            p.rgb = std::sync::Arc::from(p.rgb.to_vec());
            p.id = next_id();
            s.current.as_mut().unwrap().portrait = PortraitState::Loaded(p);
            Desk::from(s)
        })
        .bench_local_values(|desk| {
            let mut terminal = Terminal::new(TestBackend::new(160, 45)).unwrap();
            terminal
                .draw(|f| view::draw_with(f, &desk, &theme, &graphics))
                .unwrap();
            black_box(terminal)
        });
}
