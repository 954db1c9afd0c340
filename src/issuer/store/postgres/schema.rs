//! Connecting to PostgreSQL: the URL and its configuration, error messages, the schema
//! migrations, and the one-off connections of the blocking look-ups.

use std::time::Duration;

use chrono::Utc;
use tokio_postgres::NoTls;

use crate::issuer::store::StoreError;

use super::{MIGRATION_LOCK, PgStore};

/// Versioned migrations, numbered as SQLite's: PostgreSQL starts at version 2, the first
/// schema with the card lifecycle (SQLite's version 1 is the single-file schema from
/// before versions were recorded).
pub const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        2,
        "cards, documents, endorsements, first presentations, card events",
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
     CREATE TABLE keys (
         kid BYTEA PRIMARY KEY, issuer TEXT NOT NULL, secret BYTEA NOT NULL,
         valid_from BIGINT NOT NULL, valid_until BIGINT NOT NULL, status TEXT NOT NULL);
     CREATE TABLE travellers (
         id TEXT PRIMARY KEY, scenario TEXT NOT NULL, summary TEXT NOT NULL,
         name_zh TEXT NOT NULL, name_latin TEXT NOT NULL, sex TEXT NOT NULL,
         birth_date DATE NOT NULL, residency TEXT NOT NULL, photo TEXT NOT NULL,
         portrait BYTEA NOT NULL,
         crossings TEXT NOT NULL,  -- JSON: read and shown whole
         alerts TEXT NOT NULL);    -- JSON
     CREATE TABLE cards (
         card BYTEA PRIMARY KEY, traveller TEXT NOT NULL UNIQUE REFERENCES travellers (id),
         status TEXT NOT NULL, changed_at BIGINT, changed_by TEXT, change_reason TEXT);
     CREATE TABLE documents (
         traveller TEXT NOT NULL REFERENCES travellers (id), position INTEGER NOT NULL,
         kind TEXT NOT NULL, number TEXT NOT NULL, issued DATE NOT NULL, expires DATE,
         status TEXT NOT NULL, name_zh TEXT NOT NULL, name_latin TEXT NOT NULL,
         sex TEXT NOT NULL, birth_date DATE NOT NULL,
         PRIMARY KEY (traveller, position));
     CREATE TABLE endorsements (
         traveller TEXT NOT NULL, document INTEGER NOT NULL, position INTEGER NOT NULL,
         destination TEXT NOT NULL, type TEXT NOT NULL, valid_from DATE NOT NULL,
         valid_until DATE NOT NULL, trips TEXT NOT NULL, trips_used INTEGER NOT NULL,
         max_stay_days INTEGER NOT NULL,
         PRIMARY KEY (traveller, document, position),
         FOREIGN KEY (traveller, document) REFERENCES documents (traveller, position));
     CREATE TABLE card_events (
         id BIGSERIAL PRIMARY KEY, card BYTEA NOT NULL REFERENCES cards (card),
         action TEXT NOT NULL, from_status TEXT NOT NULL, to_status TEXT NOT NULL,
         reason TEXT NOT NULL, actor TEXT NOT NULL, via TEXT NOT NULL, at BIGINT NOT NULL);
     CREATE INDEX card_events_by_card ON card_events (card, at);
     CREATE TABLE presentations (
         nonce BYTEA PRIMARY KEY, verification_id TEXT NOT NULL, card BYTEA NOT NULL,
         checkpoint TEXT NOT NULL, lane TEXT NOT NULL, at BIGINT NOT NULL); -- Unix ms
     CREATE INDEX presentations_by_time ON presentations (at);
     CREATE TABLE verifications (
         id TEXT PRIMARY KEY, nonce BYTEA NOT NULL, card BYTEA NOT NULL,
         checkpoint TEXT NOT NULL, lane TEXT NOT NULL, direction TEXT NOT NULL,
         officer TEXT NOT NULL, at BIGINT NOT NULL);                      -- Unix ms
     CREATE INDEX verifications_by_time ON verifications (at);
     CREATE TABLE decisions (
         decision_id TEXT PRIMARY KEY, body TEXT NOT NULL, received_at BIGINT NOT NULL,
         trip TEXT);",
    ),
    (
        3,
        "trust anchor, trust list number, lane credentials, holder secrets",
        super::trust::V3,
    ),
    (4, "audit heads the service witnessed", super::witness::V4),
];

