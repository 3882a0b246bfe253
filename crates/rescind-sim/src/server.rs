//! The HTTP server: one hyper connection task per socket, so that a fault can close a
//! connection without answering (before or after the change was applied), which a plain
//! `axum::serve` cannot do.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::{Notify, oneshot};
use tower::ServiceExt;

/// Put in every request's extensions: closes the request's connection without an answer.
#[derive(Debug, Clone)]
pub struct ConnectionKiller(Arc<Notify>);

impl ConnectionKiller {
    /// Closes the connection. The handler should then never return (await
    /// `std::future::pending()`), so that no answer is written.
    pub fn kill(&self) {
        self.0.notify_one();
    }
}

/// A running server; dropping it stops the server too.
#[derive(Debug)]
pub struct Running {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    done: Option<tokio::task::JoinHandle<()>>,
}

impl Running {
    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting, lets requests in flight finish (1 s at most), then returns.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(done) = self.done.take() {
            let _ = done.await;
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Serves `router` on `listener` until [`Running::shutdown`].
pub fn serve(listener: TcpListener, router: Router) -> std::io::Result<Running> {
    let addr = listener.local_addr()?;
    let (stop_tx, mut stop_rx) = oneshot::channel::<()>();
    let done = tokio::spawn(async move {
        let graceful = GracefulShutdown::new();
        loop {
            let (stream, _) = tokio::select! {
                _ = &mut stop_rx => break,
                accepted = listener.accept() => match accepted {
                    Ok(v) => v,
                    Err(e) => {
                        tracing::warn!(error = %e, "accept failed");
                        continue;
                    }
                },
            };
            let kill = Arc::new(Notify::new());
            let killer = ConnectionKiller(kill.clone());
            let router = router.clone();
            let service = hyper::service::service_fn(move |mut req: http::Request<Incoming>| {
                req.extensions_mut().insert(killer.clone());
                let router = router.clone();
                async move {
                    let resp = router.oneshot(req.map(Body::new)).await;
                    Ok::<_, Infallible>(match resp {
                        Ok(r) => r,
                        Err(never) => match never {},
                    })
                }
            });
            let conn = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service);
            let conn = graceful.watch(conn);
            tokio::spawn(async move {
                tokio::select! {
                    biased;
                    // Dropping the connection closes the socket with nothing written.
                    _ = kill.notified() => {}
                    _ = conn => {}
                }
            });
        }
        let _ = tokio::time::timeout(Duration::from_secs(1), graceful.shutdown()).await;
    });
    Ok(Running {
        addr,
        stop: Some(stop_tx),
        done: Some(done),
    })
}
