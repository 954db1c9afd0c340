//! Every label the console shows, in English, Simplified and Traditional Chinese.
//!
//! Labels are an enum, so a missing translation is a compile error, not a blank on screen.

use unicode_width::UnicodeWidthStr;

mod labels;

pub use crate::domain::lang::Lang;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum L {
    Checkpoint,
    Lane,
    Officer,
    Entry,
    Exit,
    EntryShort,
    ExitShort,
    OfflineShort,
    Online,
    Offline,
    Connecting,
    TokenRefused,
    TokenRefusedShort,
    TokenRefusedNotice,
    TrustList,
    TrustNone,
    TrustShort,
    Fps,
    Camera,
    NoFrames,
    HintHoldUp,
    HintHoldStill,
    HintRead,
    HintCameraFailed,
    HintWaitingForImages,
    Traveller,
    NoTraveller,
    WaitingForService,
    LookupOffline,
    LookupRefused,
    LookupUnusable,
    LookupWhatNow,
    Name,
    Sex,
    Male,
    Female,
    BirthDate,
    Residency,
    Card,
    Documents,
    NoDocuments,
    Number,
    Valid,
    Until,
    LongTerm,
    Endorsements,
    TripsLeft,
    Unlimited,
    Checks,
    NothingYet,
    Suggested,
    SuggestApprove,
    SuggestReview,
    SuggestEscalate,
    Approve,
    Flag,
    Escalate,
    Clear,
    Reveal,
    Help,
    History,
    Language,
    Quit,
    Select,
    Close,
    Confirm,
    Cancel,
    Toggle,
    NextField,
    Approved,
    Flagged,
    Escalated,
    Recording,
    RecordedWaiting,
    RecordedSent,
    NotRecorded,
    RecordedLocal,
    Outbox,
    HandedOff,
    FlagTitle,
    EscalateTitle,
    OverrideTitle,
    OverrideExplain,
    ReasonCodes,
    ReferralReason,
    Note,
    NeedReason,
    NeedNote,
    QuitTitle,
    QuitExplain,
    Yes,
    No,
    HelpTitle,
    HistoryTitle,
    NoHistory,
    PendingCode,
    Revealed,
    NothingToReplay,
    LookFirst,
    CannotApprove,
    ForgedCodeFor,
    LastCodeAgain,
    Override,
    Demo,
    DemoKeys,
    DemoForged,
    DemoReplay,
    DemoNext,
    Portrait,
    NoPortrait,
    Outline,
    Age,
    Years,
    Refused,
    Training,
    Paused,
    ScoreTitle,
    Right,
    Wrong,
    MissedFailure,
    NoDecisionMade,
    PerTraveller,
    TrainPause,
    TrainSkip,
    TrainRestart,
    Expected,
    Score,
    StayUpTo,
    BarIdle,
    BarChecking,
    WithOverride,
    Undecided,
    CodeWaiting,
    OverrideChecks,
    OverrideReasonHeading,
    OverrideConfirm,
    TooSmall,
    TooSmallExplain,
    Passed,
    More,
    Symbols,
    SymbolPass,
    SymbolWarn,
    SymbolUnknown,
    SymbolFail,
    DecisionKeysBlocked,
    Critical,
    NotPassed,
    PassedSession,
    Reader,
    ReaderKeyboard,
    ReaderNotConnected,
    ReaderBack,
    ReaderLost,
    ReaderIgnored,
    ReaderCutShort,
    Clock,
    ClockCodeTimesUnknown,
    DemoReader,
    NoCodeOnPhone,
}

impl L {
    pub fn get(self, lang: Lang) -> &'static str {
        let (en, hans, hant) = self.texts();
        lang.pick(en, hans, hant)
    }
}

/// `text` padded with spaces to `width` terminal columns (wide characters count as two).
pub fn pad(text: &str, width: usize) -> String {
    let w = text.width();
    if w >= width {
        text.to_owned()
    } else {
        format!("{text}{}", " ".repeat(width - w))
    }
}

/// The widest of some labels, in terminal columns: labels in a column line up.
pub fn column_width(labels: &[L], lang: Lang) -> usize {
    labels
        .iter()
        .map(|l| l.get(lang).width())
        .max()
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padding_counts_wide_characters_as_two_columns() {
        assert_eq!(pad("姓名", 6), "姓名  ");
        assert_eq!(pad("Name", 6), "Name  ");
        assert_eq!(column_width(&[L::Name, L::BirthDate], Lang::ZhHans), 8);
    }

    #[test]
    fn chinese_labels_are_chinese() {
        // A label left in English in a Chinese screen is a missed translation.
        for l in [
            L::Approve,
            L::Flag,
            L::Escalate,
            L::Documents,
            L::Checks,
            L::Traveller,
        ] {
            for lang in [Lang::ZhHans, Lang::ZhHant] {
                assert!(
                    l.get(lang).chars().any(|c| c as u32 > 0x2e80),
                    "{l:?} {lang}"
                );
            }
        }
    }
}
