//! `issuer serve` started from a folder that is not the checkout, without --db or
//! --fixtures: it finds the fixtures where the data is installed (here, the repository) and
//! keeps its database in the user's state folder, and says so.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

/// `lanedesk issuer serve` in `dir` with `home` as its home and none of lanedesk's folder
/// variables but `env`.
fn serve_in(dir: &Path, home: &Path, env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lanedesk"));
    for var in [
        "LANEDESK_LANE_TOKEN",
        "LANEDESK_STATE_DIR",
        "LANEDESK_DATA_DIR",
        "STATE_DIRECTORY",
        "XDG_STATE_HOME",
    ] {
        cmd.env_remove(var);
    }
    cmd.current_dir(dir)
        .env("HOME", home)
        .env("LANEDESK_LOG", "info")
        .envs(env.iter().copied())
        .args([
            "issuer",
            "serve",
            "--demo",
            "--listen",
            "127.0.0.1:0",
            "--lane-token",
            "t",
        ]);
    cmd
}

#[test]
fn serve_from_another_folder_finds_its_fixtures_and_keeps_its_database_in_state() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let mut child = serve_in(dir.path(), &home, &[])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let mut said = Vec::new();
    for line in stderr.lines().map_while(Result::ok) {
        let serving = line.contains("serving API v1 at");
        said.push(line);
        if serving {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    let said = said.join("\n");
    let db = home.join(".local/state/lanedesk-issuer/issuer.sqlite");
    assert!(said.contains("serving API v1 at"), "{said}");
    assert!(db.is_file(), "no {} after:\n{said}", db.display());
    assert!(
        said.contains(&format!("database {}", db.display())),
        "{said}"
    );
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    assert!(
        said.contains(&format!("fixtures {}", fixtures.display())),
        "{said}"
    );
    assert!(!dir.path().join("lanedesk-issuer.sqlite").exists());
}

#[test]
fn serve_without_fixtures_names_where_it_looked() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = serve_in(
        dir.path(),
        dir.path(),
        &[("LANEDESK_DATA_DIR", data.to_str().unwrap())],
    )
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&data.join("fixtures").display().to_string()),
        "{err}"
    );
    assert!(err.contains("--fixtures"), "{err}");
}
