//! `lanedesk issuer serve` as a real process on a free loopback port. Shared by the CLI
//! tests and the service benchmark (which includes this file by path).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// The running service; killed when dropped.
pub struct Served {
    child: Child,
    pub url: String,
    /// The trust anchor it signs its trust list with (`ed25519:…`).
    pub anchor: String,
    /// The service's SQLite file (or PostgreSQL URL), for tests that look at what it stored.
    pub db: std::path::PathBuf,
    /// What it wrote to stderr after its address line.
    pub log: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    _dir: tempfile::TempDir,
}

impl Served {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGTERM (as systemd does) and waits for the exit status.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        self.child.wait().unwrap()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `lanedesk issuer serve` with a fresh database and waits for its address.
pub fn serve(binary: &str, lane_token: &str, extra: &[&str]) -> Served {
    serve_on(binary, lane_token, None, extra)
}

/// As [`serve`], on the database `db` names (a SQLite path or a `postgres://` URL)
/// instead of a fresh SQLite file.
pub fn serve_on(binary: &str, lane_token: &str, db: Option<&str>, extra: &[&str]) -> Served {
    serve_with_env(binary, lane_token, db, extra, &[])
}

/// As [`serve_on`], with environment variables (`LANEDESK_LOG` is `warn` unless set here).
pub fn serve_with_env(
    binary: &str,
    lane_token: &str,
    db: Option<&str>,
    extra: &[&str],
    env: &[(&str, &str)],
) -> Served {
    let dir = tempfile::tempdir().unwrap();
    let db_arg = match db {
        Some(db) => std::ffi::OsString::from(db),
        None => dir.path().join("issuer.sqlite").into_os_string(),
    };
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut child = Command::new(binary)
        .env_remove("LANEDESK_LANE_TOKEN")
        .env("LANEDESK_LOG", "warn")
        .envs(env.iter().copied())
        .args([
            "issuer",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--demo",
            "--lane-token",
            lane_token,
        ])
        .arg("--db")
        .arg(&db_arg)
        .arg("--fixtures")
        .arg(&fixtures)
        .args(extra)
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("the lanedesk binary runs");
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines().map_while(Result::ok);
    let mut said = Vec::new();
    let url = lines
        .by_ref()
        .find_map(|line| {
            let url = line
                .split("serving API v1 at ")
                .nth(1)
                .and_then(|rest| rest.split_whitespace().next())
                .map(str::to_owned);
            said.push(line);
            url
        })
        .unwrap_or_else(|| {
            panic!(
                "the service printed no address; it said:\n{}",
                said.join("\n")
            )
        });
    // The next line names the trust anchor lanes pin.
    let anchor = lines
        .by_ref()
        .find_map(|line| {
            line.split("trust anchor ")
                .nth(1)
                .and_then(|rest| rest.split_whitespace().next())
                .map(str::to_owned)
        })
        .expect("the service names its trust anchor");
    // Keep reading what it says, so a full pipe never blocks it; tests may look at it.
    let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = log.clone();
    std::thread::spawn(move || {
        for line in lines {
            sink.lock().unwrap().push(line);
        }
    });
    Served {
        child,
        url,
        anchor,
        db: std::path::PathBuf::from(db_arg),
        log,
        _dir: dir,
    }
}
