//! The e-card code, format `EC1`: `EC1:` + base45(COSE_Sign1).
//!
//! The protected header carries `alg` = EdDSA and an 8-byte `kid`; the payload is a CBOR map
//! with CWT claims `1` iss, `4` exp, `6` iat, `7` cti (12-byte nonce) and the private claim
//! [`CARD_CLAIM`] holding the 16-byte card reference. No personal data is in the code.
//!
//! Parsing is strict: a size limit, the exact structure, canonical CBOR only, and EdDSA only.
//! Each way a code can be wrong is its own [`CredentialError`] whose message an officer can act on.

use ciborium::Value;
use coset::{CoseError, CoseSign1, CoseSign1Builder, HeaderBuilder, TaggedCborSerializable, iana};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};

pub use super::ids::{CardRef, Kid, Nonce};
use super::replay::ReplayCache;
use super::trust::{KeyStatus, TrustList};

pub const PREFIX: &str = "EC1:";
/// Codes we mint are about 215 characters. Anything past this is refused before decoding.
pub const MAX_TEXT_CHARS: usize = 400;
/// The phone app refreshes codes; each lives this long.
pub const TOKEN_LIFETIME_SECS: i64 = 60;
/// A code claiming a longer life than this was not made by an e-card issuer.
pub const MAX_LIFETIME_SECS: i64 = 600;
pub const DEFAULT_SKEW_SECS: i64 = 30;
/// Private-use CWT claim holding the card reference.
pub const CARD_CLAIM: i64 = -65537;

const CLAIM_ISS: i64 = 1;
const CLAIM_EXP: i64 = 4;
const CLAIM_IAT: i64 = 6;
const CLAIM_CTI: i64 = 7;

/// What a code asserts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    pub issuer: String,
    pub issued_at: i64,
    pub expires_at: i64,
    pub nonce: Nonce,
    pub card: CardRef,
}

impl Claims {
    /// Claims for a new code for `card`, issued at `now`, living [`TOKEN_LIFETIME_SECS`].
    pub fn fresh(issuer: &str, card: CardRef, now: i64) -> Self {
        Self {
            issuer: issuer.to_owned(),
            issued_at: now,
            expires_at: now + TOKEN_LIFETIME_SECS,
            nonce: Nonce::random(),
            card,
        }
    }

    fn to_cbor(&self) -> Vec<u8> {
        let map = Value::Map(vec![
            (CLAIM_ISS.into(), Value::Text(self.issuer.clone())),
            (CLAIM_EXP.into(), self.expires_at.into()),
            (CLAIM_IAT.into(), self.issued_at.into()),
            (CLAIM_CTI.into(), Value::Bytes(self.nonce.0.to_vec())),
            (CARD_CLAIM.into(), Value::Bytes(self.card.0.to_vec())),
        ]);
        let mut out = Vec::with_capacity(64);
        ciborium::into_writer(&map, &mut out).expect("writing CBOR to memory cannot fail");
        out
    }
}

/// Mints the QR text for `claims`, signed with `key` under `kid`.
pub fn mint(claims: &Claims, kid: Kid, key: &SigningKey) -> String {
    let protected = HeaderBuilder::new()
        .algorithm(iana::Algorithm::EdDSA)
        .key_id(kid.0.to_vec())
        .build();
    let sign1 = CoseSign1Builder::new()
        .protected(protected)
        .payload(claims.to_cbor())
        .create_signature(b"", |data| key.sign(data).to_bytes().to_vec())
        .build();
    let bytes = sign1
        .to_tagged_vec()
        .expect("encoding a COSE_Sign1 to memory cannot fail");
    format!("{PREFIX}{}", base45::encode(bytes))
}

