//! What the store keeps for trust: the anchor, the trust list's sequence, the lanes'
//! credentials and the holders'. Secrets given out (lane tokens, holder secrets) are kept
//! only as their SHA-256: they are 256 random bits, so a plain hash is enough, and a copy
//! of the database gives no one a working token.

use ed25519_dalek::SigningKey;
use sha2::{Digest, Sha256};

use crate::domain::ids::Kid;

/// A lane's credential as stored (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaneCredential {
    pub checkpoint: String,
    pub lane: String,
    /// The first characters of the token, so an operator can tell tokens apart.
    pub hint: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

/// The result of a key rotation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotation {
    pub new_kid: Kid,
    pub retired: Vec<Kid>,
    /// The trust list's sequence after the rotation.
    pub sequence: u64,
}

/// A new secret to give out (a lane token, a holder secret): 32 random bytes, base64url,
/// with a prefix that says what it is.
pub fn new_secret(prefix: &str) -> String {
    use base64::Engine;
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system's random number source failed");
    format!(
        "{prefix}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

/// What the store keeps of a secret.
pub fn secret_hash(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// Compares two hashes in time that does not depend on where they differ.
pub fn same_hash(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The first characters of a token, for listings.
pub fn hint(secret: &str) -> String {
    secret.chars().take(10).collect()
}

/// A new anchor key, for a database that has none.
pub fn new_anchor() -> SigningKey {
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret).expect("the operating system's random number source failed");
    SigningKey::from_bytes(&secret)
}

/// The active key a rotation adds: valid from now for two years.
pub fn rotated_key(now: i64) -> (Kid, [u8; 32], i64, i64) {
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret).expect("the operating system's random number source failed");
    (Kid::random(), secret, now, now + 2 * 365 * 86_400)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_fresh_prefixed_and_kept_only_as_hashes() {
        let a = new_secret("ldl_");
        let b = new_secret("ldl_");
        assert_ne!(a, b);
        assert!(a.starts_with("ldl_") && a.len() == 4 + 43, "{a}");
        assert!(same_hash(&secret_hash(&a), &secret_hash(&a)));
        assert!(!same_hash(&secret_hash(&a), &secret_hash(&b)));
        assert!(!same_hash(&secret_hash(&a), &[0; 31]));
        assert_eq!(hint(&a).len(), 10);
    }
}
