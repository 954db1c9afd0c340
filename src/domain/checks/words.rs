//! Each finding as a sentence an officer understands, in English, Simplified Chinese and
//! Traditional Chinese; and the names of documents, regions and card states.

use super::names::{card_status_name, document_name, region_name};
use super::{Field, Finding};
use crate::domain::checkpoint::Region;
use crate::domain::credential::{CredentialError, clock_time};
use crate::domain::documents::{DocumentKind, DocumentStatus};
use crate::domain::holder::AlertSeverity;
use crate::domain::lang::Lang;

impl Finding {
    /// The finding as a sentence for the officer.
    pub fn sentence(&self, lang: Lang) -> String {
        let text = self.sentence_raw(lang);
        match (lang, self) {
            // An alert's message is the service's own text: left as it was written.
            (Lang::En, _) | (_, Finding::Alert { .. }) => text,
            // Chinese punctuation is full width, and no space stands next to Chinese.
            _ => lang.tidy(
                &text
                    .replace(": ", "：")
                    .replace("： ", "：")
                    .replace(", ", "，"),
            ),
        }
    }

    fn sentence_raw(&self, lang: Lang) -> String {
        use Finding::*;
        // Exhaustive here, so a new finding cannot go without its sentence.
        let said = match self {
            CodeGenuine
            | CodeRefused(_)
            | CodeNotCheckedOffline
            | CodeFresh
            | CodeWindowUnknown { .. }
            | NotReplayed
            | ReplayedHere { .. }
            | ReplayedElsewhere { .. }
            | ReplayOnlyCheckedHere
            | WaitingForService
            | ServiceUnavailable
            | ServiceRefused { .. }
            | TrustListFresh { .. }
            | TrustListStale { .. }
            | TrustListMissing => self.code_sentence(lang),
            Card(_)
            | DocumentValid { .. }
            | DocumentExpiring { .. }
            | DocumentExpired { .. }
            | DocumentNotValid { .. }
            | NumberWellFormed { .. }
            | NumberMalformed { .. }
            | RequiredPresent { .. }
            | RequiredNotValid { .. }
            | RequiredMissing { .. }
            | PermitRegionMatches { .. }
            | PermitRegionMismatch { .. }
            | EndorsementValid { .. }
            | EndorsementExpired { .. }
            | EndorsementNoTrips { .. }
            | EndorsementMissing { .. } => self.document_sentence(lang),
            StayWithin { .. }
            | StayExceeded { .. }
            | StayUnknown
            | IdentityConsistent
            | IdentityInconsistent { .. }
            | Minor { .. }
            | NoAlerts
            | Alert { .. } => self.traveller_sentence(lang),
        };
        said.unwrap_or_default()
    }

