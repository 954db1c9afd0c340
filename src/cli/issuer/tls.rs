//! `lanedesk issuer tls-init`: a private CA and a server certificate the lanes accept, so
//! a service can be set up for HTTPS from the README alone. The lanes pin the CA (ca.pem);
//! its key is not kept, so nothing else can ever be signed with it.

use std::io::Write;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::{Datelike, NaiveDate};
use clap::Args;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose, SanType, SerialNumber,
};

use crate::cli::fail;

const CA_FILE: &str = "ca.pem";
const CERT_FILE: &str = "server.pem";
const KEY_FILE: &str = "server-key.pem";

#[derive(Debug, Args)]
#[command(
    after_help = "Writes DIR/ca.pem (give it to every lane: ca-cert in lane.toml), DIR/server.pem \
and DIR/server-key.pem (the service's --tls-cert and --tls-key; the key readable by its owner \
only). The certificate is X.509 v3, for every --name (host names and IP addresses), for \
servers (extended key usage serverAuth), signed by a CA made for it whose key is then thrown \
away: to renew, run it again with --force and give the lanes the new ca.pem.\n\n\
Examples:\n  lanedesk issuer tls-init /etc/lanedesk/tls --name issuer.example,10.0.0.5\n  lanedesk issuer tls-init ./tls --name localhost,127.0.0.1 --days 30"
)]
pub struct TlsInitArgs {
    /// Folder to write the files into (created if missing).
    #[arg(value_name = "DIR")]
    dir: PathBuf,
    /// Every name lanes reach the service by, comma-separated: host names and IP addresses.
    #[arg(
        long,
        value_delimiter = ',',
        required = true,
        value_name = "HOST[,HOST...]"
    )]
    name: Vec<String>,
    /// Days the certificates are valid, from today.
    #[arg(long, default_value_t = 825)]
    days: u32,
    /// Replace ca.pem, server.pem and server-key.pem when they are already there.
    #[arg(long)]
    force: bool,
}

/// The three files, in PEM.
struct Material {
    ca: String,
    cert: String,
    key: String,
}

pub fn run(args: TlsInitArgs) -> ExitCode {
    match init(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(e),
    }
}

fn init(args: &TlsInitArgs) -> Result<(), String> {
    let names = args
        .name
        .iter()
        .map(|n| san(n))
        .collect::<Result<Vec<_>, _>>()?;
    if names.is_empty() || args.days == 0 {
        return Err("give at least one --name and a --days above 0".into());
    }
    let today = chrono::Utc::now().date_naive();
    let until = today + chrono::Days::new(args.days.into());
    let material = make(&args.name, names, today, until)?;
    let paths = write(&args.dir, &material, args.force)?;
    print_settings(&paths, &args.name, until);
    Ok(())
}

/// A name as a subjectAltName: an IP address, or a host name lanes can type.
fn san(name: &str) -> Result<SanType, String> {
    let name = name.trim();
    if let Ok(ip) = name.trim_matches(['[', ']']).parse::<IpAddr>() {
        return Ok(SanType::IpAddress(ip));
    }
    let host_like = !name.is_empty()
        && name.len() <= 253
        && name
            .split('.')
            .all(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
    if !host_like {
        return Err(format!(
            "--name {name:?} is not a host name or an IP address: give names like issuer.example or 10.0.0.5, without https:// or a port"
        ));
    }
    name.to_ascii_lowercase()
        .try_into()
        .map(SanType::DnsName)
        .map_err(|e| format!("--name {name:?}: {e}"))
}

fn make(
    given: &[String],
    names: Vec<SanType>,
    from: NaiveDate,
    until: NaiveDate,
) -> Result<Material, String> {
    let err = |e: rcgen::Error| format!("cannot make the certificates: {e}");
    let mut ca_params = params(from, until)?;
    ca_params.distinguished_name.push(
        DnType::CommonName,
        format!("lanedesk issuer CA for {}", given[0].trim()),
    );
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca =
        CertifiedIssuer::self_signed(ca_params, KeyPair::generate().map_err(err)?).map_err(err)?;

    let mut params = params(from, until)?;
    params
        .distinguished_name
        .push(DnType::CommonName, given[0].trim());
    params.subject_alt_names = names;
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    let key = KeyPair::generate().map_err(err)?;
    let cert = params.signed_by(&key, &ca).map_err(err)?;
    Ok(Material {
        ca: ca.pem(),
        cert: cert.pem(),
        key: key.serialize_pem(),
    })
}

/// Parameters valid from `from` (at midnight UTC, so a lane's clock a little behind still
/// accepts them) to `until`, with a random serial number.
fn params(from: NaiveDate, until: NaiveDate) -> Result<CertificateParams, String> {
    let day = |d: NaiveDate| rcgen::date_time_ymd(d.year(), d.month() as u8, d.day() as u8);
    let mut serial = [0u8; 16];
    getrandom::fill(&mut serial).map_err(|e| format!("no random numbers: {e}"))?;
    serial[0] &= 0x7f;
    let mut params = CertificateParams::default();
    params.distinguished_name = rcgen::DistinguishedName::new();
    params.not_before = day(from);
    params.not_after = day(until);
    params.serial_number = Some(SerialNumber::from_slice(&serial));
    Ok(params)
}

/// The files written: ca.pem, server.pem, server-key.pem, as absolute paths.
struct Written {
    ca: PathBuf,
    cert: PathBuf,
    key: PathBuf,
}

fn write(dir: &Path, material: &Material, force: bool) -> Result<Written, String> {
    std::fs::create_dir_all(dir)
        .map_err(|e| format!("cannot create the folder {} ({e})", dir.display()))?;
    let dir = std::fs::canonicalize(dir)
        .map_err(|e| format!("cannot use the folder {} ({e})", dir.display()))?;
    let written = Written {
        ca: dir.join(CA_FILE),
        cert: dir.join(CERT_FILE),
        key: dir.join(KEY_FILE),
    };
    let all = [&written.ca, &written.cert, &written.key];
    let there: Vec<String> = all
        .iter()
        .filter(|p| p.exists())
        .map(|p| p.display().to_string())
        .collect();
    if !there.is_empty() && !force {
        return Err(format!(
            "{} already there: nothing was written. Give --force to replace them (lanes then need the new ca.pem), or another folder",
            there.join(", ")
        ));
    }
    write_file(&written.key, &material.key, 0o600)?;
    write_file(&written.cert, &material.cert, 0o644)?;
    write_file(&written.ca, &material.ca, 0o644)?;
    Ok(written)
}

/// Writes `text` to `path` with `mode`, also when replacing a file that had another one.
fn write_file(path: &Path, text: &str, mode: u32) -> Result<(), String> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let err = |e: std::io::Error| format!("cannot write {} ({e})", path.display());
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(mode)
        .open(path)
        .map_err(err)?;
    file.set_permissions(std::fs::Permissions::from_mode(mode))
        .map_err(err)?;
    file.write_all(text.as_bytes()).map_err(err)
}