/// Everything that can be wrong with a presented code, worded for the officer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialError {
    #[error(
        "This QR code is not an e-card code. Ask the traveller to open the e-card app and show its code."
    )]
    NotEc1,
    #[error(
        "This code is too large to be an e-card code ({chars} characters, at most {MAX_TEXT_CHARS}). Treat it as forged and ask for the code from the e-card app."
    )]
    TooLarge { chars: usize },
    #[error(
        "The code could not be read in full ({detail}). Ask the traveller to refresh the code in the app and show it again."
    )]
    Damaged { detail: String },
    #[error(
        "The code is not built the way e-card codes are ({detail}). Treat it as forged; refer to second line if the traveller insists."
    )]
    Malformed { detail: String },
    #[error(
        "The code is signed with an algorithm e-card codes never use ({algorithm}). Treat it as forged."
    )]
    UnsupportedAlgorithm { algorithm: String },
    #[error(
        "The code is signed by a key that is not on the trust list (key {kid}). It may be forged, or this lane's trust list is out of date: refresh it, then refer to second line."
    )]
    UnknownKey { kid: Kid },
    #[error(
        "The code is signed with a retired issuer key (key {kid}). Codes from that key are no longer accepted: ask the traveller to update the e-card app and show a fresh code."
    )]
    RetiredKey { kid: Kid },
    #[error(
        "The code is signed with a revoked issuer key (key {kid}): nothing it signed can be trusted. Refer to second line."
    )]
    RevokedKey { kid: Kid },
    #[error(
        "The code claims to be issued before its key was in service (key {kid}). Treat it as forged."
    )]
    KeyNotYetValid { kid: Kid },
    #[error(
        "The signature does not match the code: it has been altered or forged. Refer to second line."
    )]
    BadSignature,
    #[error(
        "The code names issuer {claimed:?} but is signed with a key of issuer {expected:?}. Treat it as forged."
    )]
    WrongIssuer { claimed: String, expected: String },
    #[error(
        "The code expired {seconds} seconds ago. Ask the traveller to refresh the code in the app."
    )]
    Expired { seconds: i64 },
    #[error(
        "The code is dated {seconds} seconds in the future. Check this console's clock and the phone's clock, then ask for a fresh code."
    )]
    NotYetValid { seconds: i64 },
    #[error(
        "This exact code was already presented at this lane at {} (UTC+8). A code is good for one presentation: this may be a copy. Ask for a fresh code and check the traveller.", clock_time(*first_seen)
    )]
    Replayed { first_seen: i64 },
}

impl CredentialError {
    /// A stable machine-readable id for this kind of error.
    pub fn code(&self) -> &'static str {
        match self {
            CredentialError::NotEc1 => "not-ec1",
            CredentialError::TooLarge { .. } => "too-large",
            CredentialError::Damaged { .. } => "damaged",
            CredentialError::Malformed { .. } => "malformed",
            CredentialError::UnsupportedAlgorithm { .. } => "unsupported-algorithm",
            CredentialError::UnknownKey { .. } => "unknown-key",
            CredentialError::RetiredKey { .. } => "retired-key",
            CredentialError::RevokedKey { .. } => "revoked-key",
            CredentialError::KeyNotYetValid { .. } => "key-not-yet-valid",
            CredentialError::BadSignature => "bad-signature",
            CredentialError::WrongIssuer { .. } => "wrong-issuer",
            CredentialError::Expired { .. } => "expired",
            CredentialError::NotYetValid { .. } => "not-yet-valid",
            CredentialError::Replayed { .. } => "replayed",
        }
    }
}

/// HH:MM:SS at UTC+8, the local time of every control point this console serves.
pub fn clock_time(unix: i64) -> String {
    let offset = chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset");
    chrono::DateTime::from_timestamp(unix, 0)
        .map(|t| t.with_timezone(&offset).format("%H:%M:%S").to_string())
        .unwrap_or_else(|| "an unknown time".to_owned())
}

fn malformed(detail: impl Into<String>) -> CredentialError {
    CredentialError::Malformed {
        detail: detail.into(),
    }
}

/// A code whose structure is right, but whose signature and dates are not yet checked.
#[derive(Debug, Clone)]
pub struct ParsedCode {
    pub kid: Kid,
    pub claims: Claims,
    sign1: CoseSign1,
}

impl ParsedCode {
    /// Whether the signature was made by `key` over this code's protected header and payload.
    pub fn signature_matches(&self, key: &VerifyingKey) -> bool {
        self.sign1
            .verify_signature(b"", |sig, data| {
                let sig = Signature::from_slice(sig).map_err(|_| ())?;
                key.verify_strict(data, &sig).map_err(|_| ())
            })
            .is_ok()
    }
}

