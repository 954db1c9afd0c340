//! The demo: scenario travellers hold up a simulated phone. Its state (the phones' cards,
//! who came last, the last genuine code), its keys (1-9, N, X, R), and what it does when
//! the lane decides or moves on (the phone is put away).

use crate::api::CardSummary;
use crate::console::effect::{DemoEffect, Effect};
use crate::console::i18n::L;
use crate::console::keymap::Command;
use crate::console::msg::{DemoMsg, Msg, ShownKind};
use crate::console::state::{Fact, NoticeLevel, NoticeText, State};
use crate::console::update::notify;

use super::world::World;

#[derive(Debug, Clone, Default)]
pub struct Demo {
    pub cards: Vec<CardSummary>,
    /// Index in `cards` of the last traveller presented.
    pub last: Option<usize>,
    pub last_code: Option<String>,
    /// The code on the phone now (forged or not), for the reader key.
    pub on_phone: Option<String>,
}

impl Demo {
    /// The effects to run when the console starts.
    pub fn start(&self) -> Vec<Effect> {
        vec![Effect::Demo(DemoEffect::FetchCards)]
    }

    pub fn on_command(&mut self, lane: &mut State, command: Command) -> Vec<Effect> {
        match command {
            Command::DemoTraveller(n) => self.present(usize::from(n).saturating_sub(1)),
            Command::DemoNext => self.present(self.last.map_or(0, |i| i + 1)),
            Command::DemoForged => {
                let Some(card) = self.cards.get(self.last.unwrap_or(0)) else {
                    return vec![];
                };
                vec![Effect::Demo(DemoEffect::PresentForged {
                    card: card.card,
                    who: who(card),
                })]
            }
            Command::DemoReader => match &self.on_phone {
                Some(code) => vec![Effect::Demo(DemoEffect::ThroughReader {
                    code: code.clone(),
                })],
                None => {
                    let text = NoticeText::Label(L::NoCodeOnPhone);
                    notify(lane, text, NoticeLevel::Warning);
                    vec![]
                }
            },
            Command::DemoReplay => match &self.last_code {
                Some(code) => vec![Effect::Demo(DemoEffect::ShowAgain { code: code.clone() })],
                None => {
                    let text = NoticeText::Label(L::NothingToReplay);
                    notify(lane, text, NoticeLevel::Warning);
                    vec![]
                }
            },
            _ => vec![],
        }
    }

    fn present(&mut self, index: usize) -> Vec<Effect> {
        if self.cards.is_empty() {
            return vec![];
        }
        let index = index % self.cards.len();
        self.last = Some(index);
        let card = &self.cards[index];
        vec![Effect::Demo(DemoEffect::Present {
            card: card.card,
            who: format!("{}: {}", who(card), card.summary),
        })]
    }

    pub fn on_msg(&mut self, lane: &mut State, msg: DemoMsg) {
        match msg {
            DemoMsg::Cards { result: Ok(cards) } => self.cards = cards,
            DemoMsg::Cards { result: Err(f) } => {
                notify(lane, NoticeText::Plain(f.message), NoticeLevel::Error);
            }
            DemoMsg::Failed { message } => {
                notify(lane, NoticeText::Plain(message), NoticeLevel::Error);
            }
            DemoMsg::Shown {
                who,
                code,
                genuine,
                kind,
            } => {
                self.on_phone = Some(code.clone());
                if genuine {
                    self.last_code = Some(code);
                }
                let text = match kind {
                    ShownKind::Fresh => NoticeText::Plain(who),
                    ShownKind::Forged => NoticeText::LabelWith(L::ForgedCodeFor, who),
                    ShownKind::Again => NoticeText::Label(L::LastCodeAgain),
                };
                notify(lane, text, NoticeLevel::Info);
            }
        }
    }

    /// The traveller was decided or cleared: their phone goes away.
    pub fn react(&mut self, fact: &Fact) -> Vec<Effect> {
        match fact {
            Fact::Decided(_) | Fact::Cleared(_) => {
                self.on_phone = None;
                vec![Effect::HidePhone]
            }
        }
    }
}

/// How the notice line names a card's traveller: `T03 LI Minghua`.
fn who(card: &CardSummary) -> String {
    format!("{} {}", card.traveller, card.name_latin)
}