/// The URL with its password replaced, for messages and logs.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, tail) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    match authority.rsplit_once('@') {
        Some((userinfo, host)) if userinfo.contains(':') => {
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{scheme}://{user}:***@{host}{tail}")
        }
        _ => url.to_owned(),
    }
}

/// The driver's Display hides the server's message; the database error or the source has it.
fn describe(e: &tokio_postgres::Error) -> String {
    e.as_db_error()
        .map(|d| d.message().to_owned())
        .or_else(|| std::error::Error::source(e).map(|s| s.to_string()))
        .unwrap_or_else(|| e.to_string())
}

pub(super) fn pg_err(what: &str) -> impl Fn(tokio_postgres::Error) -> StoreError + '_ {
    move |e| StoreError::Postgres(format!("PostgreSQL failed while {what}: {}", describe(&e)))
}

pub(super) fn pool_err(e: deadpool_postgres::PoolError) -> StoreError {
    use deadpool_postgres::PoolError;
    StoreError::Postgres(match e {
        PoolError::Backend(b) => format!("cannot connect to PostgreSQL: {}", describe(&b)),
        PoolError::Timeout(_) => "no PostgreSQL connection could be had within the pool's timeout \
             (the server is unreachable, or every connection is busy: see --pool-size)"
            .to_owned(),
        other => format!("cannot get a PostgreSQL connection: {other}"),
    })
}

pub(super) fn config(url: &str) -> Result<tokio_postgres::Config, StoreError> {
    let mut config: tokio_postgres::Config = url.parse().map_err(|e| {
        StoreError::Postgres(format!(
            "--db {} is not a PostgreSQL URL this service understands ({e}); write it as postgres://USER@HOST[:PORT]/DATABASE",
            redact(url)
        ))
    })?;
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(Duration::from_secs(5));
    }
    if config.get_application_name().is_none() {
        config.application_name("lanedesk-issuer");
    }
    config.options("-c synchronous_commit=off");
    Ok(config)
}

impl PgStore {
    pub(super) async fn migrate(&self) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(pg_err("migrating"))?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .await
            .map_err(pg_err("waiting for another instance's migration"))?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                 version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
        )
        .await
        .map_err(pg_err("migrating"))?;
        let at: i64 = tx
            .query_one(
                "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
                &[],
            )
            .await
            .map_err(pg_err("migrating"))?
            .get(0);
        let known = MIGRATIONS.last().map_or(0, |m| m.0);
        if at > known {
            return Err(StoreError::TooNew { found: at, known });
        }
        for (version, name, sql) in MIGRATIONS.iter().filter(|m| m.0 > at) {
            tx.batch_execute(sql)
                .await
                .map_err(pg_err("applying a migration"))?;
            tx.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
                &[version, name, &Utc::now().timestamp()],
            )
            .await
            .map_err(pg_err("migrating"))?;
            tracing::info!(version, name, "applied database migration");
        }
        tx.commit().await.map_err(pg_err("migrating"))
    }
}

/// Runs `f` on a current-thread runtime of its own, on a thread of its own, with a
/// connection of its own: the blocking look-ups must work from any caller, including a
/// test's current-thread runtime, whose own tasks (the pool's connections) it blocks.
pub(super) fn blocking<T: Send>(
    url: &str,
    f: impl for<'c> FnOnce(
        &'c tokio_postgres::Client,
    ) -> std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<T, StoreError>> + Send + 'c>,
    > + Send,
) -> Result<T, StoreError> {
    let config = config(url)?;
    std::thread::scope(|s| {
        s.spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| StoreError::Postgres(format!("cannot start a runtime: {e}")))?;
            rt.block_on(async move {
                let (client, conn) = config.connect(NoTls).await.map_err(pg_err("connecting"))?;
                let task = tokio::spawn(conn);
                let result = f(&client).await;
                drop(client);
                let _ = task.await;
                result
            })
        })
        .join()
        .unwrap_or_else(|_| Err(StoreError::Postgres("a database look-up panicked".into())))
    })
}
