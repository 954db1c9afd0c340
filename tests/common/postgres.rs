//! A fresh PostgreSQL database per test, on the server `LANEDESK_TEST_POSTGRES` names
//! (`.ci/run` starts one with `.ci/postgres.sh`). Without the variable the test fails and
//! says how to start a server: a PostgreSQL test never passes by being skipped.

use tokio_postgres::NoTls;

pub const VAR: &str = "LANEDESK_TEST_POSTGRES";

/// The server's maintenance URL, or a failure that says what to do.
pub fn server_url() -> String {
    match std::env::var(VAR) {
        Ok(url) if !url.trim().is_empty() => url,
        _ => panic!(
            "{VAR} is not set, so this PostgreSQL test cannot run (it is never skipped).\n\
             Start a throw-away server and run the tests with it:\n\n    \
             eval \"$(bash .ci/postgres.sh start)\"\n    cargo test\n    \
             bash .ci/postgres.sh stop \"$LANEDESK_PG_DIR\"\n\n\
             (.ci/postgres.sh installs Debian's postgresql package if needed; or point {VAR} at \
             any server where the user may create databases: postgres://USER@127.0.0.1:PORT/postgres)"
        ),
    }
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
