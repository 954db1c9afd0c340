//! What a forger can make: a code that names the issuer and one of its real key ids but is
//! signed with a key the issuer never had. The demo's X key, training's forged steps and the
//! tests all make their forgeries here.

use super::credential::{self, CardRef, Claims, Kid};

/// The public facts a forger puts in a code: the issuer's id and a key id it uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forgery {
    pub issuer_id: String,
    pub kid: Kid,
}

impl Forgery {
    /// A fresh-looking code for `card`, issued at `now`, signed by a new random key.
    pub fn code(&self, card: CardRef, now: i64) -> String {
        let mut secret = [0u8; 32];
        // Any key the issuer does not have will do; zeros (if the source failed) too.
        let _ = getrandom::fill(&mut secret);
        let forger = ed25519_dalek::SigningKey::from_bytes(&secret);
        let claims = Claims::fresh(&self.issuer_id, card, now);
        credential::mint(&claims, self.kid, &forger)
    }
}
