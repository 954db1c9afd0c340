//! The world the demo and training act on: the simulated phone the camera films, the
//! service as the traveller's phone app reaches it, and what a forger knows. Training adds
//! its fault switches.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::OnceCell;

use crate::api::{CardSummary, MintedToken};
use crate::domain::credential::CardRef;
use crate::domain::forgery::Forgery;
use crate::domain::trust::TrustList;
use crate::edges::camera::synthetic::Phone;
use crate::edges::client::{ServiceClient, ServiceError};
use crate::edges::reader::serial::PseudoReader;

use super::training::faults::Switchboard;

/// How long the phone is away before a code is shown again: long enough for the scanner to
/// count the next sighting as a new presentation, as when someone else shows a copy later.
pub const REPLAY_GAP: Duration = Duration::from_millis(1500);

pub struct World {
    /// The phone the simulated camera films; `None` when training is graded headless (the
    /// grader reads each code off the phone itself).
    pub phone: Option<Phone>,
    /// The service as the phone app reaches it: never behind the trainer's faults.
    pub app: Arc<ServiceClient>,
    pub forgery: Forgery,
    /// Where the fixtures are (training's corrupt frame is one of them).
    pub fixtures: PathBuf,
    /// Training's fault switches.
    pub switchboard: Option<Arc<Switchboard>>,
    /// The simulated 2D code reader: a pseudo-terminal the real serial reader reads.
    pub reader: Option<PseudoReader>,
    /// The service's cards, asked for once.
    cards: OnceCell<Vec<CardSummary>>,
    /// The holders' secrets the phone presents to get a code (the fixtures' travellers,
    /// enrolled when the in-process service started).
    holders: HashMap<CardRef, String>,
}

impl World {
    pub fn new(app: Arc<ServiceClient>, forgery: Forgery, fixtures: PathBuf) -> World {
        World {
            phone: None,
            app,
            forgery,
            fixtures,
            switchboard: None,
            reader: None,
            cards: OnceCell::new(),
            holders: HashMap::new(),
        }
    }

    pub fn with_holders(mut self, holders: HashMap<CardRef, String>) -> World {
        self.holders = holders;
        self
    }

    /// A fresh code for `card`, as the holder's phone app gets one: with the holder's
    /// secret when the phone knows it.
    pub async fn mint(&self, card: CardRef) -> Result<MintedToken, ServiceError> {
        let secret = self.holders.get(&card).map(String::as_str);
        self.app.mint_as(card, secret).await
    }

    pub fn with_phone(mut self, phone: Phone) -> World {
        self.phone = Some(phone);
        self
    }

    pub fn with_switchboard(mut self, switchboard: Arc<Switchboard>) -> World {
        self.switchboard = Some(switchboard);
        self
    }

    pub fn with_reader(mut self, reader: PseudoReader) -> World {
        self.reader = Some(reader);
        self
    }

    /// Sends `code` down the simulated reader's line, as a serial imager would (CRLF).
    pub fn through_reader(&self, code: &str) -> Result<(), String> {
        let reader = self
            .reader
            .as_ref()
            .ok_or("this console has no simulated reader")?;
        reader
            .write(format!("{code}\r\n").as_bytes())
            .map_err(|e| format!("the simulated reader could not send the code ({e})"))
    }

    pub fn show(&self, code: &str) {
        if let Some(phone) = &self.phone {
            phone.show(code);
        }
    }

    pub fn hide(&self) {
        if let Some(phone) = &self.phone {
            phone.hide();
        }
    }

    /// Shows `code` again after the phone was away for [`REPLAY_GAP`].
    pub async fn show_again(&self, code: &str) {
        if let Some(phone) = &self.phone {
            phone.hide();
            tokio::time::sleep(REPLAY_GAP).await;
            phone.show(code);
        }
    }

    /// The service's cards (asked for once).
    pub async fn cards(&self) -> Result<&[CardSummary], ServiceError> {
        self.cards
            .get_or_try_init(|| self.app.cards())
            .await
            .map(Vec::as_slice)
    }

    /// The card of a traveller, by id (`T03`) or scenario name.
    pub async fn card_of(&self, who: &str) -> Result<Option<CardRef>, ServiceError> {
        Ok(self
            .cards()
            .await?
            .iter()
            .find(|c| c.traveller == who || c.scenario == who)
            .map(|c| c.card))
    }

    /// A trust list as the lane receives it: in a stale-trust-list drill, a day and more old.
    pub fn age_trust_list(&self, trust: &mut TrustList) {
        if let Some(board) = &self.switchboard {
            board.age_trust_list(trust);
        }
    }
}
