//! Identity and travel documents linked to an e-card, in their real number formats.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::checkpoint::Region;
use super::holder::Sex;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DocumentKind {
    /// Mainland Resident ID card (居民身份证).
    ResidentId,
    /// Home Return Permit (港澳居民来往内地通行证), for HK / Macau residents entering the mainland.
    HomeReturnPermit,
    /// Exit-Entry Permit (往来港澳通行证), for mainland residents going to HK / Macau.
    ExitEntryPermit,
}

impl DocumentKind {
    pub const ALL: [DocumentKind; 3] = [
        DocumentKind::ResidentId,
        DocumentKind::HomeReturnPermit,
        DocumentKind::ExitEntryPermit,
    ];

    /// The kind as written in check ids and the audit log (`exit-entry-permit`).
    pub fn slug(self) -> &'static str {
        match self {
            DocumentKind::ResidentId => "resident-id",
            DocumentKind::HomeReturnPermit => "home-return-permit",
            DocumentKind::ExitEntryPermit => "exit-entry-permit",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            DocumentKind::ResidentId => "Resident ID card",
            DocumentKind::HomeReturnPermit => "Home Return Permit",
            DocumentKind::ExitEntryPermit => "Exit-Entry Permit",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DocumentStatus {
    Valid,
    Cancelled,
    ReportedLost,
}

/// Endorsement types on the Exit-Entry Permit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EndorsementType {
    /// 个人旅游: individual visit.
    G,
    /// 团队旅游: group tour.
    L,
    /// 商务: business.
    S,
    /// 探亲: visiting relatives.
    T,
    /// 其他: other.
    Q,
    /// 逗留: stay (study, work, dependants).
    D,
    /// 人才: talent.
    R,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Trips {
    #[serde(rename = "1")]
    One,
    #[serde(rename = "2")]
    Two,
    Multiple,
}

impl Trips {
    /// Trips still allowed after `used`; `None` means no limit.
    pub fn left(self, used: u32) -> Option<u32> {
        match self {
            Trips::One => Some(1u32.saturating_sub(used)),
            Trips::Two => Some(2u32.saturating_sub(used)),
            Trips::Multiple => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Endorsement {
    pub destination: Region,
    #[serde(rename = "type")]
    pub kind: EndorsementType,
    pub valid_from: NaiveDate,
    pub valid_until: NaiveDate,
    pub trips: Trips,
    pub trips_used: u32,
    /// Longest stay allowed per visit, in days.
    pub max_stay_days: u32,
}

/// A document as its record says it is printed: the checks compare these fields across
/// documents, so each document carries its own copy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Document {
    pub kind: DocumentKind,
    pub number: String,
    pub issued: NaiveDate,
    /// `None` for a long-term (长期) Resident ID.
    pub expires: Option<NaiveDate>,
    pub status: DocumentStatus,
    pub name_zh: String,
    pub name_latin: String,
    pub sex: Sex,
    pub birth_date: NaiveDate,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub endorsements: Vec<Endorsement>,
}

/// Why a document number is not well formed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NumberProblem {
    #[error("{kind} number must be {expected}; {number:?} is {len} characters long")]
    Length {
        kind: &'static str,
        expected: &'static str,
        number: String,
        len: usize,
    },
    #[error("{kind} number {number:?} does not follow the format {expected}")]
    Format {
        kind: &'static str,
        expected: &'static str,
        number: String,
    },
    #[error("Resident ID {number:?} has an impossible birth date {digits}")]
    BirthDate { number: String, digits: String },
    #[error(
        "Resident ID {number:?} has check character {found} where its digits give {expected}: the number is mistyped or forged"
    )]
    CheckCharacter {
        number: String,
        found: char,
        expected: char,
    },
}

/// What a well-formed Resident ID number says about its holder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResidentIdFacts {
    pub birth_date: NaiveDate,
    pub sex: Sex,
}

