//! Whether the lane's clock can be trusted. Every time check (the code's window, the trust
//! list's age, document and endorsement validity, stay limits) reads the lane's own clock;
//! this says how far that clock is from the service's, and so how far those checks can be
//! believed.
//!
//! The lane learns the offset at every health check: the service says its time, and half
//! the round trip bounds the error. Offline, the last offset learned stands, except that a
//! lane clock that went backwards since (against the monotonic clock, which nobody can set)
//! is never trusted: the offset grows by how far it went back. A clock that ran ahead of the
//! monotonic one is not taken as wrong, because a suspended machine's monotonic clock stops
//! while its wall clock rightly runs on.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::lang::Lang;

/// Above this offset the header warns and the time checks say they depend on the clock.
pub const WARN_AFTER: Duration = Duration::from_secs(30);
/// Above this offset the code's validity window cannot be judged: its check is unknown.
pub const DISTRUST_AFTER: Duration = Duration::from_secs(300);

/// The service's time minus the lane's: positive when the lane's clock is behind. The audit
/// record of a decision carries the one known then.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Offset {
    pub ms: i64,
    /// How far the true offset may be from `ms`: half the round trip it was measured over.
    pub error_ms: i64,
    /// Measured at a health check (true), or only bounded since, offline (false).
    pub measured: bool,
}

impl Offset {
    /// The offset in whole seconds, rounded toward zero.
    pub fn secs(&self) -> i64 {
        self.ms / 1000
    }

    /// "2 min 5 s behind", "12 s ahead": how the lane's clock stands against the service's.
    pub fn describe(&self, lang: Lang) -> String {
        let amount = amount(self.ms.unsigned_abs() / 1000, lang);
        let side = if self.ms >= 0 {
            lang.pick("behind", "慢", "慢")
        } else {
            lang.pick("ahead", "快", "快")
        };
        match lang {
            Lang::En => format!("{amount} {side}"),
            _ => format!("{side}{amount}"),
        }
    }
}

impl Offset {
    /// "2 min 5 s behind the service's clock", for sentences.
    pub fn against_service(&self, lang: Lang) -> String {
        let amount = amount(self.ms.unsigned_abs() / 1000, lang);
        match (lang, self.ms >= 0) {
            (Lang::En, true) => format!("{amount} behind the service's clock"),
            (Lang::En, false) => format!("{amount} ahead of the service's clock"),
            (_, behind) => format!(
                "{}{}{amount}",
                lang.pick("", "比服务时钟", "比服務時鐘"),
                if behind { "慢" } else { "快" }
            ),
        }
    }
}

/// The finding of a code whose window was left unjudged on a clock `offset_secs` off.
pub fn window_unknown(offset_secs: i64, lang: Lang) -> String {
    let o = Offset {
        ms: offset_secs * 1000,
        error_ms: 0,
        measured: true,
    };
    match lang {
        Lang::En => format!(
            "Validity window not judged: this console's clock is {}. Have it set right.",
            o.against_service(lang)
        ),
        _ => format!(
            "{}{}{}",
            lang.pick("", "未判断有效期：本机时钟", "未判斷有效期：本機時鐘"),
            o.against_service(lang),
            lang.pick("", "。请校准时钟。", "。請校準時鐘。")
        ),
    }
}

/// "45 s", "2 min 5 s", "3 h 10 min" (and the same in Chinese).
fn amount(secs: u64, lang: Lang) -> String {
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    let [hu, mu, su] = lang.pick(
        [" h", " min", " s"],
        ["小时", "分钟", "秒"],
        ["小時", "分鐘", "秒"],
    );
    // The larger unit and the next, leaving out a next one that is zero: "12 min".
    let parts = match (h, m, s) {
        (0, 0, s) => vec![format!("{s}{su}")],
        (0, m, 0) => vec![format!("{m}{mu}")],
        (0, m, s) => vec![format!("{m}{mu}"), format!("{s}{su}")],
        (h, 0, _) => vec![format!("{h}{hu}")],
        (h, m, _) => vec![format!("{h}{hu}"), format!("{m}{mu}")],
    };
    parts.join(lang.pick(" ", "", ""))
}

/// The last offset measured, with the lane's wall and monotonic clocks when it was: what
/// bounds the offset offline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Learned {
    pub offset: Offset,
    pub wall: DateTime<Utc>,
    pub mono: Duration,
}