/// Performs a demo effect in its world; the answer comes back as a message.
pub async fn perform(world: &World, effect: DemoEffect, now: i64) -> Option<Msg> {
    let msg = match effect {
        DemoEffect::FetchCards => DemoMsg::Cards {
            result: world
                .app
                .cards()
                .await
                .map_err(|e| crate::console::msg::Failure::from_service(&e)),
        },
        DemoEffect::Present { card, who } => match world.mint(card).await {
            Ok(token) => {
                world.show(&token.qr);
                DemoMsg::Shown {
                    who,
                    code: token.qr,
                    genuine: true,
                    kind: ShownKind::Fresh,
                }
            }
            Err(e) => DemoMsg::Failed {
                message: e.to_string(),
            },
        },
        DemoEffect::PresentForged { card, who } => {
            let code = world.forgery.code(card, now);
            world.show(&code);
            DemoMsg::Shown {
                who,
                code,
                genuine: false,
                kind: ShownKind::Forged,
            }
        }
        DemoEffect::ThroughReader { code } => match world.through_reader(&code) {
            // The reader's line comes back as a code read; nothing to say here.
            Ok(()) => return None,
            Err(message) => DemoMsg::Failed { message },
        },
        DemoEffect::ShowAgain { code } => {
            world.show_again(&code).await;
            DemoMsg::Shown {
                who: String::new(),
                code,
                genuine: true,
                kind: ShownKind::Again,
            }
        }
    };
    Some(Msg::Demo(msg))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::desk::Desk;
    use crate::console::keymap::Key;
    use crate::console::testkit::{self, TestIssuer};
    use crate::domain::checkpoint::Direction;
    use crate::domain::lang::Lang;

    fn desk() -> Desk {
        let state = testkit::state(Direction::Exit, Lang::En, &TestIssuer::new());
        let mut desk = Desk::from(state);
        desk.modes.demo = Some(Demo::default());
        desk
    }

    fn send(desk: &mut Desk, msg: Msg) -> Vec<Effect> {
        let now = desk.lane.now;
        desk.update(msg, now)
    }

    fn key(c: char) -> Msg {
        Msg::Key(Key::char(c))
    }

    fn shown(code: &str, genuine: bool) -> Msg {
        Msg::Demo(DemoMsg::Shown {
            who: "T04".into(),
            code: code.into(),
            genuine,
            kind: if genuine {
                ShownKind::Fresh
            } else {
                ShownKind::Forged
            },
        })
    }

    #[test]
    fn demo_keys_present_scenario_travellers_and_replay_the_last_code() {
        let mut desk = desk();
        assert_eq!(desk.start().len(), 3, "health, trust list and the cards");
        assert!(send(&mut desk, key('3')).is_empty(), "no cards yet");
        let cards: Vec<CardSummary> = testkit::travellers()
            .iter()
            .map(|t| CardSummary {
                card: t.card,
                traveller: t.holder.id.clone(),
                name_latin: t.holder.name_latin.clone(),
                scenario: t.scenario.clone(),
                summary: t.summary.clone(),
                status: t.card_status,
            })
            .collect();
        let result = Ok(cards.clone());
        send(&mut desk, Msg::Demo(DemoMsg::Cards { result }));
        let effects = send(&mut desk, key('3'));
        assert!(
            matches!(&effects[..], [Effect::Demo(DemoEffect::Present { card, .. })] if *card == cards[2].card)
        );
        let effects = send(&mut desk, key('n'));
        assert!(
            matches!(&effects[..], [Effect::Demo(DemoEffect::Present { card, .. })] if *card == cards[3].card)
        );
        assert!(matches!(
            &send(&mut desk, key('x'))[..],
            [Effect::Demo(DemoEffect::PresentForged { .. })]
        ));
        assert!(send(&mut desk, key('r')).is_empty(), "nothing shown yet");
        send(&mut desk, shown("EC1:X", true));
        assert!(
            matches!(&send(&mut desk, key('r'))[..], [Effect::Demo(DemoEffect::ShowAgain { code })] if code == "EC1:X")
        );
        // A forged code is shown but not kept for replay: R replays the last genuine code.
        send(&mut desk, shown("EC1:F", false));
        assert!(
            matches!(&send(&mut desk, key('r'))[..], [Effect::Demo(DemoEffect::ShowAgain { code })] if code == "EC1:X")
        );
    }

    #[test]
    fn the_notice_line_names_what_the_phone_shows_in_the_officers_language() {
        let mut desk = desk();
        desk.lane.lang = Lang::ZhHant;
        send(&mut desk, shown("EC1:F", false));
        let notice = desk.lane.notice.clone().unwrap();
        assert_eq!(
            notice.text,
            NoticeText::LabelWith(L::ForgedCodeFor, "T04".into())
        );
        send(&mut desk, key('r'));
        assert_eq!(
            desk.lane.notice.unwrap().text,
            NoticeText::Label(L::NothingToReplay)
        );
    }

    #[test]
    fn a_decided_or_cleared_traveller_puts_the_phone_away() {
        let issuer = TestIssuer::new();
        let mut desk = desk();
        testkit::present(&mut desk.lane, &issuer, &testkit::traveller("T01"), 1);
        let effects = send(&mut desk, key('a'));
        assert!(effects.contains(&Effect::HidePhone), "{effects:?}");
        desk.lane.now += crate::console::state::CONFIRM_FOR;
        testkit::present(&mut desk.lane, &issuer, &testkit::traveller("T02"), 2);
        assert_eq!(send(&mut desk, key('c')), vec![Effect::HidePhone]);
    }
}
