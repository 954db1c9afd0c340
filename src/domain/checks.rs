//! First-line checks: what the console knows about a presentation, check by check, each with
//! an outcome and a sentence in the officer's language. The checks suggest; the officer
//! decides.

use chrono::NaiveDate;

use super::checkpoint::{Checkpoint, Direction, Region};
use super::credential::{CredentialError, clock_time};
use super::documents::{Document, DocumentKind, DocumentStatus, EndorsementType};
use super::holder::{Alert, AlertSeverity, CardStatus, Holder};
use super::lang::Lang;
use super::text::sanitize;

/// A document expiring within this many days is a warning.
pub const EXPIRY_WARNING_DAYS: i64 = 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Outcome {
    Pass,
    Warning,
    /// The service could not be asked, or has not answered yet.
    Unknown,
    Fail,
}

/// What the checks suggest the officer does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Suggestion {
    Approve,
    Review,
    Escalate,
}

/// The lane the checks run for.
#[derive(Debug, Clone, Copy)]
pub struct LaneContext {
    pub checkpoint: &'static Checkpoint,
    pub direction: Direction,
}

/// What the offline verification of the code found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeFacts {
    Genuine,
    Refused(CredentialError),
    /// No trust list yet: only the service can say.
    NotChecked,
}

/// What the issuance service said, so far.
#[derive(Debug, Clone, Copy)]
pub enum ServiceFacts<'a> {
    Waiting,
    /// Not asked (the code was refused offline).
    NotAsked,
    Unavailable,
    Refused {
        code: &'a str,
    },
    Answered(Record<'a>),
}

/// The service's record of the card and its holder, as the checks need it.
#[derive(Debug, Clone, Copy)]
pub struct Record<'a> {
    pub card_status: CardStatus,
    pub holder: &'a Holder,
    pub documents: &'a [Document],
    pub alerts: &'a [Alert],
    /// Where and when this same code was first presented, when it was.
    pub presented_before: Option<FirstPresentation<'a>>,
}

#[derive(Debug, Clone, Copy)]
pub struct FirstPresentation<'a> {
    pub checkpoint: &'a str,
    pub lane: &'a str,
    pub at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// Stable id, e.g. `card-active` or `document-valid/exit-entry-permit`.
    pub id: String,
    pub outcome: Outcome,
    pub finding: Finding,
}

/// What a check found, in enough detail to say it in any language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    CodeGenuine,
    CodeRefused(CredentialError),
    CodeNotCheckedOffline,
    CodeFresh,
    NotReplayed,
    ReplayedHere {
        first_seen: i64,
    },
    ReplayedElsewhere {
        checkpoint: String,
        lane: String,
        at: i64,
    },
    ReplayOnlyCheckedHere,
    WaitingForService,
    ServiceUnavailable,
    ServiceRefused {
        code: String,
    },
    Card(CardStatus),
    DocumentValid {
        kind: DocumentKind,
        until: Option<NaiveDate>,
    },
    DocumentExpiring {
        kind: DocumentKind,
        until: NaiveDate,
        days: i64,
    },
    DocumentExpired {
        kind: DocumentKind,
        on: NaiveDate,
    },
    DocumentNotValid {
        kind: DocumentKind,
        status: DocumentStatus,
    },
    NumberWellFormed {
        kind: DocumentKind,
    },
    NumberMalformed {
        kind: DocumentKind,
    },
    RequiredPresent {
        kind: DocumentKind,
    },
    RequiredMissing {
        kind: DocumentKind,
    },
    EndorsementValid {
        destination: Region,
        until: NaiveDate,
        trips_left: Option<u32>,
    },
    EndorsementExpired {
        destination: Region,
        on: NaiveDate,
    },
    EndorsementNoTrips {
        destination: Region,
    },
    EndorsementMissing {
        destination: Region,
    },
    NoAlerts,
    Alert {
        code: String,
        severity: AlertSeverity,
        message: String,
    },
}