impl Learned {
    /// From one round trip: the lane's wall clock and monotonic clock when the request left,
    /// the monotonic clock when the answer came, and the time the service said. The service
    /// read its clock somewhere within the round trip: its middle is the best guess, and
    /// half the round trip the most it can be off (plus the service's millisecond).
    pub fn from_round_trip(
        sent_wall: DateTime<Utc>,
        sent_mono: Duration,
        received_mono: Duration,
        service: DateTime<Utc>,
    ) -> Learned {
        let rtt = received_mono.saturating_sub(sent_mono);
        let half = TimeDelta::from_std(rtt / 2).unwrap_or_default();
        let middle = sent_wall + half;
        Learned {
            offset: Offset {
                ms: (service - middle).num_milliseconds(),
                error_ms: half.num_milliseconds() + 1,
                measured: true,
            },
            wall: sent_wall + TimeDelta::from_std(rtt).unwrap_or_default(),
            mono: received_mono,
        }
    }

    /// What the lane can say of its clock at (`wall`, `mono`) without asking the service:
    /// the offset learned, grown by however far the wall clock fell behind the monotonic
    /// one since.
    pub fn since(&self, wall: DateTime<Utc>, mono: Duration) -> Offset {
        let elapsed = TimeDelta::from_std(mono.saturating_sub(self.mono)).unwrap_or_default();
        let fell_behind = (self.wall + elapsed - wall).num_milliseconds();
        Offset {
            ms: self.offset.ms + fell_behind.max(0),
            error_ms: self.offset.error_ms,
            measured: false,
        }
    }
}

/// The thresholds, from the lane configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockPolicy {
    pub warn_after: Duration,
    pub distrust_after: Duration,
}

impl Default for ClockPolicy {
    fn default() -> Self {
        ClockPolicy {
            warn_after: WARN_AFTER,
            distrust_after: DISTRUST_AFTER,
        }
    }
}

/// How far the lane's clock can be believed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// No offset learned yet (the service never answered a health check).
    Unchecked,
    /// Within [`ClockPolicy::warn_after`].
    Good(Offset),
    /// Beyond it: the header warns, time checks say they depend on the clock.
    Doubtful(Offset),
    /// Beyond [`ClockPolicy::distrust_after`]: the code's window is unknown.
    Untrusted(Offset),
}

impl ClockPolicy {
    pub fn standing(&self, offset: Option<Offset>) -> Standing {
        let Some(o) = offset else {
            return Standing::Unchecked;
        };
        let off = Duration::from_millis(o.ms.unsigned_abs());
        if off > self.distrust_after {
            Standing::Untrusted(o)
        } else if off > self.warn_after {
            Standing::Doubtful(o)
        } else {
            Standing::Good(o)
        }
    }
}

impl Standing {
    /// The offset, when it is far enough off to be said next to every time check.
    pub fn caveat(&self) -> Option<Offset> {
        match self {
            Standing::Doubtful(o) | Standing::Untrusted(o) => Some(*o),
            _ => None,
        }
    }

    /// The offset, when the code's window cannot be judged on this clock.
    pub fn untrusted(&self) -> Option<Offset> {
        match self {
            Standing::Untrusted(o) => Some(*o),
            _ => None,
        }
    }

    /// What a time check adds when it ran on a doubtful clock: short, as it follows every
    /// one of them.
    pub fn caveat_sentence(&self, lang: Lang) -> Option<String> {
        let o = self.caveat()?;
        Some(match lang {
            Lang::En => format!("(on this console's clock, {})", o.describe(lang)),
            _ => format!(
                "{}{}）",
                lang.pick("", "（按本机时钟，", "（按本機時鐘，"),
                o.describe(lang)
            ),
        })
    }
}

/// What the lane knows of its clock: the policy, the offset learned (or bounded since), and
/// the last wall time it saw, to notice a clock set back between two messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LaneClock {
    pub policy: ClockPolicy,
    pub offset: Option<Offset>,
    pub last_seen: Option<DateTime<Utc>>,
}

/// A wall clock that steps back less than this between two messages is jitter, not a jump.
const JUMP: TimeDelta = TimeDelta::seconds(1);

impl LaneClock {
    pub fn standing(&self) -> Standing {
        self.policy.standing(self.offset)
    }

