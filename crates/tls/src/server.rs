//! HTTPS for the node's and the oracle's servers: a [`Listener`] that axum serves
//! like a TCP listener, plain or TLS.
//!
//! ```text
//!  TcpListener ──accept──▶ handshake task (≤ HANDSHAKE_TIMEOUT, ≤ MAX_HANDSHAKES at once)
//!                               │ done
//!                               ▼
//!                 bounded queue ──▶ Listener::accept ──▶ axum
//! ```
//!
//! Handshakes run in their own tasks, so a client that connects and never
//! finishes its handshake holds one of [`MAX_HANDSHAKES`] slots for at most
//! [`HANDSHAKE_TIMEOUT`] and never stalls the accept loop.

use crate::{provider, read_pem, TlsError};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::PrivateKeyDer;
use rustls::ServerConfig;
use std::io;
use std::net::SocketAddr;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, Semaphore};
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

/// The longest a TLS handshake may take.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Handshakes in progress at once; further connections wait in the kernel's
/// backlog.
pub const MAX_HANDSHAKES: usize = 512;

/// The server config of a certificate chain and its key (PEM files): TLS 1.2
/// and 1.3, HTTP/1.1.
pub fn server_config(cert: &Path, key: &Path) -> Result<Arc<ServerConfig>, TlsError> {
    let chain = crate::read_certificates(cert)?;
    let key_pem = read_pem(key)?;
    let private = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| TlsError::Bad {
        path: key.to_path_buf(),
        reason: format!("not a PEM private key (PKCS#8, PKCS#1 or SEC1): {e}"),
    })?;
    let config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .expect("the provider supports the default protocol versions")
        .with_no_client_auth()
        .with_single_cert(chain, private)
        .map_err(|e| TlsError::Bad {
            path: cert.to_path_buf(),
            reason: format!(
                "certificate and key {} do not go together: {e}",
                key.display()
            ),
        })?;
    Ok(Arc::new(config))
}

/// A connection accepted by a [`Listener`].
pub enum Stream {
    /// Plain HTTP.
    Plain(TcpStream),
    /// HTTPS, the handshake done.
    Tls(Box<TlsStream<TcpStream>>),
}

/// What an HTTP server listens with: plain TCP, or TLS over it.
pub struct Listener {
    addr: SocketAddr,
    inner: Inner,
}

enum Inner {
    Plain(TcpListener),
    Tls {
        ready: mpsc::Receiver<(Box<TlsStream<TcpStream>>, SocketAddr)>,
        acceptor: tokio::task::JoinHandle<()>,
    },
}

impl Listener {
    /// Plain HTTP on `listener`.
    pub fn plain(listener: TcpListener) -> io::Result<Listener> {
        Ok(Listener {
            addr: listener.local_addr()?,
            inner: Inner::Plain(listener),
        })
    }

    /// HTTPS on `listener` with `config`, or plain HTTP when there is none.
    /// Must be called within a tokio runtime (it starts the accept task).
    pub fn new(listener: TcpListener, config: Option<Arc<ServerConfig>>) -> io::Result<Listener> {
        let Some(config) = config else {
            return Listener::plain(listener);
        };
        let addr = listener.local_addr()?;
        let (tx, ready) = mpsc::channel(64);
        let acceptor = tokio::spawn(accept_loop(listener, TlsAcceptor::from(config), tx));
        Ok(Listener {
            addr,
            inner: Inner::Tls { ready, acceptor },
        })
    }

    /// `https` or `http`.
    pub fn scheme(&self) -> &'static str {
        match self.inner {
            Inner::Plain(_) => "http",
            Inner::Tls { .. } => "https",
        }
    }

    /// The address listened on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL of the server, e.g. `https://127.0.0.1:8645`.
    pub fn url(&self) -> String {
        format!("{}://{}", self.scheme(), self.addr)
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        if let Inner::Tls { acceptor, .. } = &self.inner {
            acceptor.abort();
        }
    }
}

async fn accept_loop(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    ready: mpsc::Sender<(Box<TlsStream<TcpStream>>, SocketAddr)>,
) {
    let slots = Arc::new(Semaphore::new(MAX_HANDSHAKES));
    loop {
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return;
        };
        let (tcp, peer) = tokio::select! {
            _ = ready.closed() => return,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of descriptors and the like: back off, as axum does.
                    tracing::debug!(error = %e, "accepting a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let acceptor = acceptor.clone();
        let ready = ready.clone();
        tokio::spawn(async move {
            match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                Ok(Ok(tls)) => {
                    drop(slot);
                    let _ = ready.send((Box::new(tls), peer)).await;
                }
                Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
            }
        });
    }
}

impl axum::serve::Listener for Listener {
    type Io = Stream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Stream, SocketAddr) {
        match &mut self.inner {
            Inner::Plain(l) => {
                let (s, a) = axum::serve::Listener::accept(l).await;
                (Stream::Plain(s), a)
            }
            Inner::Tls { ready, .. } => match ready.recv().await {
                Some((s, a)) => (Stream::Tls(s), a),
                // The accept task is gone (the runtime is shutting down).
                None => std::future::pending().await,
            },
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        Ok(self.addr)
    }
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Stream::Plain(s) => s.is_write_vectored(),
            Stream::Tls(s) => s.is_write_vectored(),
        }
    }
}

#[cfg(test)]
mod tests;