/// Parses QR text strictly into a [`ParsedCode`]. Never panics, whatever the input.
pub fn parse(text: &str) -> Result<ParsedCode, CredentialError> {
    let Some(body) = text.strip_prefix(PREFIX) else {
        return Err(CredentialError::NotEc1);
    };
    let chars = text.chars().count();
    if chars > MAX_TEXT_CHARS {
        return Err(CredentialError::TooLarge { chars });
    }
    let bytes = base45::decode(body).map_err(|_| CredentialError::Damaged {
        detail: "the text is not valid base45".into(),
    })?;
    let sign1 = CoseSign1::from_tagged_slice(&bytes).map_err(|e| match e {
        CoseError::DecodeFailed(_) => CredentialError::Damaged {
            detail: "the data inside is cut short or corrupt".into(),
        },
        CoseError::ExtraneousData => malformed("extra data after the signature"),
        other => malformed(format!("not a signed COSE message: {other}")),
    })?;
    // Canonical form only: one code, one encoding. Also rejects indefinite lengths and
    // over-long integers that a tampering tool might use to smuggle data.
    let reencoded = sign1
        .clone()
        .to_tagged_vec()
        .map_err(|_| malformed("the signed message cannot be re-encoded"))?;
    if reencoded != bytes {
        return Err(malformed("the signed message is not in canonical form"));
    }
    let kid = check_headers(&sign1)?;
    if sign1.signature.len() != Signature::BYTE_SIZE {
        return Err(malformed(format!(
            "the signature is {} bytes, not {}",
            sign1.signature.len(),
            Signature::BYTE_SIZE
        )));
    }
    let payload = sign1
        .payload
        .as_deref()
        .ok_or_else(|| malformed("it carries no payload"))?;
    let claims = parse_claims(payload)?;
    Ok(ParsedCode { kid, claims, sign1 })
}

fn check_headers(sign1: &CoseSign1) -> Result<Kid, CredentialError> {
    let header = &sign1.protected.header;
    match &header.alg {
        Some(coset::Algorithm::Assigned(iana::Algorithm::EdDSA)) => {}
        Some(other) => {
            return Err(CredentialError::UnsupportedAlgorithm {
                algorithm: format!("{other:?}"),
            });
        }
        None => return Err(malformed("it names no signature algorithm")),
    }
    let kid = Kid::from_slice(&header.key_id).ok_or_else(|| {
        malformed(format!(
            "its key id is {} bytes, not 8",
            header.key_id.len()
        ))
    })?;
    let extra = !header.crit.is_empty()
        || header.content_type.is_some()
        || !header.iv.is_empty()
        || !header.partial_iv.is_empty()
        || !header.counter_signatures.is_empty()
        || !header.rest.is_empty();
    if extra {
        return Err(malformed(
            "its protected header has fields e-card codes never use",
        ));
    }
    if !sign1.unprotected.is_empty() {
        return Err(malformed("it has unprotected header fields"));
    }
    Ok(kid)
}

fn parse_claims(payload: &[u8]) -> Result<Claims, CredentialError> {
    let value: Value =
        ciborium::from_reader(payload).map_err(|_| malformed("its payload is not valid CBOR"))?;
    let mut canonical = Vec::with_capacity(payload.len());
    ciborium::into_writer(&value, &mut canonical)
        .map_err(|_| malformed("its payload cannot be re-encoded"))?;
    if canonical != payload {
        return Err(malformed("its payload is not in canonical form"));
    }
    let Value::Map(entries) = value else {
        return Err(malformed("its payload is not a map of claims"));
    };
    let (mut iss, mut exp, mut iat, mut cti, mut card) = (None, None, None, None, None);
    for (key, value) in entries {
        let key = key
            .as_integer()
            .and_then(|k| i64::try_from(k).ok())
            .ok_or_else(|| malformed("a claim is not identified by a number"))?;
        let slot_taken = match key {
            CLAIM_ISS => iss.replace(value).is_some(),
            CLAIM_EXP => exp.replace(value).is_some(),
            CLAIM_IAT => iat.replace(value).is_some(),
            CLAIM_CTI => cti.replace(value).is_some(),
            CARD_CLAIM => card.replace(value).is_some(),
            other => return Err(malformed(format!("it has an unexpected claim {other}"))),
        };
        if slot_taken {
            return Err(malformed(format!("claim {key} appears twice")));
        }
    }
    let issuer = match iss {
        Some(Value::Text(s))
            if (1..=16).contains(&s.len())
                && s.bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-') =>
        {
            s
        }
        Some(_) => return Err(malformed("its issuer is not a short issuer id")),
        None => return Err(malformed("it names no issuer")),
    };
    let expires_at = int_claim(exp, "expiry time")?;
    let issued_at = int_claim(iat, "issue time")?;
    let nonce = bytes_claim(cti, "nonce").and_then(|b| {
        Nonce::from_slice(&b).ok_or_else(|| malformed("its nonce is not 12 bytes"))
    })?;
    let card = bytes_claim(card, "card reference").and_then(|b| {
        CardRef::from_slice(&b).ok_or_else(|| malformed("its card reference is not 16 bytes"))
    })?;
    if expires_at <= issued_at {
        return Err(malformed("it expires before it was issued"));
    }
    // Both times come from the code: a difference past i64 is a lifetime too long too.
    let lifetime = expires_at.checked_sub(issued_at).unwrap_or(i64::MAX);
    if lifetime > MAX_LIFETIME_SECS {
        return Err(malformed(format!(
            "it claims to live {lifetime} seconds; e-card codes live {TOKEN_LIFETIME_SECS}"
        )));
    }
    Ok(Claims {
        issuer,
        issued_at,
        expires_at,
        nonce,
        card,
    })
}

