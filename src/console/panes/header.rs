//! The top line(s): where this lane is, who is on it, the time, and the service's state.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::console::desk::Desk;
use crate::console::i18n::{L, Lang};
use crate::console::state::{ReaderStatus, ServiceState, State};
use crate::console::theme::{Role, Theme};
use crate::domain::checkpoint::Direction;
use crate::domain::credential::clock_time;

use super::bold;

pub fn draw(frame: &mut Frame, area: Rect, desk: &Desk, theme: &Theme) {
    let state = &desk.lane;
    let lang = state.lang;
    let base = theme.header();
    let cp = state.lane.checkpoint;
    let name = lang.pick(cp.name_en, cp.name_zh_hans, cp.name_zh_hant);
    let direction = match state.lane.direction {
        Direction::Entry => L::Entry,
        Direction::Exit => L::Exit,
    };
    let short_direction = match state.lane.direction {
        Direction::Entry => L::EntryShort,
        Direction::Exit => L::ExitShort,
    };
    let sep = || Span::styled(" │ ", base);
    let clock = Span::styled(clock_time(state.now.timestamp()), bold(base));
    if area.height < 2 {
        // One line at 80 columns: no labels, the status kept short.
        let mut line = vec![Span::styled(" ", base)];
        if desk.modes.demo.is_some() {
            line.push(Span::styled(format!("{} ", L::Demo.get(lang)), bold(base)));
        }
        if let Some(t) = training_tag(desk) {
            line.push(Span::styled(format!("{t} "), bold(base)));
        }
        line.extend([
            Span::styled(
                format!("{} {}", short_name(name), state.lane.lane),
                bold(base),
            ),
            Span::styled(format!(" {}", short_direction.get(lang)), base),
            sep(),
            Span::styled(state.lane.officer.clone(), base),
            sep(),
            clock,
            sep(),
        ]);
        line.extend(status_spans(state, theme, lang, true));
        frame.render_widget(Paragraph::new(Line::from(line)).style(base), area);
        return;
    }
    let mut first = vec![Span::styled(" lanedesk ", bold(base))];
    if desk.modes.demo.is_some() {
        first.push(Span::styled(
            format!("[{}] ", L::Demo.get(lang)),
            bold(base),
        ));
    }
    if let Some(t) = training_tag(desk) {
        first.push(Span::styled(format!("[{t}] "), bold(base)));
    }
    first.extend([
        Span::styled(name.to_owned(), bold(base)),
        Span::styled(format!(" {} {}", L::Lane.get(lang), state.lane.lane), base),
        sep(),
        Span::styled(direction.get(lang), bold(base)),
        sep(),
        Span::styled(
            format!("{} {}", L::Officer.get(lang), state.lane.officer),
            base,
        ),
        sep(),
        clock,
    ]);
    let mut second = vec![Span::styled(" ", base)];
    second.extend(status_spans(state, theme, lang, false));
    frame.render_widget(
        Paragraph::new(vec![Line::from(first), Line::from(second)]).style(base),
        area,
    );
}