/// Runs every check that can run with what is known.
pub fn evaluate(
    lane: LaneContext,
    code: &CodeFacts,
    service: ServiceFacts<'_>,
    today: NaiveDate,
) -> Vec<Check> {
    let mut checks = code_checks(code, service);
    if matches!(code, CodeFacts::Refused(_)) {
        return checks;
    }
    match service {
        ServiceFacts::Answered(v) => checks.extend(record_checks(lane, v, today)),
        ServiceFacts::Waiting => checks.push(check(
            "service",
            Outcome::Unknown,
            Finding::WaitingForService,
        )),
        ServiceFacts::Unavailable => checks.push(check(
            "service",
            Outcome::Unknown,
            Finding::ServiceUnavailable,
        )),
        ServiceFacts::Refused { code } => checks.push(check(
            "service",
            Outcome::Fail,
            Finding::ServiceRefused {
                code: sanitize(code),
            },
        )),
        ServiceFacts::NotAsked => {}
    }
    checks
}

fn check(id: &str, outcome: Outcome, finding: Finding) -> Check {
    Check {
        id: id.to_owned(),
        outcome,
        finding,
    }
}

fn code_checks(code: &CodeFacts, service: ServiceFacts<'_>) -> Vec<Check> {
    let mut out = Vec::new();
    match code {
        CodeFacts::Refused(
            e @ (CredentialError::Expired { .. } | CredentialError::NotYetValid { .. }),
        ) => {
            out.push(check("code-signature", Outcome::Pass, Finding::CodeGenuine));
            out.push(check(
                "code-fresh",
                Outcome::Fail,
                Finding::CodeRefused(e.clone()),
            ));
        }
        CodeFacts::Refused(CredentialError::Replayed { first_seen }) => {
            out.push(check("code-signature", Outcome::Pass, Finding::CodeGenuine));
            out.push(check("code-fresh", Outcome::Pass, Finding::CodeFresh));
            out.push(check(
                "code-not-replayed",
                Outcome::Fail,
                Finding::ReplayedHere {
                    first_seen: *first_seen,
                },
            ));
        }
        CodeFacts::Refused(e) => out.push(check(
            "code-signature",
            Outcome::Fail,
            Finding::CodeRefused(e.clone()),
        )),
        CodeFacts::Genuine | CodeFacts::NotChecked => {
            let (outcome, finding) = if *code == CodeFacts::Genuine {
                (Outcome::Pass, Finding::CodeGenuine)
            } else {
                match service {
                    ServiceFacts::Answered(_) => (Outcome::Pass, Finding::CodeGenuine),
                    _ => (Outcome::Unknown, Finding::CodeNotCheckedOffline),
                }
            };
            out.push(check("code-signature", outcome, finding));
            if outcome == Outcome::Pass {
                out.push(check("code-fresh", Outcome::Pass, Finding::CodeFresh));
            }
            out.push(replay_check(service));
        }
    }
    out
}

fn replay_check(service: ServiceFacts<'_>) -> Check {
    match service {
        ServiceFacts::Answered(v) => match v.presented_before {
            Some(first) => check(
                "code-not-replayed",
                Outcome::Fail,
                Finding::ReplayedElsewhere {
                    checkpoint: sanitize(first.checkpoint),
                    lane: sanitize(first.lane),
                    at: first.at,
                },
            ),
            None => check("code-not-replayed", Outcome::Pass, Finding::NotReplayed),
        },
        _ => check(
            "code-not-replayed",
            Outcome::Unknown,
            Finding::ReplayOnlyCheckedHere,
        ),
    }
}

fn record_checks(lane: LaneContext, v: Record<'_>, today: NaiveDate) -> Vec<Check> {
    let mut out = Vec::new();
    let card_outcome = if v.card_status == CardStatus::Active {
        Outcome::Pass
    } else {
        Outcome::Fail
    };
    out.push(check(
        "card-active",
        card_outcome,
        Finding::Card(v.card_status),
    ));
    let required = required_document(v.holder.residency, lane.direction);
    match v.documents.iter().find(|d| d.kind == required) {
        Some(_) => out.push(check(
            "document-required",
            Outcome::Pass,
            Finding::RequiredPresent { kind: required },
        )),
        None => out.push(check(
            "document-required",
            Outcome::Fail,
            Finding::RequiredMissing { kind: required },
        )),
    }
    for doc in v.documents {
        out.push(validity_check(doc, today));
        let kind = doc.kind;
        let slug = kind_slug(kind);
        out.push(match doc.check_number() {
            Ok(()) => check(
                &format!("document-number/{slug}"),
                Outcome::Pass,
                Finding::NumberWellFormed { kind },
            ),
            Err(_) => check(
                &format!("document-number/{slug}"),
                Outcome::Fail,
                Finding::NumberMalformed { kind },
            ),
        });
    }
    if v.holder.residency == Region::Mainland && lane.direction == Direction::Exit {
        out.push(endorsement_check(lane, v, today));
    }
    out.extend(alert_checks(v));
    out
}

