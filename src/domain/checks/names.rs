//! The names of things the checks talk about, in three languages: documents, regions,
//! endorsement types, card statuses, and each check.

use super::CheckId;
use crate::domain::checkpoint::Region;
use crate::domain::documents::{DocumentKind, EndorsementType};
use crate::domain::holder::CardStatus;
use crate::domain::lang::Lang;

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

impl CheckId {
    /// The check's short name, for messages that list checks ("cannot be approved: ...").
    pub fn label(self, lang: Lang) -> String {
        let doc = |k: DocumentKind| document_name(k, lang);
        match self {
            CheckId::CodeSignature => lang
                .pick("code signature", "二维码签名", "二維碼簽名")
                .into(),
            CheckId::CodeFresh => lang
                .pick("code validity time", "二维码有效时间", "二維碼有效時間")
                .into(),
            CheckId::CodeNotReplayed => lang
                .pick(
                    "first presentation of the code",
                    "二维码首次出示",
                    "二維碼首次出示",
                )
                .into(),
            CheckId::TrustListFresh => lang.pick("trust list", "信任列表", "信任列表").into(),
            CheckId::Service => lang.pick("issuance service", "签发系统", "簽發系統").into(),
            CheckId::CardActive => lang
                .pick("e-card status", "电子证卡状态", "電子證卡狀態")
                .into(),
            CheckId::RequiredDocument => lang
                .pick("travel document", "出入境证件", "出入境證件")
                .into(),
            CheckId::DocumentValid(k) => match lang {
                Lang::En => format!("{} validity", doc(k)),
                _ => format!("{}{}", doc(k), lang.pick("", "有效期", "有效期")),
            },
            CheckId::DocumentNumber(k) => match lang {
                Lang::En => format!("{} number", doc(k)),
                _ => format!("{}{}", doc(k), lang.pick("", "号码", "號碼")),
            },
            CheckId::PermitRegion => lang
                .pick("permit's region", "通行证签发地区", "通行證簽發地區")
                .into(),
            CheckId::IdentityConsistent => lang
                .pick("identity details", "身份信息一致性", "身份信息一致性")
                .into(),
            CheckId::Endorsement => lang.pick("endorsement", "签注", "簽注").into(),
            CheckId::StayLimit => lang.pick("stay limit", "逗留期限", "逗留期限").into(),
            CheckId::Minor => lang.pick("minor", "未成年人", "未成年人").into(),
            CheckId::WatchList => lang.pick("watch list", "布控名单", "布控名單").into(),
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
        G => lang.pick("individual visit (G)", "个人旅游（G）", "個人旅遊（G）"),
        L => lang.pick("group tour (L)", "团队旅游（L）", "團隊旅遊（L）"),
        S => lang.pick("business (S)", "商务（S）", "商務（S）"),
        T => lang.pick("visiting relatives (T)", "探亲（T）", "探親（T）"),
        Q => lang.pick("other (Q)", "其他（Q）", "其他（Q）"),
        D => lang.pick("stay (D)", "逗留（D）", "逗留（D）"),
        R => lang.pick("talent (R)", "人才（R）", "人才（R）"),
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
