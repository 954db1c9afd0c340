//! Which check a result belongs to. Ids are stable: the audit log, training reports and
//! `lanedesk verify` print them (`code-signature`, `document-valid/exit-entry-permit`).

use std::fmt;

use crate::domain::documents::DocumentKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CheckId {
    /// The code is signed by a trusted issuer key.
    CodeSignature,
    /// The code is within its validity window.
    CodeFresh,
    /// The code has not been presented before, here or anywhere.
    CodeNotReplayed,
    /// The lane's trust list is recent enough.
    TrustListFresh,
    /// The service answered (only present while it has not).
    Service,
    CardActive,
    /// The document this traveller must cross on is there and usable.
    RequiredDocument,
    DocumentValid(DocumentKind),
    DocumentNumber(DocumentKind),
    /// The Home Return Permit is issued for the holder's region.
    PermitRegion,
    /// Names, sex and birth date agree across documents and with the ID number.
    IdentityConsistent,
    /// An endorsement for the lane's destination, valid today, with trips left.
    Endorsement,
    StayLimit,
    Minor,
    WatchList,
}

impl CheckId {
    /// The checks that say whether the code itself is genuine, fresh and first presented.
    pub fn is_code(self) -> bool {
        matches!(
            self,
            CheckId::CodeSignature | CheckId::CodeFresh | CheckId::CodeNotReplayed
        )
    }

    /// Checks on the traveller's documents (validity, numbers, the required one, the
    /// endorsement, the permit's region).
    pub fn is_document(self) -> bool {
        matches!(
            self,
            CheckId::RequiredDocument
                | CheckId::DocumentValid(_)
                | CheckId::DocumentNumber(_)
                | CheckId::PermitRegion
                | CheckId::Endorsement
        )
    }

    /// Checks whose result turns on today's date or the time: on a lane clock far from the
    /// service's, they say so.
    pub fn depends_on_clock(self) -> bool {
        matches!(
            self,
            CheckId::CodeFresh
                | CheckId::TrustListFresh
                | CheckId::RequiredDocument
                | CheckId::DocumentValid(_)
                | CheckId::Endorsement
                | CheckId::StayLimit
        )
    }

    /// The id as written in the audit log, reports and `verify`'s JSON.
    pub fn wire(self) -> String {
        self.to_string()
    }

    /// Reads an id written by [`CheckId::wire`].
    pub fn parse(text: &str) -> Option<CheckId> {
        let kind = |slug: &str| DocumentKind::ALL.into_iter().find(|k| k.slug() == slug);
        if let Some(slug) = text.strip_prefix("document-valid/") {
            return kind(slug).map(CheckId::DocumentValid);
        }
        if let Some(slug) = text.strip_prefix("document-number/") {
            return kind(slug).map(CheckId::DocumentNumber);
        }
        Some(match text {
            "code-signature" => CheckId::CodeSignature,
            "code-fresh" => CheckId::CodeFresh,
            "code-not-replayed" => CheckId::CodeNotReplayed,
            "trust-list-fresh" => CheckId::TrustListFresh,
            "service" => CheckId::Service,
            "card-active" => CheckId::CardActive,
            "document-required" => CheckId::RequiredDocument,
            "permit-region" => CheckId::PermitRegion,
            "identity-consistent" => CheckId::IdentityConsistent,
            "endorsement" => CheckId::Endorsement,
            "stay-limit" => CheckId::StayLimit,
            "minor" => CheckId::Minor,
            "watch-list" => CheckId::WatchList,
            _ => return None,
        })
    }
}

impl fmt::Display for CheckId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plain = match self {
            CheckId::CodeSignature => "code-signature",
            CheckId::CodeFresh => "code-fresh",
            CheckId::CodeNotReplayed => "code-not-replayed",
            CheckId::TrustListFresh => "trust-list-fresh",
            CheckId::Service => "service",
            CheckId::CardActive => "card-active",
            CheckId::RequiredDocument => "document-required",
            CheckId::PermitRegion => "permit-region",
            CheckId::IdentityConsistent => "identity-consistent",
            CheckId::Endorsement => "endorsement",
            CheckId::StayLimit => "stay-limit",
            CheckId::Minor => "minor",
            CheckId::WatchList => "watch-list",
            CheckId::DocumentValid(k) => return write!(f, "document-valid/{}", k.slug()),
            CheckId::DocumentNumber(k) => return write!(f, "document-number/{}", k.slug()),
        };
        f.write_str(plain)
    }
}

impl serde::Serialize for CheckId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for CheckId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        CheckId::parse(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown check id {text:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_id_reads_back_from_its_wire_name() {
        let mut all = vec![
            CheckId::CodeSignature,
            CheckId::CodeFresh,
            CheckId::CodeNotReplayed,
            CheckId::TrustListFresh,
            CheckId::Service,
            CheckId::CardActive,
            CheckId::RequiredDocument,
            CheckId::PermitRegion,
            CheckId::IdentityConsistent,
            CheckId::Endorsement,
            CheckId::StayLimit,
            CheckId::Minor,
            CheckId::WatchList,
        ];
        for k in DocumentKind::ALL {
            all.push(CheckId::DocumentValid(k));
            all.push(CheckId::DocumentNumber(k));
        }
        for id in all {
            assert_eq!(CheckId::parse(&id.wire()), Some(id), "{id}");
        }
        assert_eq!(CheckId::parse("document-valid/passport"), None);
        assert_eq!(
            CheckId::DocumentValid(DocumentKind::ExitEntryPermit).wire(),
            "document-valid/exit-entry-permit"
        );
    }
}