    /// What a finding about the code, the trust list or the service says.
    fn code_sentence(&self, lang: Lang) -> Option<String> {
        use Finding::*;
        Some(match self {
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
            CodeWindowUnknown { offset_secs } => {
                crate::domain::lane_time::window_unknown(*offset_secs, lang)
            }
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
            } => match lang {
                Lang::En => format!(
                    "Already presented at {checkpoint} lane {lane} at {}: this may be a copy.",
                    clock_time(*at)
                ),
                _ => format!(
                    "已在{checkpoint} {lane}{}{}",
                    lang.pick("", "出示，时间", "出示，時間"),
                    clock_time(*at)
                ),
            },
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
            TrustListFresh { age_secs } if *age_secs < 60 => lang
                .pick(
                    "Trust list up to date, fetched just now.",
                    "信任列表为最新，刚刚获取。",
                    "信任列表為最新，剛剛獲取。",
                )
                .into(),
            TrustListFresh { age_secs } => format!(
                "{} {}{}",
                lang.pick("Trust list up to date, fetched", "信任列表为最新，", "信任列表為最新，"),
                lang.ago(*age_secs),
                lang.pick(" ago.", "前获取。", "前獲取。")
            ),
            TrustListStale { age_secs } => format!(
                "{} {} {}",
                lang.pick("Trust list is", "信任列表已有", "信任列表已有"),
                lang.ago(*age_secs),
                lang.pick(
                    "old: a revoked key may still look trusted. Reconnect to refresh it.",
                    "未更新：已吊销的密钥可能仍被信任。请联网更新。",
                    "未更新：已吊銷的密鑰可能仍被信任。請聯網更新。"
                )
            ),
            TrustListMissing => lang
                .pick(
                    "No trust list: codes cannot be checked at this lane until the service is reached.",
                    "没有信任列表：连上服务前本通道无法核验二维码。",
                    "沒有信任列表：連上服務前本通道無法核驗二維碼。",
                )
                .into(),
            _ => return None,
        })
    }

    /// What a finding about the card and the documents says.
    fn document_sentence(&self, lang: Lang) -> Option<String> {
        use Finding::*;
        let doc = |k: &DocumentKind| document_name(*k, lang);
        let region = |r: &Region| region_name(*r, lang);
        Some(match self {
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
            RequiredNotValid { kind } => format!(
                "{} {}",
                lang.pick(
                    "Travel document not valid:",
                    "通行证件无效：",
                    "通行證件無效："
                ),
                doc(kind)
            ),
            PermitRegionMatches { region: r } => format!(
                "{} {}",
                lang.pick(
                    "Home Return Permit issued for a resident of".to_owned(),
                    format!("{}签发地区相符：", doc(&DocumentKind::HomeReturnPermit)),
                    format!("{}簽發地區相符：", doc(&DocumentKind::HomeReturnPermit)),
                ),
                region(r)
            ),
            PermitRegionMismatch { permit, residency } => format!(
                "{} {} {} {}",
                lang.pick(
                    "Home Return Permit is for".to_owned(),
                    format!("{}签发给", doc(&DocumentKind::HomeReturnPermit)),
                    format!("{}簽發給", doc(&DocumentKind::HomeReturnPermit)),
                ),
                region(permit),
                lang.pick(
                    "residents, but the holder lives in",
                    "居民，但持证人居住在",
                    "居民，但持證人居住在"
                ),
                region(residency)
            ),
            _ => return None,
        })
    }

    /// What a finding about the traveller (stay, identity, age, alerts) says.
    fn traveller_sentence(&self, lang: Lang) -> Option<String> {
        use Finding::*;
        let doc = |k: &DocumentKind| document_name(*k, lang);
        Some(match self {
            NoAlerts => lang
                .pick("No watch-list alerts.", "无布控预警。", "無布控預警。")
                .into(),
            StayWithin { days, limit } => format!(
                "{} {days} {} {limit} {}",
                lang.pick("Away", "离境", "離境"),
                lang.pick("days, within the stay limit of", "天，未超过逗留期限", "天，未超過逗留期限"),
                lang.pick("days.", "天。", "天。")
            ),
            StayExceeded { days, limit } => format!(
                "{} {days} {} {limit} {}",
                lang.pick("Overstay: away", "逾期逗留：离境", "逾期逗留：離境"),
                lang.pick("days on an endorsement allowing", "天，签注只允许", "天，簽注只允許"),
                lang.pick("days.", "天。", "天。")
            ),
            StayUnknown => lang
                .pick(
                    "Last trip out found, but no endorsement that covered it: ask where the traveller went.",
                    "有出境记录，但找不到对应签注：请询问旅客去向。",
                    "有出境記錄，但找不到對應簽注：請詢問旅客去向。",
                )
                .into(),
            IdentityConsistent => lang
                .pick(
                    "Names, sex and birth date agree across documents and with the ID number.",
                    "各证件及身份证号码的姓名、性别、出生日期一致。",
                    "各證件及身份證號碼的姓名、性別、出生日期一致。",
                )
                .into(),
            IdentityInconsistent { kind, field } => format!(
                "{} {} {}",
                doc(kind),
                field_name(*field, lang),
                lang.pick(
                    "does not match the holder's record.",
                    "与持证人记录不符。",
                    "與持證人記錄不符。"
                )
            ),
            Minor { age } => format!(
                "{} {age}{} {}",
                lang.pick("Minor, aged", "未成年人，", "未成年人，"),
                lang.pick("", "岁", "歲"),
                lang.pick(
                    "— check who accompanies them or the consent letter.",
                    "——请核查同行监护人或同意书。",
                    "——請核查同行監護人或同意書。"
                )
            ),
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
            _ => return None,
        })
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

fn field_name(field: Field, lang: Lang) -> &'static str {
    match field {
        Field::NameZh => lang.pick("Chinese name", "中文姓名", "中文姓名"),
        Field::NameLatin => lang.pick("Latin-script name", "拼音或英文姓名", "拼音或英文姓名"),
        Field::Sex => lang.pick("sex", "性别", "性別"),
        Field::BirthDate => lang.pick("birth date", "出生日期", "出生日期"),
        Field::IdNumberBirthDate => lang.pick(
            "number's birth date",
            "号码中的出生日期",
            "號碼中的出生日期",
        ),
        Field::IdNumberSex => lang.pick("number's sex digit", "号码中的性别位", "號碼中的性別位"),
    }
}
