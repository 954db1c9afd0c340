//! `lanedesk issuer serve` as a real process on a free loopback port. Shared by the CLI
//! tests and the service benchmark (which includes this file by path).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// The running service; killed when dropped.
pub struct Served {
    child: Child,
    pub url: String,
    /// The service's SQLite file, for tests that look at what it stored.
    pub db: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `lanedesk issuer serve` with a fresh database and waits for its address.
pub fn serve(binary: &str, lane_token: &str, extra: &[&str]) -> Served {
    let dir = tempfile::tempdir().unwrap();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut child = Command::new(binary)
        .env_remove("LANEDESK_LANE_TOKEN")
        .env("LANEDESK_LOG", "warn")
        .args([
            "issuer",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--lane-token",
            lane_token,
        ])
        .arg("--db")
        .arg(dir.path().join("issuer.sqlite"))
        .arg("--fixtures")
        .arg(&fixtures)
        .args(extra)
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("the lanedesk binary runs");
    let stderr = child.stderr.take().unwrap();
    let url = BufReader::new(stderr)
        .lines()
        .map_while(Result::ok)
        .find_map(|line| {
            line.split("serving API v1 at ")
                .nth(1)
                .and_then(|rest| rest.split_whitespace().next())
                .map(str::to_owned)
        })
        .expect("the service printed its address");
    Served {
        child,
        url,
        db: dir.path().join("issuer.sqlite"),
        _dir: dir,
    }
}