    /// Sees the wall clock at `now`. Messages come at least once a second, and no time
    /// passes backwards between two of them: a clock that reads earlier than the last
    /// message was set back, and the offset grows by as much, until the next health check
    /// measures it. True when it did (the caller asks for a health check); with no offset
    /// learned yet there is nothing to hold it against.
    pub fn observe(&mut self, now: DateTime<Utc>) -> bool {
        let last = self.last_seen.replace(now);
        let back = last.map(|l| l - now).filter(|b| *b > JUMP);
        match (back, self.offset.as_mut()) {
            (Some(back), Some(o)) => {
                o.ms += back.num_milliseconds();
                o.measured = false;
                true
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + secs, 0).unwrap()
    }

    fn offset(secs: i64) -> Option<Offset> {
        Some(Offset {
            ms: secs * 1000,
            error_ms: 5,
            measured: true,
        })
    }

    #[test]
    fn a_round_trip_gives_the_offset_from_its_middle_and_half_of_it_as_the_error() {
        // Sent at lane 0 s, answered 200 ms later; the service said lane time + 60 s + 100 ms.
        let service = at(60) + TimeDelta::milliseconds(100);
        let l = Learned::from_round_trip(
            at(0),
            Duration::from_secs(10),
            Duration::from_millis(10_200),
            service,
        );
        assert_eq!(l.offset.ms, 60_000);
        assert_eq!(l.offset.error_ms, 101);
        assert!(l.offset.measured);
        assert_eq!(l.wall, at(0) + TimeDelta::milliseconds(200));
    }

    #[test]
    fn offline_a_clock_set_back_is_never_trusted_and_one_run_ahead_is_not_blamed() {
        let l = Learned {
            offset: Offset {
                ms: 0,
                error_ms: 3,
                measured: true,
            },
            wall: at(0),
            mono: Duration::from_secs(100),
        };
        // 10 s later by the monotonic clock, the wall clock says 10 minutes earlier.
        let back = l.since(at(-600), Duration::from_secs(110));
        assert_eq!(back.ms, 610_000, "behind by as much as it went back");
        assert!(!back.measured);
        // Ran on normally: the offset learned stands.
        assert_eq!(l.since(at(10), Duration::from_secs(110)).ms, 0);
        // Ahead of the monotonic clock (a suspend): not counted against the clock.
        assert_eq!(l.since(at(3600), Duration::from_secs(110)).ms, 0);
    }

    #[test]
    fn thresholds_make_the_clock_good_doubtful_or_untrusted_on_either_side() {
        let p = ClockPolicy::default();
        assert_eq!(p.standing(None), Standing::Unchecked);
        assert!(matches!(p.standing(offset(30)), Standing::Good(_)));
        assert!(matches!(p.standing(offset(-31)), Standing::Doubtful(_)));
        assert!(matches!(p.standing(offset(300)), Standing::Doubtful(_)));
        assert!(matches!(p.standing(offset(-301)), Standing::Untrusted(_)));
        assert!(p.standing(offset(45)).caveat().is_some());
        assert!(p.standing(offset(45)).untrusted().is_none());
        assert!(p.standing(offset(600)).untrusted().is_some());
    }

    #[test]
    fn a_clock_set_back_between_two_messages_grows_the_offset_at_once() {
        let mut c = LaneClock {
            offset: offset(0),
            ..LaneClock::default()
        };
        assert!(!c.observe(at(0)));
        assert!(!c.observe(at(1)));
        assert!(c.observe(at(-599)));
        assert_eq!(c.offset.unwrap().ms, 600_000);
        assert!(matches!(c.standing(), Standing::Untrusted(_)));
        // Forward is not a jump to hold against it.
        assert!(!c.observe(at(3600)));
    }

    #[test]
    fn offsets_are_said_in_each_language() {
        let o = |ms| Offset {
            ms,
            error_ms: 0,
            measured: true,
        };
        assert_eq!(o(125_000).describe(Lang::En), "2 min 5 s behind");
        assert_eq!(o(-12_000).describe(Lang::En), "12 s ahead");
        assert_eq!(o(-3_700_000).describe(Lang::ZhHans), "快1小时1分钟");
        let s = ClockPolicy::default().standing(Some(o(-45_000)));
        assert_eq!(
            s.caveat_sentence(Lang::En).unwrap(),
            "(on this console's clock, 45 s ahead)"
        );
    }
}