fn status_spans(state: &State, theme: &Theme, lang: Lang, short: bool) -> Vec<Span<'static>> {
    let base = theme.header();
    let sep = || Span::styled(" │ ", base);
    let service = match &state.service {
        ServiceState::Connecting => Span::styled(
            format!("… {}", L::Connecting.get(lang)),
            base.fg(theme.color(Role::Unknown)),
        ),
        ServiceState::Online { latency } => Span::styled(
            if short {
                format!("● {} ms", latency.as_millis())
            } else {
                format!("● {} {} ms", L::Online.get(lang), latency.as_millis())
            },
            if theme.monochrome {
                base
            } else {
                base.fg(theme.color(Role::Online))
            },
        ),
        ServiceState::TokenRefused { .. } => Span::styled(
            format!(
                "✖ {}",
                if short {
                    L::TokenRefusedShort
                } else {
                    L::TokenRefused
                }
                .get(lang)
            ),
            if theme.monochrome {
                bold(base)
            } else {
                bold(base.fg(theme.color(Role::Offline)))
            },
        ),
        ServiceState::Offline { since, .. } => Span::styled(
            format!(
                "✖ {} {}",
                if short { L::OfflineShort } else { L::Offline }.get(lang),
                clock_time(since.timestamp())
            ),
            if theme.monochrome {
                bold(base)
            } else {
                bold(base.fg(theme.color(Role::Offline)))
            },
        ),
    };
    let trust_label = if short { L::TrustShort } else { L::TrustList };
    let trust = match &state.trust {
        Some(t) => format!(
            "{} {}",
            trust_label.get(lang),
            lang.ago(state.now.timestamp() - t.issued_at)
        ),
        None => format!("{} {}", trust_label.get(lang), L::TrustNone.get(lang)),
    };
    let camera = match (&state.camera.failure, state.camera.frames) {
        (Some(_), _) => format!("{} ✖", L::Camera.get(lang)),
        (None, 0) => format!("{} –", L::Camera.get(lang)),
        (None, _) if short => format!("{:.0} {}", state.camera.fps, L::Fps.get(lang)),
        (None, _) => format!(
            "{} {:.0} {}",
            L::Camera.get(lang),
            state.camera.fps,
            L::Fps.get(lang)
        ),
    };
    let mut spans = vec![service];
    if let Some(clock) = clock_span(state, theme, lang, short) {
        // A wrong clock changes what every time check means: it comes first.
        spans.extend([sep(), clock]);
    }
    spans.extend([
        sep(),
        Span::styled(trust, base),
        sep(),
        Span::styled(camera, base),
    ]);
    if let Some(reader) = reader_span(state, theme, lang, short) {
        spans.extend([sep(), reader]);
    }
    if state.outbox_waiting > 0 {
        // Decisions recorded here that the service has not acknowledged yet.
        spans.push(sep());
        spans.push(Span::styled(
            format!("⇢ {} {}", state.outbox_waiting, L::Outbox.get(lang)),
            bold(base),
        ));
    }
    spans
}

/// The lane's clock, when it is far enough from the service's to say so: a warning past
/// the first threshold, a failure past the one where code times are no longer judged.
fn clock_span(state: &State, theme: &Theme, lang: Lang, short: bool) -> Option<Span<'static>> {
    let base = theme.header();
    let standing = state.clock.standing();
    let offset = standing.caveat()?;
    let untrusted = standing.untrusted().is_some();
    let mut text = format!(
        "{} {} {}",
        if untrusted { "✖" } else { "▲" },
        L::Clock.get(lang),
        offset.describe(lang)
    );
    if untrusted && !short {
        let colon = lang.pick(": ", "：", "：");
        text = format!("{text}{colon}{}", L::ClockCodeTimesUnknown.get(lang));
    }
    let role = if untrusted { Role::Fail } else { Role::Warn };
    Some(Span::styled(
        text,
        if theme.monochrome {
            bold(base)
        } else {
            bold(base.fg(theme.color(role)))
        },
    ))
}

/// The 2D code reader: a serial one set up for this lane (its state), or a keyboard one
/// once it has typed a code.
fn reader_span(state: &State, theme: &Theme, lang: Lang, short: bool) -> Option<Span<'static>> {
    let base = theme.header();
    let reader = &state.reader;
    let label = L::Reader.get(lang);
    let Some(name) = &reader.serial else {
        return reader
            .read_at
            .map(|_| Span::styled(format!("{label} {}", L::ReaderKeyboard.get(lang)), base));
    };
    let name = if short {
        String::new()
    } else {
        format!(" {name}")
    };
    Some(match &reader.status {
        ReaderStatus::Starting => Span::styled(format!("{label}{name} …"), base),
        ReaderStatus::Ready => Span::styled(format!("{label}{name} ●"), base),
        ReaderStatus::Lost { since, .. } => Span::styled(
            format!(
                "{label}{name} ✖ {} {}",
                L::ReaderNotConnected.get(lang),
                clock_time(since.timestamp())
            ),
            if theme.monochrome {
                bold(base)
            } else {
                bold(base.fg(theme.color(Role::Offline)))
            },
        ),
    })
}

/// "Lo Wu" for "Lo Wu / Luohu": the first of a checkpoint's names.
fn short_name(name: &str) -> &str {
    name.split(" / ").next().unwrap_or(name)
}

/// "TRAINING 3/8", "TRAINING 3/8 paused".
fn training_tag(desk: &Desk) -> Option<String> {
    let t = desk.modes.training.as_ref()?;
    let (done, all) = t.progress();
    let lang = desk.lane.lang;
    let mut tag = format!("{} {done}/{all}", L::Training.get(lang));
    if t.paused {
        tag = format!("{tag} {}", L::Paused.get(lang));
    }
    Some(tag)
}