/// The document a traveller crosses on, by residency and direction.
pub fn required_document(residency: Region, direction: Direction) -> DocumentKind {
    match (residency, direction) {
        (Region::Mainland, Direction::Exit) => DocumentKind::ExitEntryPermit,
        (Region::Mainland, Direction::Entry) => DocumentKind::ResidentId,
        (Region::HongKong | Region::Macau, _) => DocumentKind::HomeReturnPermit,
    }
}

pub fn kind_slug(kind: DocumentKind) -> &'static str {
    match kind {
        DocumentKind::ResidentId => "resident-id",
        DocumentKind::HomeReturnPermit => "home-return-permit",
        DocumentKind::ExitEntryPermit => "exit-entry-permit",
    }
}

fn validity_check(doc: &Document, today: NaiveDate) -> Check {
    let kind = doc.kind;
    let id = format!("document-valid/{}", kind_slug(kind));
    if doc.status != DocumentStatus::Valid {
        return check(
            &id,
            Outcome::Fail,
            Finding::DocumentNotValid {
                kind,
                status: doc.status,
            },
        );
    }
    match doc.expires {
        Some(until) if until < today => check(
            &id,
            Outcome::Fail,
            Finding::DocumentExpired { kind, on: until },
        ),
        Some(until) if (until - today).num_days() <= EXPIRY_WARNING_DAYS => check(
            &id,
            Outcome::Warning,
            Finding::DocumentExpiring {
                kind,
                until,
                days: (until - today).num_days(),
            },
        ),
        until => check(&id, Outcome::Pass, Finding::DocumentValid { kind, until }),
    }
}

fn endorsement_check(lane: LaneContext, v: Record<'_>, today: NaiveDate) -> Check {
    let id = "endorsement";
    let permit = v
        .documents
        .iter()
        .find(|d| d.kind == DocumentKind::ExitEntryPermit);
    let destinations = lane.checkpoint.destinations;
    let candidates: Vec<_> = permit
        .into_iter()
        .flat_map(|p| &p.endorsements)
        .filter(|e| destinations.contains(&e.destination))
        .collect();
    let destination = destinations.first().copied().unwrap_or(Region::HongKong);
    if candidates.is_empty() {
        return check(
            id,
            Outcome::Fail,
            Finding::EndorsementMissing { destination },
        );
    }
    if let Some(e) = candidates.iter().find(|e| {
        e.valid_from <= today && today <= e.valid_until && e.trips.left(e.trips_used) != Some(0)
    }) {
        return check(
            id,
            Outcome::Pass,
            Finding::EndorsementValid {
                destination: e.destination,
                until: e.valid_until,
                trips_left: e.trips.left(e.trips_used),
            },
        );
    }
    let e = candidates[0];
    if today > e.valid_until || today < e.valid_from {
        check(
            id,
            Outcome::Fail,
            Finding::EndorsementExpired {
                destination: e.destination,
                on: e.valid_until,
            },
        )
    } else {
        check(
            id,
            Outcome::Fail,
            Finding::EndorsementNoTrips {
                destination: e.destination,
            },
        )
    }
}

fn alert_checks(v: Record<'_>) -> Vec<Check> {
    if v.alerts.is_empty() {
        return vec![check("watch-list", Outcome::Pass, Finding::NoAlerts)];
    }
    v.alerts
        .iter()
        .map(|a| {
            let outcome = match a.severity {
                AlertSeverity::High => Outcome::Fail,
                AlertSeverity::Warning => Outcome::Warning,
                AlertSeverity::Info => Outcome::Pass,
            };
            check(
                "watch-list",
                outcome,
                Finding::Alert {
                    code: sanitize(&a.code),
                    severity: a.severity,
                    message: sanitize(&a.message),
                },
            )
        })
        .collect()
}