fn print_settings(written: &Written, names: &[String], until: NaiveDate) {
    println!(
        "wrote {}, {} and {}: for {}, valid until {until}",
        written.ca.display(),
        written.cert.display(),
        written.key.display(),
        names.join(", ")
    );
    println!("\nThe service (issuer serve; tls-cert and tls-key in its --config file):");
    println!(
        "  --tls-cert {} --tls-key {}",
        shell_word(&written.cert),
        shell_word(&written.key)
    );
    println!("\nEach lane (lane.toml, after copying ca.pem to the lane):");
    let ca = toml::Value::String(written.ca.display().to_string());
    println!("  ca-cert = {ca}");
}

/// A path as one shell word: quoted when it has anything but plain characters.
fn shell_word(path: &Path) -> String {
    let text = path.display().to_string();
    let plain = text
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-+:@".contains(c));
    if plain {
        text
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_hosts_or_addresses() {
        assert!(matches!(san("10.0.0.5"), Ok(SanType::IpAddress(_))));
        assert!(matches!(san("[::1]"), Ok(SanType::IpAddress(_))));
        assert!(matches!(san("Issuer.Example"), Ok(SanType::DnsName(_))));
        for bad in ["https://issuer.example", "issuer.example:8443", "", "a..b"] {
            let err = san(bad).err().unwrap();
            assert!(err.contains("not a host name"), "{bad}: {err}");
        }
    }

    #[test]
    fn files_already_there_are_kept_without_force() {
        let dir = tempfile::tempdir().unwrap();
        let today = NaiveDate::from_ymd_opt(2030, 1, 1).unwrap();
        let until = NaiveDate::from_ymd_opt(2031, 1, 1).unwrap();
        let names = vec!["localhost".to_owned()];
        let material = make(&names, vec![san("localhost").unwrap()], today, until).unwrap();
        write(dir.path(), &material, false).unwrap();
        let ca = std::fs::read_to_string(dir.path().join(CA_FILE)).unwrap();
        let err = write(dir.path(), &material, false).err().unwrap();
        assert!(err.contains("--force"), "{err}");
        let again = make(&names, vec![san("localhost").unwrap()], today, until).unwrap();
        write(dir.path(), &again, true).unwrap();
        assert_ne!(
            std::fs::read_to_string(dir.path().join(CA_FILE)).unwrap(),
            ca
        );
    }

    #[test]
    fn the_key_is_for_its_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(KEY_FILE), "old").unwrap();
        let material = Material {
            ca: "c".into(),
            cert: "s".into(),
            key: "k".into(),
        };
        write(dir.path(), &material, true).unwrap();
        let mode = |f: &str| {
            let meta = std::fs::metadata(dir.path().join(f)).unwrap();
            meta.permissions().mode() & 0o777
        };
        assert_eq!(mode(KEY_FILE), 0o600);
        assert_eq!(mode(CERT_FILE), 0o644);
    }
}