fn int_claim(value: Option<Value>, what: &str) -> Result<i64, CredentialError> {
    match value {
        Some(Value::Integer(i)) => {
            i64::try_from(i).map_err(|_| malformed(format!("its {what} is out of range")))
        }
        Some(_) => Err(malformed(format!("its {what} is not a number"))),
        None => Err(malformed(format!("it has no {what}"))),
    }
}

fn bytes_claim(value: Option<Value>, what: &str) -> Result<Vec<u8>, CredentialError> {
    match value {
        Some(Value::Bytes(b)) => Ok(b),
        Some(_) => Err(malformed(format!("its {what} is not a byte string"))),
        None => Err(malformed(format!("it has no {what}"))),
    }
}

/// A code that passed every offline check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedCode {
    pub kid: Kid,
    pub claims: Claims,
}

/// The offline checks, in order: structure, issuer key known and in service, signature,
/// issuer, time window (with `skew_secs` either side), then the lane's replay cache when
/// one is given. Only a code that passes everything else is remembered as presented.
pub fn verify(
    text: &str,
    trust: &TrustList,
    now: i64,
    skew_secs: i64,
    replay: Option<&mut ReplayCache>,
) -> Result<VerifiedCode, CredentialError> {
    let parsed = parse(text)?;
    let kid = parsed.kid;
    let key = trust
        .find(&kid)
        .ok_or(CredentialError::UnknownKey { kid })?;
    // Signature first: a forged code naming a retired key is reported as forged.
    if !parsed.signature_matches(&key.key) {
        return Err(CredentialError::BadSignature);
    }
    match key.status {
        KeyStatus::Revoked => return Err(CredentialError::RevokedKey { kid }),
        KeyStatus::Retired => return Err(CredentialError::RetiredKey { kid }),
        KeyStatus::Active => {}
    }
    let claims = parsed.claims;
    if claims.issued_at > key.valid_until || now > key.valid_until + skew_secs {
        return Err(CredentialError::RetiredKey { kid });
    }
    if claims.issued_at + skew_secs < key.valid_from {
        return Err(CredentialError::KeyNotYetValid { kid });
    }
    if claims.issuer != key.issuer {
        return Err(CredentialError::WrongIssuer {
            claimed: claims.issuer,
            expected: key.issuer.clone(),
        });
    }
    if now > claims.expires_at + skew_secs {
        return Err(CredentialError::Expired {
            seconds: now - claims.expires_at,
        });
    }
    if claims.issued_at > now + skew_secs {
        return Err(CredentialError::NotYetValid {
            seconds: claims.issued_at - now,
        });
    }
    if let Some(cache) = replay {
        cache
            .check_and_record(claims.nonce, now, claims.expires_at + skew_secs)
            .map_err(|first_seen| CredentialError::Replayed { first_seen })?;
    }
    Ok(VerifiedCode { kid, claims })
}

#[cfg(test)]
mod tests;