/// What the checks suggest: escalate for a forged or replayed code or a high alert; review
/// for anything else short of a pass; approve when everything passed.
pub fn suggest(checks: &[Check]) -> Suggestion {
    let escalate = checks.iter().any(|c| {
        let serious = matches!(
            c.id.as_str(),
            "code-signature" | "code-not-replayed" | "watch-list"
        ) || matches!(
            c.finding,
            Finding::Card(CardStatus::Revoked | CardStatus::ReportedLost)
        );
        c.outcome == Outcome::Fail && serious
    });
    if escalate {
        Suggestion::Escalate
    } else if checks.iter().all(|c| c.outcome == Outcome::Pass) {
        Suggestion::Approve
    } else {
        Suggestion::Review
    }
}

/// Whether approving needs an override reason: something failed or could not be checked.
pub fn approval_needs_override(checks: &[Check]) -> bool {
    checks
        .iter()
        .any(|c| matches!(c.outcome, Outcome::Fail | Outcome::Unknown))
}

pub fn document_name(kind: DocumentKind, lang: Lang) -> &'static str {
    match kind {
        DocumentKind::ResidentId => lang.pick("Resident ID", "居民身份证", "居民身份證"),
        DocumentKind::HomeReturnPermit => lang.pick(
            "Home Return Permit",
            "港澳居民来往内地通行证",
            "港澳居民來往內地通行證",
        ),
        DocumentKind::ExitEntryPermit => {
            lang.pick("Exit-Entry Permit", "往来港澳通行证", "往來港澳通行證")
        }
    }
}

pub fn region_name(region: Region, lang: Lang) -> &'static str {
    match region {
        Region::Mainland => lang.pick("mainland", "内地", "內地"),
        Region::HongKong => lang.pick("Hong Kong", "香港", "香港"),
        Region::Macau => lang.pick("Macau", "澳门", "澳門"),
    }
}

pub fn endorsement_name(kind: EndorsementType, lang: Lang) -> &'static str {
    use EndorsementType::*;
    match kind {
        G => lang.pick("G individual visit", "G 个人旅游", "G 個人旅遊"),
        L => lang.pick("L group tour", "L 团队旅游", "L 團隊旅遊"),
        S => lang.pick("S business", "S 商务", "S 商務"),
        T => lang.pick("T visiting relatives", "T 探亲", "T 探親"),
        Q => lang.pick("Q other", "Q 其他", "Q 其他"),
        D => lang.pick("D stay", "D 逗留", "D 逗留"),
        R => lang.pick("R talent", "R 人才", "R 人才"),
    }
}

pub fn card_status_name(status: CardStatus, lang: Lang) -> &'static str {
    match status {
        CardStatus::Active => lang.pick("active", "有效", "有效"),
        CardStatus::Suspended => lang.pick("suspended", "已暂停", "已暫停"),
        CardStatus::Revoked => lang.pick("revoked", "已吊销", "已吊銷"),
        CardStatus::ReportedLost => lang.pick("reported lost", "已挂失", "已掛失"),
    }
}

impl Finding {
    /// The finding as a sentence for the officer.
    pub fn sentence(&self, lang: Lang) -> String {
        let text = self.sentence_raw(lang);
        match (lang, self) {
            // An alert's message is the service's own text: left as it was written.
            (Lang::En, _) | (_, Finding::Alert { .. }) => text,
            // Chinese punctuation is full width and takes no space after it.
            _ => text
                .replace(": ", "：")
                .replace("： ", "：")
                .replace(", ", "，"),
        }
    }

