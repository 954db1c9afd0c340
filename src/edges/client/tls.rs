//! The service's certificate refused, told apart: each reason rustls gives becomes a
//! sentence saying what is wrong with the certificate and what to do about it.

use std::error::Error;
use std::path::Path;

use rustls::CertificateError;

/// Made for the service by lanedesk itself: a v3 certificate with every name in it.
const MAKE_ONE: &str = "lanedesk issuer tls-init DIR --name";

/// Why the lane refused the service's certificate, as found in a connection error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// X.509 v1 has no extensions, so no names; webpki reads names only from there.
    Version1,
    /// Valid for these names (empty: it names none), not the host the lane asked for.
    NotForName(Vec<String>),
    Expired(Option<i64>),
    NotYetValid(Option<i64>),
    UnknownIssuer,
    Other(String),
}

impl Refusal {
    /// The refusal inside `e` or one of its causes, if the TLS handshake failed on the
    /// server's certificate.
    pub fn find(e: &(dyn Error + 'static)) -> Option<Refusal> {
        let mut next = Some(e);
        while let Some(e) = next {
            if let Some(refusal) = tls_error(e).and_then(Refusal::from_tls) {
                return Some(refusal);
            }
            next = e.source();
        }
        None
    }

    fn from_tls(e: &rustls::Error) -> Option<Refusal> {
        let rustls::Error::InvalidCertificate(e) = e else {
            return None;
        };
        Some(match e {
            CertificateError::Other(other) if other.to_string() == "UnsupportedCertVersion" => {
                Refusal::Version1
            }
            CertificateError::NotValidForName => Refusal::NotForName(vec![]),
            CertificateError::NotValidForNameContext { presented, .. } => {
                Refusal::NotForName(presented.iter().map(|n| name_of(n)).collect())
            }
            CertificateError::Expired => Refusal::Expired(None),
            CertificateError::ExpiredContext { not_after, .. } => {
                Refusal::Expired(Some(not_after.as_secs() as i64))
            }
            CertificateError::NotValidYet => Refusal::NotYetValid(None),
            CertificateError::NotValidYetContext { not_before, .. } => {
                Refusal::NotYetValid(Some(not_before.as_secs() as i64))
            }
            // A bad signature: signed by another key than the trusted CA of that name (two
            // private CAs named alike), so by a CA this lane does not know either.
            CertificateError::UnknownIssuer | CertificateError::BadSignature => {
                Refusal::UnknownIssuer
            }
            other => Refusal::Other(other.to_string()),
        })
    }

    /// What is wrong and what to do, for a lane that asked for `host`, pinning the CA in
    /// `pinned` when one was given.
    pub fn explain(&self, host: &str, pinned: Option<&Path>) -> String {
        match self {
            Refusal::Version1 => format!(
                "the service's certificate is X.509 v1, which cannot carry the names it is valid for; make a v3 one with `{MAKE_ONE} {host}`"
            ),
            Refusal::NotForName(names) if names.is_empty() => format!(
                "the service's certificate names no host (it has no subjectAltName, and the common name does not count); make one with `{MAKE_ONE} {host}`"
            ),
            Refusal::NotForName(names) => format!(
                "the service's certificate is for {}, not {host}; reach the service by one of those names, or make a certificate for {host} with `{MAKE_ONE} {host}`",
                names.join(", ")
            ),
            Refusal::Expired(at) => format!(
                "the service's certificate expired{}; make a new one (`{MAKE_ONE} {host} --force`) and restart the service, or check this machine's clock if it should still be valid",
                at.map(on).unwrap_or_default()
            ),
            Refusal::NotYetValid(at) => format!(
                "the service's certificate is not valid yet{}; check this machine's clock and the service's",
                at.map(|t| format!(" (from{})", on(t))).unwrap_or_default()
            ),
            Refusal::UnknownIssuer => unknown_issuer(pinned),
            Refusal::Other(why) => match pinned {
                Some(_) => format!("the service's certificate was refused ({why})"),
                None => format!(
                    "the service's certificate was refused ({why}). If the service uses a private CA, give it with --ca-cert"
                ),
            },
        }
    }
}

fn unknown_issuer(pinned: Option<&Path>) -> String {
    match pinned {
        Some(ca) => format!(
            "the service's certificate was not signed by the CA in {} (--ca-cert), the only one this lane trusts; give the ca.pem that signed the service's certificate",
            ca.display()
        ),
        None => "the service's certificate is signed by a CA this lane does not know; if the service uses a private CA, give it with --ca-cert (ca-cert in the lane configuration)".into(),
    }
}

/// " on 2024-01-31 00:00 UTC" for a Unix time.
fn on(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|t| format!(" on {}", t.format("%Y-%m-%d %H:%M UTC")))
        .unwrap_or_default()
}

/// `localhost` for webpki's `DnsName("localhost")`, `127.0.0.1` for `IpAddress(127.0.0.1)`.
fn name_of(presented: &str) -> String {
    let inner = presented
        .split_once('(')
        .and_then(|(_, rest)| rest.strip_suffix(')'))
        .unwrap_or(presented);
    crate::domain::text::sanitize(inner.trim_matches('"'))
}

/// The rustls error `e` is, or carries inside I/O errors (the TLS stream reports it in
/// one, and the connector wraps that in another; `source()` skips what they carry).
fn tls_error<'a>(e: &'a (dyn Error + 'static)) -> Option<&'a rustls::Error> {
    if let Some(tls) = e.downcast_ref::<rustls::Error>() {
        return Some(tls);
    }
    let carried = e.downcast_ref::<std::io::Error>()?.get_ref()?;
    tls_error(carried)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webpki_names_are_shown_bare() {
        assert_eq!(name_of("DnsName(\"localhost\")"), "localhost");
        assert_eq!(name_of("IpAddress(127.0.0.1)"), "127.0.0.1");
    }

    #[test]
    fn an_unknown_ca_asks_for_one_only_when_none_was_given() {
        let asked = Refusal::UnknownIssuer.explain("h", None);
        assert!(asked.contains("give it with --ca-cert"), "{asked}");
        let pinned = Refusal::UnknownIssuer.explain("h", Some(Path::new("/etc/ca.pem")));
        assert!(!pinned.contains("give it with"), "{pinned}");
        assert!(pinned.contains("/etc/ca.pem"), "{pinned}");
    }

    #[test]
    fn an_io_error_carrying_a_rustls_error_is_found() {
        let tls = rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer);
        let io = std::io::Error::new(std::io::ErrorKind::InvalidData, tls);
        let wrapped = std::io::Error::other(io);
        assert_eq!(Refusal::find(&wrapped), Some(Refusal::UnknownIssuer));
    }
}
