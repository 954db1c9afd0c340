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
}
