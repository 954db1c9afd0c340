//! What an officer decides about a traveller, and the reasons a decision can give.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::checks::{Check, CheckId, Outcome};
use super::lang::Lang;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DecisionKind {
    Approve,
    Flag,
    Escalate,
}

/// Declares a reason-code enum: its wire names (kept in the audit log, sent to the service,
/// named in training sessions) and its label in English, Simplified and Traditional Chinese.
macro_rules! reasons {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $wire:literal, [$en:literal, $hans:literal, $hant:literal];)+ }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($variant,)+
        }

        impl $name {
            /// Every reason, in the order the dialog lists them.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            pub fn wire(self) -> &'static str {
                match self {
                    $($name::$variant => $wire,)+
                }
            }

            pub fn parse(text: &str) -> Option<$name> {
                match text {
                    $($wire => Some($name::$variant),)+
                    _ => None,
                }
            }

            pub fn label(self, lang: Lang) -> &'static str {
                let [en, hans, hant] = match self {
                    $($name::$variant => [$en, $hans, $hant],)+
                };
                match lang {
                    Lang::En => en,
                    Lang::ZhHans => hans,
                    Lang::ZhHant => hant,
                }
            }

            /// Position in [`Self::ALL`] (the dialog's order).
            pub fn index(self) -> usize {
                Self::ALL.iter().position(|r| *r == self).unwrap_or(0)
            }

            /// The wire names of all reasons, for messages that list what may be given.
            pub fn known() -> String {
                Self::ALL.iter().map(|r| r.wire()).collect::<Vec<_>>().join(", ")
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.wire())
            }
        }
    };
}

reasons! {
    /// Why an officer flags a traveller (several may be given).
    FlagReason {
        IdentityDoubt = "identity-doubt", ["Face does not match the portrait", "人像与照片不符", "人像與照片不符"];
        DocumentProblem = "document-problem", ["Document problem", "证件有问题", "證件有問題"];
        InconsistentAnswers = "inconsistent-answers", ["Inconsistent answers", "回答前后矛盾", "回答前後矛盾"];
        PurposeOfVisit = "purpose-of-visit", ["Purpose of visit unclear", "来访目的不明", "來訪目的不明"];
        GoodsDeclaration = "goods-declaration", ["Goods to declare", "有物品需申报", "有物品需申報"];
        Other = "other", ["Other (see note)", "其他（见备注）", "其他（見備註）"];
    }
}

reasons! {
    /// Why an officer refers a traveller to second line (one is given).
    ReferralReason {
        WatchList = "watch-list", ["Watch-list alert", "布控预警", "布控預警"];
        ForgedCode = "forged-code", ["Forged or replayed code", "伪造或重复使用的二维码", "偽造或重複使用的二維碼"];
        Card = "card", ["E-card revoked, suspended or lost", "电子证卡已吊销、暂停或挂失", "電子證卡已吊銷、暫停或掛失"];
        Identity = "identity", ["Identity in doubt", "身份存疑", "身份存疑"];
        Documents = "documents", ["Documents invalid or inconsistent", "证件无效或不一致", "證件無效或不一致"];
        Overstay = "overstay", ["Overstay or stay conditions", "逾期逗留", "逾期逗留"];
        Other = "other", ["Other (see note)", "其他（见备注）", "其他（見備註）"];
    }
}

impl ReferralReason {
    /// The referral reason the checks point to, the most serious first: a watch-list hit,
    /// a forged or replayed code, a card that is not active, documents that disagree about
    /// who the holder is, a document failure, an overstay; else identity in doubt.
    pub fn suggested(checks: &[Check]) -> ReferralReason {
        let failed = |pick: &dyn Fn(CheckId) -> bool| {
            checks
                .iter()
                .any(|c| c.outcome == Outcome::Fail && pick(c.id))
        };
        let order: [(&dyn Fn(CheckId) -> bool, ReferralReason); 7] = [
            (&|id| id == CheckId::WatchList, ReferralReason::WatchList),
            (
                &|id| {
                    matches!(
                        id,
                        CheckId::CodeSignature | CheckId::CodeNotReplayed | CheckId::Service
                    )
                },
                ReferralReason::ForgedCode,
            ),
            (&|id| id == CheckId::CardActive, ReferralReason::Card),
            (
                &|id| id == CheckId::IdentityConsistent,
                ReferralReason::Identity,
            ),
            (&|id| id.is_document(), ReferralReason::Documents),
            (&|id| id == CheckId::StayLimit, ReferralReason::Overstay),
            (&|id| id == CheckId::CodeFresh, ReferralReason::Other),
        ];
        order
            .into_iter()
            .find(|(pick, _)| failed(*pick))
            .map_or(ReferralReason::Identity, |(_, reason)| reason)
    }
}

impl FlagReason {
    /// The flag reasons the checks point to: a document problem when a document, the
    /// card or the identity fields failed. The officer can tick others or untick these.
    pub fn suggested(checks: &[Check]) -> Vec<FlagReason> {
        let document = checks.iter().any(|c| {
            c.outcome == Outcome::Fail
                && (c.id.is_document()
                    || matches!(c.id, CheckId::CardActive | CheckId::IdentityConsistent))
        });
        if document {
            vec![FlagReason::DocumentProblem]
        } else {
            vec![]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_read_back_from_their_wire_names() {
        for r in FlagReason::ALL {
            assert_eq!(FlagReason::parse(r.wire()), Some(*r));
        }
        for r in ReferralReason::ALL {
            assert_eq!(ReferralReason::parse(r.wire()), Some(*r));
        }
        assert_eq!(FlagReason::parse("nope"), None);
        assert_eq!(
            ReferralReason::Documents.label(Lang::ZhHant),
            "證件無效或不一致"
        );
    }
}
