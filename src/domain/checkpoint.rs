//! Control points, the side of the border a lane faces, and the direction of travel.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Which side a lane's travellers come from or go to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Region {
    #[serde(rename = "CN")]
    Mainland,
    #[serde(rename = "HK")]
    HongKong,
    #[serde(rename = "MO")]
    Macau,
}

impl Region {
    pub fn code(self) -> &'static str {
        match self {
            Region::Mainland => "CN",
            Region::HongKong => "HK",
            Region::Macau => "MO",
        }
    }
}

/// Direction as seen from the mainland: `entry` into the mainland, `exit` from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Entry,
    Exit,
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Direction::Entry => "entry",
            Direction::Exit => "exit",
        })
    }
}

impl FromStr for Direction {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "entry" | "in" => Ok(Direction::Entry),
            "exit" | "out" => Ok(Direction::Exit),
            other => Err(format!(
                "unknown direction {other:?}: use `entry` (into the mainland) or `exit` (out of it)"
            )),
        }
    }
}

/// A control point between the mainland and Hong Kong or Macau.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Checkpoint {
    pub slug: &'static str,
    pub name_en: &'static str,
    pub name_zh_hans: &'static str,
    pub name_zh_hant: &'static str,
    /// The side across the border. The HZMB serves both.
    pub destinations: &'static [Region],
}

pub const CHECKPOINTS: &[Checkpoint] = &[
    cp(
        "lo-wu",
        "Lo Wu / Luohu",
        "罗湖",
        "羅湖",
        &[Region::HongKong],
    ),
    cp("futian", "Futian", "福田", "福田", &[Region::HongKong]),
    cp(
        "huanggang",
        "Huanggang",
        "皇岗",
        "皇崗",
        &[Region::HongKong],
    ),
    cp(
        "shenzhen-bay",
        "Shenzhen Bay",
        "深圳湾",
        "深圳灣",
        &[Region::HongKong],
    ),
    cp(
        "hzmb",
        "Hong Kong-Zhuhai-Macao Bridge",
        "港珠澳大桥",
        "港珠澳大橋",
        &[Region::HongKong, Region::Macau],
    ),
    cp(
        "west-kowloon",
        "West Kowloon",
        "西九龙",
        "西九龍",
        &[Region::HongKong],
    ),
    cp(
        "gongbei",
        "Gongbei / Border Gate",
        "拱北",
        "拱北",
        &[Region::Macau],
    ),
    cp("hengqin", "Hengqin", "横琴", "橫琴", &[Region::Macau]),
    cp("qingmao", "Qingmao", "青茂", "青茂", &[Region::Macau]),
];

const fn cp(
    slug: &'static str,
    name_en: &'static str,
    name_zh_hans: &'static str,
    name_zh_hant: &'static str,
    destinations: &'static [Region],
) -> Checkpoint {
    Checkpoint {
        slug,
        name_en,
        name_zh_hans,
        name_zh_hant,
        destinations,
    }
}

impl Checkpoint {
    /// Finds a checkpoint by its slug, English name or Chinese name, ignoring case, spaces,
    /// hyphens and slashes ("Lo Wu", "lo-wu", "luohu", "罗湖").
    pub fn find(name: &str) -> Result<&'static Checkpoint, String> {
        let wanted = fold(name);
        CHECKPOINTS
            .iter()
            .find(|c| {
                fold(c.slug) == wanted
                    || c.name_en.split('/').any(|part| fold(part) == wanted)
                    || fold(c.name_en) == wanted
                    || c.name_zh_hans == name.trim()
                    || c.name_zh_hant == name.trim()
            })
            .ok_or_else(|| {
                let known: Vec<&str> = CHECKPOINTS.iter().map(|c| c.slug).collect();
                format!(
                    "unknown checkpoint {:?}: use one of {}",
                    crate::domain::text::sanitize(name),
                    known.join(", ")
                )
            })
    }
}

fn fold(s: &str) -> String {
    s.chars()
        .filter(|c| !matches!(c, ' ' | '-' | '/' | '_'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The longest lane label and officer id the service accepts.
pub const LANE_MAX: usize = 32;
pub const OFFICER_MAX: usize = 64;

/// A lane label or an officer id as the service will accept it: 1 to `max` printable
/// characters, nothing a terminal would act on. Checked where it is configured, so a bad
/// one is refused at start rather than making every code look refused later.
pub fn check_label(value: &str, what: &str, max: usize) -> Result<(), String> {
    let shown = super::text::sanitize(value);
    if value.trim().is_empty() {
        return Err(format!(
            "the {what} is empty: give 1 to {max} printable characters"
        ));
    }
    if shown != value {
        return Err(format!(
            "the {what} {shown:?} holds control characters: give 1 to {max} printable characters"
        ));
    }
    let n = value.chars().count();
    if n > max {
        return Err(format!(
            "the {what} {shown:?} is {n} characters long: the service takes at most {max}"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checkpoints_are_found_by_any_of_their_names() {
        for name in ["lo-wu", "Lo Wu", "luohu", "罗湖", "羅湖"] {
            assert_eq!(Checkpoint::find(name).unwrap().slug, "lo-wu", "{name}");
        }
        assert_eq!(Checkpoint::find("Border Gate").unwrap().slug, "gongbei");
        assert_eq!(Checkpoint::find("HZMB").unwrap().destinations.len(), 2);
    }

    #[test]
    fn an_unknown_checkpoint_lists_the_known_ones() {
        let err = Checkpoint::find("Heathrow").unwrap_err();
        assert!(err.contains("unknown checkpoint \"Heathrow\""), "{err}");
        assert!(err.contains("shenzhen-bay"), "{err}");
    }

    #[test]
    fn directions_parse_with_a_helpful_error() {
        assert_eq!("ENTRY".parse::<Direction>().unwrap(), Direction::Entry);
        assert!(
            "sideways"
                .parse::<Direction>()
                .unwrap_err()
                .contains("`entry`")
        );
    }
}
