//! A fresh PostgreSQL database per test, on the server `LANEDESK_TEST_POSTGRES` names
//! (`.ci/run` starts one with `.ci/postgres.sh`). Without the variable the test binary starts
//! a throw-away server itself with the same script (which installs Debian's package when
//! needed, as root) and stops it when the binary exits, so a plain `cargo test` runs these
//! tests too. When neither works the test fails and says why: a PostgreSQL test never
//! passes by being skipped.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use tokio_postgres::NoTls;

pub const VAR: &str = "LANEDESK_TEST_POSTGRES";

/// The server's maintenance URL, or a failure that says what to do.
pub fn server_url() -> String {
    if let Ok(url) = std::env::var(VAR) {
        if !url.trim().is_empty() {
            return url;
        }
    }
    static STARTED: OnceLock<Result<String, String>> = OnceLock::new();
    match STARTED.get_or_init(start_throwaway) {
        Ok(url) => url.clone(),
        Err(why) => panic!(
            "{VAR} is not set, and no throw-away PostgreSQL server could be started here: {why}.\n\
             This test cannot run (it is never skipped). Start a server and run the tests with it:\n\n    \
             eval \"$(bash .ci/postgres.sh start)\"\n    cargo test\n    \
             bash .ci/postgres.sh stop \"$LANEDESK_PG_DIR\"\n\n\
             (.ci/postgres.sh installs Debian's postgresql package if needed, as root; or point {VAR} at \
             any server where the user may create databases: postgres://USER@127.0.0.1:PORT/postgres)"
        ),
    }
}

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".ci/postgres.sh")
}

/// Starts a cluster with `.ci/postgres.sh start` and a watcher that stops it once this
/// test process has gone.
fn start_throwaway() -> Result<String, String> {
    let script = script();
    let out = Command::new("bash")
        .arg(&script)
        .arg("start")
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", script.display()))?;
    if !out.status.success() {
        return Err(format!(
            "{} start failed ({})",
            script.display(),
            out.status
        ));
    }
    let exports = String::from_utf8_lossy(&out.stdout);
    let value = |name: &str| {
        exports.lines().find_map(|line| {
            line.trim()
                .strip_prefix("export ")?
                .strip_prefix(name)?
                .strip_prefix('=')
                .map(str::to_owned)
        })
    };
    let (Some(url), Some(dir)) = (value(VAR), value("LANEDESK_PG_DIR")) else {
        return Err(format!(
            "{} start printed no server: {exports}",
            script.display()
        ));
    };
    let stop = format!(
        "while kill -0 {} 2>/dev/null; do sleep 1; done; bash '{}' stop '{dir}'",
        std::process::id(),
        script.display()
    );
    Command::new("bash")
        .args(["-c", &stop])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot watch the server started in {dir}: {e}"))?;
    Ok(url)
}

/// A database of its own for one test; dropped (with its connections) when this is.
pub struct TestDb {
    pub url: String,
    name: String,
    server: String,
}

fn with_database(server: &str, name: &str) -> String {
    let (head, tail) = server.split_once("://").expect("a postgres:// URL");
    let (authority, query) = match tail.find('/') {
        Some(i) => {
            let rest = &tail[i + 1..];
            (&tail[..i], rest.find('?').map(|q| &rest[q..]).unwrap_or(""))
        }
        None => (tail, ""),
    };
    format!("{head}://{authority}/{name}{query}")
}

async fn admin(server: &str, sql: &str) {
    let (client, conn) = tokio_postgres::connect(server, NoTls)
        .await
        .unwrap_or_else(|e| {
            panic!("cannot connect to {VAR}={server}: {e}. Is the server running?")
        });
    let task = tokio::spawn(conn);
    client
        .batch_execute(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    drop(client);
    let _ = task.await;
}

impl TestDb {
    pub async fn create() -> TestDb {
        let server = server_url();
        let name = format!(
            "lanedesk_t_{}",
            hex::encode(lanedesk::app::random_bytes::<6>())
        );
        admin(&server, &format!("CREATE DATABASE {name}")).await;
        TestDb {
            url: with_database(&server, &name),
            name,
            server,
        }
    }

    /// Drops the database under the service's feet (readiness tests).
    pub async fn drop_now(&self) {
        admin(
            &self.server,
            &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
        )
        .await;
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let (server, name) = (self.server.clone(), self.name.clone());
        // Drop may run inside a runtime; a thread of its own with its own runtime works
        // from anywhere.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                if let Ok((client, conn)) = tokio_postgres::connect(&server, NoTls).await {
                    let task = tokio::spawn(conn);
                    let _ = client
                        .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .await;
                    drop(client);
                    let _ = task.await;
                }
            });
        })
        .join();
    }
}

#[test]
fn urls_name_the_test_database() {
    assert_eq!(
        with_database("postgres://postgres@127.0.0.1:55432/postgres", "t1"),
        "postgres://postgres@127.0.0.1:55432/t1"
    );
    assert_eq!(
        with_database("postgres://u:p@h/postgres?sslmode=disable", "t1"),
        "postgres://u:p@h/t1?sslmode=disable"
    );
}