const RESIDENT_ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const RESIDENT_ID_CHECK: &[u8; 11] = b"10X98765432";

/// The ISO 7064 MOD 11-2 check character for the first 17 digits of a Resident ID.
pub fn resident_id_check_char(first17: &str) -> Option<char> {
    if first17.len() != 17 || !first17.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let sum: u32 = first17
        .bytes()
        .zip(RESIDENT_ID_WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    Some(RESIDENT_ID_CHECK[(sum % 11) as usize] as char)
}

/// Checks an 18-character Resident ID: region, birth date, sequence and check character.
pub fn check_resident_id(number: &str) -> Result<ResidentIdFacts, NumberProblem> {
    const KIND: &str = "Resident ID";
    const EXPECTED: &str = "18 characters: 17 digits and a check digit or X";
    let len = number.chars().count();
    if len != 18 {
        return Err(NumberProblem::Length {
            kind: KIND,
            expected: EXPECTED,
            number: number.to_owned(),
            len,
        });
    }
    let (first17, check) = number.split_at(17);
    let check = check.chars().next().unwrap_or('?').to_ascii_uppercase();
    if !first17.bytes().all(|b| b.is_ascii_digit()) || !(check.is_ascii_digit() || check == 'X') {
        return Err(NumberProblem::Format {
            kind: KIND,
            expected: EXPECTED,
            number: number.to_owned(),
        });
    }
    let digits = &first17[6..14];
    let birth_date =
        NaiveDate::parse_from_str(digits, "%Y%m%d").map_err(|_| NumberProblem::BirthDate {
            number: number.to_owned(),
            digits: digits.to_owned(),
        })?;
    let expected = resident_id_check_char(first17).expect("17 digits were checked above");
    if check != expected {
        return Err(NumberProblem::CheckCharacter {
            number: number.to_owned(),
            found: check,
            expected,
        });
    }
    let sequence_last = first17.as_bytes()[16] - b'0';
    let sex = if sequence_last % 2 == 1 {
        Sex::Male
    } else {
        Sex::Female
    };
    Ok(ResidentIdFacts { birth_date, sex })
}

/// Checks a Home Return Permit number: `H` (Hong Kong) or `M` (Macau), 8 digits, and an
/// optional 2-digit renewal count. Returns the region it was issued for.
pub fn check_home_return_permit(number: &str) -> Result<Region, NumberProblem> {
    const EXPECTED: &str = "H or M, 8 digits, and an optional 2-digit renewal count";
    let bytes = number.as_bytes();
    let region = match bytes.first() {
        Some(b'H') => Region::HongKong,
        Some(b'M') => Region::Macau,
        _ => {
            return Err(NumberProblem::Format {
                kind: "Home Return Permit",
                expected: EXPECTED,
                number: number.to_owned(),
            });
        }
    };
    if !(bytes.len() == 9 || bytes.len() == 11) {
        return Err(NumberProblem::Length {
            kind: "Home Return Permit",
            expected: EXPECTED,
            number: number.to_owned(),
            len: number.chars().count(),
        });
    }
    if !bytes[1..].iter().all(u8::is_ascii_digit) {
        return Err(NumberProblem::Format {
            kind: "Home Return Permit",
            expected: EXPECTED,
            number: number.to_owned(),
        });
    }
    Ok(region)
}

/// Checks an Exit-Entry Permit number: `C` + 8 digits, or `C` + a letter other than I or O
/// + 7 digits.
pub fn check_exit_entry_permit(number: &str) -> Result<(), NumberProblem> {
    const EXPECTED: &str = "C and 8 digits, or C, a letter (not I or O) and 7 digits";
    let bytes = number.as_bytes();
    if bytes.len() != 9 {
        return Err(NumberProblem::Length {
            kind: "Exit-Entry Permit",
            expected: EXPECTED,
            number: number.to_owned(),
            len: number.chars().count(),
        });
    }
    let second_ok = bytes[1].is_ascii_digit()
        || (bytes[1].is_ascii_uppercase() && bytes[1] != b'I' && bytes[1] != b'O');
    if bytes[0] != b'C' || !second_ok || !bytes[2..].iter().all(u8::is_ascii_digit) {
        return Err(NumberProblem::Format {
            kind: "Exit-Entry Permit",
            expected: EXPECTED,
            number: number.to_owned(),
        });
    }
    Ok(())
}

impl Document {
    /// Whether the number is well formed for this kind of document.
    pub fn check_number(&self) -> Result<(), NumberProblem> {
        match self.kind {
            DocumentKind::ResidentId => check_resident_id(&self.number).map(|_| ()),
            DocumentKind::HomeReturnPermit => check_home_return_permit(&self.number).map(|_| ()),
            DocumentKind::ExitEntryPermit => check_exit_entry_permit(&self.number),
        }
    }

    /// The number with all but its first and last two characters hidden, for the screen.
    pub fn masked_number(&self) -> String {
        mask(&self.number)
    }
}

pub fn mask(number: &str) -> String {
    let chars: Vec<char> = number.chars().collect();
    if chars.len() <= 4 {
        return "•".repeat(chars.len());
    }
    chars
        .iter()
        .enumerate()
        .map(|(i, c)| {
            if i < 2 || i >= chars.len() - 2 {
                *c
            } else {
                '•'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resident_id_check_character_follows_iso_7064() {
        // The worked example from GB 11643-1999.
        assert_eq!(resident_id_check_char("11010519491231002"), Some('X'));
        let facts = check_resident_id("11010519491231002X").unwrap();
        assert_eq!(
            facts.birth_date,
            NaiveDate::from_ymd_opt(1949, 12, 31).unwrap()
        );
        assert_eq!(facts.sex, Sex::Female);
        assert_eq!(
            check_resident_id("440524188001010014").unwrap().sex,
            Sex::Male
        );
    }

    #[test]
    fn resident_id_problems_say_what_is_wrong() {
        let err = check_resident_id("110105194912310021").unwrap_err();
        assert!(
            err.to_string()
                .contains("check character 1 where its digits give X"),
            "{err}"
        );
        let err = check_resident_id("11010519491331002X").unwrap_err();
        assert!(
            err.to_string().contains("impossible birth date 19491331"),
            "{err}"
        );
        let err = check_resident_id("1101051949").unwrap_err();
        assert!(err.to_string().contains("10 characters long"), "{err}");
        let err = check_resident_id("11010519491231002Y").unwrap_err();
        assert!(matches!(err, NumberProblem::Format { .. }), "{err}");
    }

    #[test]
    fn permit_numbers_follow_their_formats() {
        assert_eq!(
            check_home_return_permit("H12345678").unwrap(),
            Region::HongKong
        );
        assert_eq!(
            check_home_return_permit("M1234567801").unwrap(),
            Region::Macau
        );
        assert!(check_home_return_permit("H1234567").is_err());
        assert!(check_home_return_permit("X12345678").is_err());
        assert!(check_exit_entry_permit("C12345678").is_ok());
        assert!(check_exit_entry_permit("CD1234567").is_ok());
        assert!(check_exit_entry_permit("CO1234567").is_err());
        assert!(check_exit_entry_permit("CI1234567").is_err());
        assert!(check_exit_entry_permit("D12345678").is_err());
    }

    #[test]
    fn trips_left_counts_down_and_multiple_has_no_limit() {
        assert_eq!(Trips::One.left(1), Some(0));
        assert_eq!(Trips::Two.left(1), Some(1));
        assert_eq!(Trips::Multiple.left(40), None);
    }

    #[test]
    fn masking_keeps_only_the_ends() {
        assert_eq!(mask("H12345678"), "H1•••••78");
        assert_eq!(mask("abc"), "•••");
    }
}
