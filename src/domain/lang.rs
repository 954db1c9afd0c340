//! The console's three languages. Sentences the domain produces (check findings) come in
//! all three; the console's own labels live in `console::i18n`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Lang {
    #[default]
    #[serde(rename = "en")]
    En,
    /// Simplified Chinese, as on the mainland.
    #[serde(rename = "zh-Hans")]
    ZhHans,
    /// Traditional Chinese, as in Hong Kong and Macau.
    #[serde(rename = "zh-Hant")]
    ZhHant,
}

impl Lang {
    pub const ALL: [Lang; 3] = [Lang::En, Lang::ZhHans, Lang::ZhHant];

    /// The next language, for the console's language key.
    pub fn next(self) -> Lang {
        match self {
            Lang::En => Lang::ZhHans,
            Lang::ZhHans => Lang::ZhHant,
            Lang::ZhHant => Lang::En,
        }
    }

    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::ZhHans => "zh-Hans",
            Lang::ZhHant => "zh-Hant",
        }
    }

    /// Picks one of three renderings of the same text.
    pub fn pick<T>(self, en: T, hans: T, hant: T) -> T {
        match self {
            Lang::En => en,
            Lang::ZhHans => hans,
            Lang::ZhHant => hant,
        }
    }

    /// Text as the language writes it: Chinese puts no space next to a Chinese character
    /// or full-width punctuation (text built from parts often has one).
    pub fn tidy(self, text: &str) -> String {
        if self == Lang::En {
            return text.to_owned();
        }
        let chars: Vec<char> = text.chars().collect();
        let mut out = String::with_capacity(text.len());
        for (i, c) in chars.iter().enumerate() {
            let before = i.checked_sub(1).and_then(|j| chars.get(j));
            let after = chars.get(i + 1);
            if *c == ' '
                && (before.is_some_and(|b| is_cjk(*b)) || after.is_some_and(|a| is_cjk(*a)))
            {
                continue;
            }
            out.push(*c);
        }
        out
    }

    /// How long ago, briefly: "42 s", "3 min", "2 h", "5 d"; in Chinese "刚刚" under a
    /// minute and Chinese units above.
    pub fn ago(self, seconds: i64) -> String {
        let s = seconds.max(0);
        let (n, unit) = match s {
            0..60 => {
                return match self {
                    Lang::En => format!("{s} s"),
                    _ => self.pick("", "刚刚", "剛剛").to_owned(),
                };
            }
            60..3600 => (s / 60, self.pick("min", "分钟", "分鐘")),
            3600..86_400 => (s / 3600, self.pick("h", "小时", "小時")),
            _ => (s / 86_400, self.pick("d", "天", "天")),
        };
        match self {
            Lang::En => format!("{n} {unit}"),
            _ => format!("{n}{unit}"),
        }
    }
}

/// A Chinese character or full-width punctuation.
fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x2E80..=0x9FFF | 0xFF00..=0xFFEF | 0xF900..=0xFAFF)
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.tag())
    }
}

impl FromStr for Lang {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "en" | "english" => Ok(Lang::En),
            "zh-hans" | "zh-cn" | "zh" | "hans" | "简体" => Ok(Lang::ZhHans),
            "zh-hant" | "zh-hk" | "zh-mo" | "zh-tw" | "hant" | "繁體" => Ok(Lang::ZhHant),
            other => Err(format!(
                "unknown language {:?}: use en, zh-Hans (简体中文) or zh-Hant (繁體中文)",
                crate::domain::text::sanitize(other)
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_cycle_and_parse() {
        assert_eq!(Lang::En.next().next().next(), Lang::En);
        for lang in Lang::ALL {
            assert_eq!(lang.tag().parse::<Lang>().unwrap(), lang);
        }
        assert!("fr".parse::<Lang>().unwrap_err().contains("zh-Hans"));
    }

    #[test]
    fn chinese_has_no_spaces_next_to_chinese_and_says_just_now() {
        assert_eq!(
            Lang::ZhHant.tidy("有效期至 2026-06-10 ，剩餘 1 次"),
            "有效期至2026-06-10，剩餘1次"
        );
        assert_eq!(Lang::ZhHans.tidy("lo-wu T1"), "lo-wu T1");
        assert_eq!(Lang::En.tidy("a b"), "a b");
        assert_eq!(Lang::ZhHant.ago(20), "剛剛");
        assert_eq!(Lang::ZhHans.ago(180), "3分钟");
        assert_eq!(Lang::En.ago(7200), "2 h");
    }
}
