//! A card's life after issue (revoke, suspend, report lost, reinstate), the trips approved
//! exits use, and how long verification records are kept. The rules are pure functions
//! here; both store back ends apply them inside their transactions.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::domain::checkpoint::Region;
use crate::domain::holder::CardStatus;

use super::store::{EndorsementRow, Store};

pub const DEFAULT_RETAIN_DAYS: u32 = 90;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CardAction {
    Revoke,
    Suspend,
    ReportLost,
    Reinstate,
}

impl CardAction {
    pub const ALL: [CardAction; 4] = [
        CardAction::Revoke,
        CardAction::Suspend,
        CardAction::ReportLost,
        CardAction::Reinstate,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CardAction::Revoke => "revoke",
            CardAction::Suspend => "suspend",
            CardAction::ReportLost => "report-lost",
            CardAction::Reinstate => "reinstate",
        }
    }

    /// The status a card has after this action.
    pub fn target(self) -> CardStatus {
        match self {
            CardAction::Revoke => CardStatus::Revoked,
            CardAction::Suspend => CardStatus::Suspended,
            CardAction::ReportLost => CardStatus::ReportedLost,
            CardAction::Reinstate => CardStatus::Active,
        }
    }

    /// Whether the action applies to a card with status `from`. Revocation is final (a
    /// revoked card's holder is issued a new card); a suspended or lost card that turns up
    /// can be reinstated; a lost card cannot be "suspended" back from lost.
    pub fn allowed_from(self, from: CardStatus) -> bool {
        use CardStatus::*;
        match self {
            CardAction::Revoke => from != Revoked,
            CardAction::Suspend => from == Active,
            CardAction::ReportLost => matches!(from, Active | Suspended),
            CardAction::Reinstate => matches!(from, Suspended | ReportedLost),
        }
    }

    /// What happens to a card with status `from`: `Ok(Some(to))` changes it, `Ok(None)`
    /// means it already has the status the action leads to, `Err(())` means the action does
    /// not apply.
    #[allow(clippy::result_unit_err)]
    pub fn apply(self, from: CardStatus) -> Result<Option<CardStatus>, ()> {
        if from == self.target() {
            Ok(None)
        } else if self.allowed_from(from) {
            Ok(Some(self.target()))
        } else {
            Err(())
        }
    }
}

impl fmt::Display for CardAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CardAction {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        CardAction::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| {
                format!("unknown card action {s:?}: use revoke, suspend, report-lost or reinstate")
            })
    }
}

/// The endorsement an approved exit uses: the same one the lane's endorsement check passed
/// (`domain::checks::rules`): on an Exit-Entry Permit, for one of the checkpoint's
/// destinations, valid on the day, with trips left; the first such in the record.
pub(crate) fn pick_endorsement<'a>(
    rows: &'a [EndorsementRow],
    destinations: &[Region],
    on: NaiveDate,
) -> Option<&'a EndorsementRow> {
    rows.iter().find(|r| {
        let e = &r.endorsement;
        destinations.contains(&e.destination)
            && e.valid_from <= on
            && on <= e.valid_until
            && e.trips.left(e.trips_used) != Some(0)
    })
}

/// Prunes verification records older than `retain_days` now and then every `every`, until
/// the returned task is aborted. Several instances pruning at once only repeat each other's
/// deletes.
pub fn spawn_pruner(
    store: Arc<dyn Store>,
    clock: Arc<dyn crate::domain::clock::Clock>,
    retain_days: u32,
    every: Duration,
    metrics: super::metrics::Metrics,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let before = clock.now() - chrono::Duration::days(i64::from(retain_days));
            match store.prune(before).await {
                Ok(n) => {
                    metrics.pruned(n);
                    if n > 0 {
                        tracing::info!(
                            records = n,
                            retain_days,
                            "pruned verification records older than the retention period"
                        );
                    }
                }
                Err(e) => tracing::warn!("could not prune old verification records: {e}"),
            }
            tokio::time::sleep(every).await;
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use CardStatus::*;

    #[test]
    fn revocation_is_final_and_reinstating_needs_a_suspended_or_lost_card() {
        assert_eq!(CardAction::Revoke.apply(Active), Ok(Some(Revoked)));
        assert_eq!(CardAction::Revoke.apply(Revoked), Ok(None));
        assert_eq!(CardAction::Reinstate.apply(Revoked), Err(()));
        assert_eq!(CardAction::Reinstate.apply(Suspended), Ok(Some(Active)));
        assert_eq!(CardAction::Reinstate.apply(ReportedLost), Ok(Some(Active)));
        assert_eq!(CardAction::Reinstate.apply(Active), Ok(None));
        assert_eq!(CardAction::Suspend.apply(ReportedLost), Err(()));
        assert_eq!(
            CardAction::ReportLost.apply(Suspended),
            Ok(Some(ReportedLost))
        );
        for a in CardAction::ALL {
            assert_eq!(a.as_str().parse::<CardAction>(), Ok(a));
        }
        assert!(
            "lost"
                .parse::<CardAction>()
                .unwrap_err()
                .contains("report-lost")
        );
    }
}
