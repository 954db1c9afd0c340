//! The opaque identifiers in an e-card code: the signing key's id, the card reference and
//! the code's nonce. Written as hexadecimal wherever they appear as text.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

macro_rules! hex_id {
    ($(#[$doc:meta])* $name:ident, $len:expr, $what:expr) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub [u8; $len]);

        impl $name {
            pub const LEN: usize = $len;

            pub fn random() -> Self {
                let mut bytes = [0u8; $len];
                getrandom::fill(&mut bytes)
                    .expect("the operating system's random number source failed");
                Self(bytes)
            }

            pub fn from_slice(bytes: &[u8]) -> Option<Self> {
                bytes.try_into().ok().map(Self)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&hex::encode(self.0))
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self)
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                let bytes = hex::decode(s.trim()).map_err(|_| {
                    format!(
                        "{:?} is not a {}: expected {} hexadecimal digits",
                        super::text::sanitize(s),
                        $what,
                        $len * 2
                    )
                })?;
                Self::from_slice(&bytes).ok_or_else(|| {
                    format!(
                        "{:?} is not a {}: expected {} hexadecimal digits, got {}",
                        super::text::sanitize(s),
                        $what,
                        $len * 2,
                        s.trim().len()
                    )
                })
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.to_string())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

hex_id!(
    /// Identifies the issuer key that signed a code.
    Kid, 8, "key id"
);
hex_id!(
    /// The card reference in a code: opaque, no personal data.
    CardRef, 16, "card reference"
);
hex_id!(
    /// The code's unique id (CWT `cti`): what replay detection remembers.
    Nonce, 12, "code nonce"
);