    fn sentence_raw(&self, lang: Lang) -> String {
        use Finding::*;
        let doc = |k: &DocumentKind| document_name(*k, lang);
        let region = |r: &Region| region_name(*r, lang);
        match self {
            CodeGenuine => lang
                .pick(
                    "Code signed by a trusted issuer key.",
                    "二维码由受信任的签发密钥签名。",
                    "二維碼由受信任的簽發密鑰簽名。",
                )
                .into(),
            CodeRefused(e) => match lang {
                Lang::En => e.to_string(),
                _ => credential_error_zh(e, lang),
            },
            CodeNotCheckedOffline => lang
                .pick(
                    "Trust list not loaded: the signature is checked by the service only.",
                    "信任列表未加载：签名仅由服务核验。",
                    "信任列表未載入：簽名僅由服務核驗。",
                )
                .into(),
            CodeFresh => lang
                .pick(
                    "Code is within its validity window.",
                    "二维码在有效期内。",
                    "二維碼在有效期內。",
                )
                .into(),
            NotReplayed => lang
                .pick(
                    "First presentation of this code at any lane.",
                    "该二维码首次出示。",
                    "該二維碼首次出示。",
                )
                .into(),
            ReplayedHere { first_seen } => format!(
                "{} {}",
                lang.pick(
                    "Already presented at this lane at",
                    "已于本通道出示，时间",
                    "已於本通道出示，時間"
                ),
                clock_time(*first_seen)
            ),
            ReplayedElsewhere {
                checkpoint,
                lane,
                at,
            } => format!(
                "{} {checkpoint} / {lane} {} {}",
                lang.pick("Already presented at", "已在", "已在"),
                lang.pick("at", "出示，时间", "出示，時間"),
                clock_time(*at)
            ),
            ReplayOnlyCheckedHere => lang
                .pick(
                    "Not seen at this lane; other lanes could not be asked.",
                    "本通道未见过；无法查询其他通道。",
                    "本通道未見過；無法查詢其他通道。",
                )
                .into(),
            WaitingForService => lang
                .pick(
                    "Asking the issuance service…",
                    "正在查询签发服务…",
                    "正在查詢簽發服務…",
                )
                .into(),
            ServiceUnavailable => lang
                .pick(
                    "Issuance service unavailable: card and documents not confirmed.",
                    "签发服务不可用：证卡及证件未能确认。",
                    "簽發服務不可用：證卡及證件未能確認。",
                )
                .into(),
            ServiceRefused { code } => format!(
                "{} ({code})",
                lang.pick(
                    "The issuance service refused this code",
                    "签发服务拒绝了该二维码",
                    "簽發服務拒絕了該二維碼"
                )
            ),
            Card(status) => format!(
                "{}: {}",
                lang.pick("E-card", "电子证卡", "電子證卡"),
                card_status_name(*status, lang)
            ),
            DocumentValid {
                kind,
                until: Some(d),
            } => format!(
                "{} {} {d}",
                doc(kind),
                lang.pick("valid until", "有效期至", "有效期至")
            ),
            DocumentValid { kind, until: None } => format!(
                "{} {}",
                doc(kind),
                lang.pick("valid, long-term", "长期有效", "長期有效")
            ),
            DocumentExpiring { kind, until, days } => format!(
                "{} {} {until} ({days} {})",
                doc(kind),
                lang.pick("expires soon:", "即将到期：", "即將到期："),
                lang.pick("days", "天", "天")
            ),
            DocumentExpired { kind, on } => format!(
                "{} {} {on}",
                doc(kind),
                lang.pick("expired on", "已过期，到期日", "已過期，到期日")
            ),
            DocumentNotValid { kind, status } => format!(
                "{} {}",
                doc(kind),
                match status {
                    DocumentStatus::Valid => lang.pick("valid", "有效", "有效"),
                    DocumentStatus::Cancelled => lang.pick("cancelled", "已注销", "已註銷"),
                    DocumentStatus::ReportedLost => lang.pick("reported lost", "已挂失", "已掛失"),
                }
            ),
            NumberWellFormed { kind } => format!(
                "{} {}",
                doc(kind),
                lang.pick("number well formed", "号码格式正确", "號碼格式正確")
            ),
            NumberMalformed { kind } => format!(
                "{} {}",
                doc(kind),
                lang.pick(
                    "number malformed (check digit or format)",
                    "号码格式错误（校验码或格式）",
                    "號碼格式錯誤（校驗碼或格式）"
                )
            ),
            RequiredPresent { kind } => format!(
                "{} {}",
                lang.pick(
                    "Travel document present:",
                    "通行证件齐备：",
                    "通行證件齊備："
                ),
                doc(kind)
            ),
            RequiredMissing { kind } => format!(
                "{} {}",
                lang.pick(
                    "Required document missing:",
                    "缺少所需证件：",
                    "缺少所需證件："
                ),
                doc(kind)
            ),
            EndorsementValid {
                destination,
                until,
                trips_left,
            } => format!(
                "{} {} {} {until}, {}",
                region(destination),
                lang.pick("endorsement valid until", "签注有效期至", "簽注有效期至"),
                "",
                match trips_left {
                    Some(n) => format!("{n} {}", lang.pick("trip(s) left", "次剩余", "次剩餘")),
                    None => lang
                        .pick("multiple trips", "多次有效", "多次有效")
                        .to_owned(),
                }
            )
            .replace("  ", " "),
            EndorsementExpired { destination, on } => format!(
                "{} {} {on}",
                region(destination),
                lang.pick(
                    "endorsement expired on",
                    "签注已过期，到期日",
                    "簽注已過期，到期日"
                )
            ),
            EndorsementNoTrips { destination } => format!(
                "{} {}",
                region(destination),
                lang.pick(
                    "endorsement has no trips left",
                    "签注次数已用完",
                    "簽注次數已用完"
                )
            ),
            EndorsementMissing { destination } => format!(
                "{} {}",
                lang.pick("No endorsement for", "没有签注：", "沒有簽注："),
                region(destination)
            ),
            NoAlerts => lang
                .pick("No watch-list alerts.", "无布控预警。", "無布控預警。")
                .into(),
            Alert {
                code,
                severity,
                message,
            } => format!(
                "{} [{code}] {message}",
                match severity {
                    AlertSeverity::High =>
                        lang.pick("ALERT, escalate:", "预警，须移交：", "預警，須移交："),
                    AlertSeverity::Warning => lang.pick("Alert:", "提示：", "提示："),
                    AlertSeverity::Info => lang.pick("Note:", "备注：", "備註："),
                }
            ),
        }
    }
}

