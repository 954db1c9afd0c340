//! The service listening: binding, TLS, and the tasks beside it (the retention pruner,
//! the key refresher), stopped together.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use super::{Issuer, IssuerError, PRUNE_EVERY, keys, lifecycle, routes};

/// Where the service's TLS certificate and key are.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// A service listening in the background, with its retention pruner. Dropping it leaves
/// the server running until the runtime ends; call [`RunningIssuer::shutdown`] to stop it.
pub struct RunningIssuer {
    pub addr: SocketAddr,
    /// `http://127.0.0.1:PORT` or `https://localhost:PORT`.
    pub url: String,
    issuer: Arc<Issuer>,
    handle: axum_server::Handle<SocketAddr>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    pruner: tokio::task::JoinHandle<()>,
    /// Picks up keys rotated by another process.
    refresher: tokio::task::JoinHandle<()>,
}

impl RunningIssuer {
    /// Stops quickly (tests, the demo): requests in flight get a second to finish.
    pub async fn shutdown(self) {
        self.shutdown_within(Duration::from_secs(1)).await;
    }

    /// Stops taking connections, lets requests in flight finish (up to `grace`), then
    /// commits what the database has queued and lets it go. Readiness fails from the
    /// start, so a load balancer stops sending new work.
    pub async fn shutdown_within(self, grace: Duration) {
        self.issuer.stopping.store(true, Ordering::Relaxed);
        self.handle.graceful_shutdown(Some(grace));
        let _ = self.task.await;
        self.pruner.abort();
        self.refresher.abort();
        self.issuer.close().await;
    }

    /// Runs until the server stops by itself (it only does on error).
    pub async fn wait(&mut self) -> std::io::Result<()> {
        match (&mut self.task).await {
            Ok(result) => result,
            Err(e) => Err(std::io::Error::other(e)),
        }
    }
}

/// Binds `listen` and serves the API there, over TLS when `tls` is given.
pub async fn spawn(
    issuer: Arc<Issuer>,
    listen: SocketAddr,
    tls: Option<&TlsFiles>,
) -> Result<RunningIssuer, IssuerError> {
    let bind_err = |source| IssuerError::Bind {
        addr: listen,
        source,
    };
    let listener = std::net::TcpListener::bind(listen).map_err(bind_err)?;
    listener.set_nonblocking(true).map_err(bind_err)?;
    let addr = listener.local_addr().map_err(bind_err)?;
    let app = routes::router(issuer.clone()).into_make_service();
    let handle = axum_server::Handle::new();
    let (url, task) = match tls {
        Some(files) => {
            let config =
                axum_server::tls_rustls::RustlsConfig::from_pem_file(&files.cert, &files.key)
                    .await
                    .map_err(|source| IssuerError::Tls {
                        cert: files.cert.clone(),
                        key: files.key.clone(),
                        source,
                    })?;
            let server = axum_server::from_tcp_rustls(listener, config)
                .map_err(bind_err)?
                .handle(handle.clone());
            // Certificates name hosts, and test certificates name localhost.
            let host = if addr.ip().is_loopback() {
                "localhost".to_owned()
            } else {
                addr.ip().to_string()
            };
            (
                format!("https://{host}:{}", addr.port()),
                tokio::spawn(server.serve(app)),
            )
        }
        None => {
            let server = axum_server::from_tcp(listener)
                .map_err(bind_err)?
                .handle(handle.clone());
            (format!("http://{addr}"), tokio::spawn(server.serve(app)))
        }
    };
    let pruner = lifecycle::spawn_pruner(
        issuer.store.clone(),
        issuer.clock.clone(),
        issuer.retain_days,
        PRUNE_EVERY,
        issuer.metrics.clone(),
    );
    let refresher = {
        let issuer = issuer.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(keys::REFRESH_EVERY).await;
                if let Err(e) = issuer.refresh_keys().await {
                    tracing::warn!("could not look for rotated keys: {e}");
                }
            }
        })
    };
    Ok(RunningIssuer {
        addr,
        url,
        issuer,
        handle,
        task,
        pruner,
        refresher,
    })
}
