//! Every label the console shows, in English, Simplified and Traditional Chinese.
//!
//! Labels are an enum, so a missing translation is a compile error, not a blank on screen.

use unicode_width::UnicodeWidthStr;

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
}

impl L {
    pub fn get(self, lang: Lang) -> &'static str {
        let (en, hans, hant) = self.texts();
        lang.pick(en, hans, hant)
    }

    fn texts(self) -> (&'static str, &'static str, &'static str) {
        use L::*;
        match self {
            Checkpoint => ("Checkpoint", "口岸", "口岸"),
            Lane => ("Lane", "通道", "通道"),
            Officer => ("Officer", "警员", "警員"),
            Entry => ("Entry ▶ mainland", "入境 ▶ 内地", "入境 ▶ 內地"),
            Exit => ("Exit ◀ mainland", "出境 ◀ 内地", "出境 ◀ 內地"),
            EntryShort => ("Entry ▶", "入境", "入境"),
            ExitShort => ("Exit ◀", "出境", "出境"),
            OfflineShort => ("OFFLINE", "离线", "離線"),
            Online => ("online", "在线", "在線"),
            Offline => ("OFFLINE since", "离线，自", "離線，自"),
            Connecting => ("connecting…", "连接中…", "連接中…"),
            TrustList => ("trust list", "信任列表", "信任列表"),
            TrustNone => ("none yet", "尚未取得", "尚未取得"),
            TrustShort => ("trust", "信任", "信任"),
            Fps => ("fps", "帧/秒", "幀/秒"),
            Camera => ("Camera", "摄像头", "攝像頭"),
            NoFrames => (
                "no picture from the camera yet",
                "摄像头尚无画面",
                "攝像頭尚無畫面",
            ),
            HintHoldUp => (
                "hold the code up to the camera",
                "请将二维码对准摄像头",
                "請將二維碼對準攝像頭",
            ),
            HintHoldStill => (
                "code seen: hold it still",
                "已看到二维码：请保持不动",
                "已看到二維碼：請保持不動",
            ),
            HintRead => ("read ✓", "已读取 ✓", "已讀取 ✓"),
            HintCameraFailed => ("camera problem", "摄像头故障", "攝像頭故障"),
            Traveller => ("Traveller", "旅客", "旅客"),
            NoTraveller => (
                "No traveller. Waiting for a code.",
                "暂无旅客，等待扫码。",
                "暫無旅客，等待掃碼。",
            ),
            WaitingForService => (
                "asking the issuance service…",
                "正在查询签发服务…",
                "正在查詢簽發服務…",
            ),
            LookupOffline => (
                "Service offline: traveller not looked up.",
                "签发服务离线：未能查询旅客。",
                "簽發服務離線：未能查詢旅客。",
            ),
            LookupRefused => (
                "The issuance service refused this code.",
                "签发服务拒绝了此二维码。",
                "簽發服務拒絕了此二維碼。",
            ),
            LookupUnusable => (
                "The issuance service's answer could not be used.",
                "签发服务的回复无法使用。",
                "簽發服務的回覆無法使用。",
            ),
            LookupWhatNow => (
                "Flag or escalate; approving needs an override reason.",
                "可标记或移交二线；放行须填写理由。",
                "可標記或移交二線；放行須填寫理由。",
            ),
            Name => ("Name", "姓名", "姓名"),
            Sex => ("Sex", "性别", "性別"),
            Male => ("male", "男", "男"),
            Female => ("female", "女", "女"),
            BirthDate => ("Born", "出生日期", "出生日期"),
            Residency => ("Resident of", "居住地", "居住地"),
            Card => ("E-card", "电子证卡", "電子證卡"),
            Documents => ("Documents", "证件", "證件"),
            NoDocuments => ("no documents yet", "尚无证件", "尚無證件"),
            Number => ("No.", "号码", "號碼"),
            Valid => ("valid", "有效", "有效"),
            Until => ("until", "至", "至"),
            LongTerm => ("long-term", "长期", "長期"),
            Endorsements => ("Endorsements", "签注", "簽注"),
            TripsLeft => ("trips left", "剩余次数", "剩餘次數"),
            Unlimited => ("multiple", "多次", "多次"),
            Checks => ("Checks", "核查", "核查"),
            NothingYet => ("nothing checked yet", "尚未核查", "尚未核查"),
            Suggested => ("Suggested", "建议", "建議"),
            SuggestApprove => ("approve", "放行", "放行"),
            SuggestReview => ("review", "复核", "覆核"),
            SuggestEscalate => ("escalate to second line", "移交二线", "移交二線"),
            Approve => ("approve", "放行", "放行"),
            Flag => ("flag", "标记", "標記"),
            Escalate => ("escalate", "移交", "移交"),
            Clear => ("next / clear", "下一位", "下一位"),
            Reveal => ("reveal no.", "显示号码", "顯示號碼"),
            Help => ("help", "帮助", "幫助"),
            History => ("history", "记录", "記錄"),
            Language => ("language", "语言", "語言"),
            Quit => ("quit", "退出", "退出"),
            Select => ("select", "选择", "選擇"),
            Close => ("close", "关闭", "關閉"),
            Confirm => ("confirm", "确认", "確認"),
            Cancel => ("cancel", "取消", "取消"),
            Toggle => ("tick", "勾选", "勾選"),
            NextField => ("next field", "下一栏", "下一欄"),
            Approved => ("APPROVED", "已放行", "已放行"),
            Flagged => ("FLAGGED", "已标记", "已標記"),
            Escalated => ("ESCALATED", "已移交二线", "已移交二線"),
            Recording => ("recording…", "正在记录…", "正在記錄…"),
            RecordedWaiting => (
                "recorded ✓ · waiting for the service",
                "已记录 ✓ · 等待发送至服务",
                "已記錄 ✓ · 等待發送至服務",
            ),
            RecordedSent => (
                "recorded ✓ · sent to the service ✓",
                "已记录 ✓ · 已发送至服务 ✓",
                "已記錄 ✓ · 已發送至服務 ✓",
            ),
            NotRecorded => ("NOT RECORDED", "未能记录", "未能記錄"),
            RecordedLocal => (
                "recorded ✓ at this lane only (no e-card)",
                "已记录 ✓（仅本通道，无电子证卡）",
                "已記錄 ✓（僅本通道，無電子證卡）",
            ),
            Outbox => ("to send", "待发送", "待發送"),
            HandedOff => (
                "hand-off for second line written",
                "已生成二线移交记录",
                "已生成二線移交記錄",
            ),
            FlagTitle => ("Flag this traveller", "标记此旅客", "標記此旅客"),
            EscalateTitle => ("Escalate to second line", "移交二线查验", "移交二線查驗"),
            OverrideTitle => (
                "Approve over a failed check",
                "覆盖核查结果放行",
                "覆蓋核查結果放行",
            ),
            OverrideExplain => (
                "A check failed or could not be made. Say why you approve:",
                "有核查未通过或无法完成。请说明放行理由：",
                "有核查未通過或無法完成。請說明放行理由：",
            ),
            ReasonCodes => ("Reasons", "原因", "原因"),
            ReferralReason => ("Referral reason", "移交原因", "移交原因"),
            Note => ("Note", "备注", "備註"),
            NeedReason => (
                "choose at least one reason",
                "请至少选择一个原因",
                "請至少選擇一個原因",
            ),
            NeedNote => ("a reason is required", "必须填写理由", "必須填寫理由"),
            QuitTitle => ("Quit lanedesk?", "退出 lanedesk？", "退出 lanedesk？"),
            QuitExplain => (
                "A traveller is on screen without a decision.",
                "当前旅客尚未作出决定。",
                "當前旅客尚未作出決定。",
            ),
            Yes => ("yes", "是", "是"),
            No => ("no", "否", "否"),
            HelpTitle => ("Keys", "按键", "按鍵"),
            HistoryTitle => (
                "Recent decisions at this lane",
                "本通道最近的决定",
                "本通道最近的決定",
            ),
            NoHistory => ("no decisions yet", "尚无决定", "尚無決定"),
            PendingCode => (
                "Another code was read: decide on or clear this traveller first.",
                "已读取另一二维码：请先处理或清除当前旅客。",
                "已讀取另一二維碼：請先處理或清除當前旅客。",
            ),
            Revealed => (
                "number shown (logged)",
                "号码已显示（已记录）",
                "號碼已顯示（已記錄）",
            ),
            NothingToReplay => (
                "no code shown yet to replay",
                "尚未出示任何二维码，无法重放",
                "尚未出示任何二維碼，無法重放",
            ),
            ForgedCodeFor => (
                "forged code for",
                "伪造二维码，持卡人",
                "偽造二維碼，持卡人",
            ),
            LastCodeAgain => (
                "the last code shown again",
                "再次出示上一个二维码",
                "再次出示上一個二維碼",
            ),
            Override => ("override", "覆盖", "覆蓋"),
            Demo => ("DEMO", "演示", "演示"),
            DemoKeys => ("travellers", "旅客", "旅客"),
            DemoForged => ("forged code", "伪造码", "偽造碼"),
            DemoReplay => ("replay last", "重放上一个", "重放上一個"),
            DemoNext => ("next scenario", "下一场景", "下一場景"),
            Portrait => ("Portrait", "照片", "照片"),
            NoPortrait => ("no portrait", "无照片", "無照片"),
            Outline => ("code", "二维码", "二維碼"),
            Age => ("age", "年龄", "年齡"),
            Years => ("", "岁", "歲"),
            Refused => ("REFUSED", "拒绝", "拒絕"),
            Training => ("TRAINING", "培训", "培訓"),
            Paused => ("paused", "已暂停", "已暫停"),
            ScoreTitle => ("Score card", "成绩单", "成績單"),
            Right => ("right", "正确", "正確"),
            Wrong => ("wrong", "错误", "錯誤"),
            MissedFailure => ("missed failure", "漏放", "漏放"),
            NoDecisionMade => ("no decision", "未作决定", "未作決定"),
            PerTraveller => ("seconds per traveller", "每位旅客秒数", "每位旅客秒數"),
            TrainPause => ("pause", "暂停", "暫停"),
            TrainSkip => ("skip", "跳过", "跳過"),
            TrainRestart => ("restart", "重新开始", "重新開始"),
            Expected => ("expected", "应为", "應為"),
            Score => ("Score", "得分", "得分"),
        }
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