fn credential_error_zh(e: &CredentialError, lang: Lang) -> String {
    let (hans, hant) = match e {
        CredentialError::NotEc1 => (
            "不是电子证卡二维码。请旅客打开电子证卡应用出示二维码。",
            "不是電子證卡二維碼。請旅客打開電子證卡應用出示二維碼。",
        ),
        CredentialError::TooLarge { .. } => (
            "二维码过长，不可能是电子证卡二维码：按伪造处理。",
            "二維碼過長，不可能是電子證卡二維碼：按偽造處理。",
        ),
        CredentialError::Damaged { .. } => (
            "二维码不完整。请旅客刷新二维码后再出示。",
            "二維碼不完整。請旅客刷新二維碼後再出示。",
        ),
        CredentialError::Malformed { .. }
        | CredentialError::UnsupportedAlgorithm { .. }
        | CredentialError::KeyNotYetValid { .. }
        | CredentialError::WrongIssuer { .. } => (
            "二维码结构不符合电子证卡格式：按伪造处理。",
            "二維碼結構不符合電子證卡格式：按偽造處理。",
        ),
        CredentialError::UnknownKey { .. } => (
            "签名密钥不在信任列表中：可能伪造，或信任列表过旧。请移交二线。",
            "簽名密鑰不在信任列表中：可能偽造，或信任列表過舊。請移交二線。",
        ),
        CredentialError::RetiredKey { .. } => (
            "二维码由已停用的密钥签名。请旅客更新应用并出示新二维码。",
            "二維碼由已停用的密鑰簽名。請旅客更新應用並出示新二維碼。",
        ),
        CredentialError::RevokedKey { .. } => (
            "二维码由已吊销的密钥签名，不可信。请移交二线。",
            "二維碼由已吊銷的密鑰簽名，不可信。請移交二線。",
        ),
        CredentialError::BadSignature => (
            "签名与二维码不符：已被篡改或伪造。请移交二线。",
            "簽名與二維碼不符：已被篡改或偽造。請移交二線。",
        ),
        CredentialError::Expired { .. } => (
            "二维码已过期。请旅客在应用中刷新二维码。",
            "二維碼已過期。請旅客在應用中刷新二維碼。",
        ),
        CredentialError::NotYetValid { .. } => (
            "二维码时间在未来。请核对本机和手机的时钟。",
            "二維碼時間在未來。請核對本機和手機的時鐘。",
        ),
        CredentialError::Replayed { .. } => (
            "该二维码已在本通道出示过，可能是复制。请出示新二维码并核查旅客。",
            "該二維碼已在本通道出示過，可能是複製。請出示新二維碼並核查旅客。",
        ),
    };
    lang.pick(String::new(), hans.to_owned(), hant.to_owned())
}

#[cfg(test)]
mod tests;
