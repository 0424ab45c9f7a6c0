use super::*;
use crate::certs::Ca;
use std::io::{Read, Write};
use std::path::PathBuf;

/// A fresh directory for one test's files.
fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "plinth-tls-{name}-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&d).unwrap();
    d
}

struct Pki {
    ca: PathBuf,
    cert: PathBuf,
    key: PathBuf,
}

fn pki(name: &str, hosts: &[&str]) -> Pki {
    let d = dir(name);
    let ca = Ca::new("test CA", 1).unwrap();
    let hosts: Vec<String> = hosts.iter().map(|h| h.to_string()).collect();
    let issued = ca.issue(&hosts, 1).unwrap();
    let p = Pki {
        ca: d.join("ca.pem"),
        cert: d.join("cert.pem"),
        key: d.join("key.pem"),
    };
    std::fs::write(&p.ca, ca.cert_pem()).unwrap();
    std::fs::write(&p.cert, issued.cert_pem).unwrap();
    std::fs::write(&p.key, issued.key_pem).unwrap();
    p
}

/// Serves `GET /ping` → `pong` with `config` on a runtime of its own; the URL.
fn serve(rt: &tokio::runtime::Runtime, config: Option<Arc<ServerConfig>>) -> String {
    rt.block_on(async {
        let tcp = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let listener = Listener::new(tcp, config).unwrap();
        let url = listener.url();
        let app = axum::Router::new().route("/ping", axum::routing::get(|| async { "pong" }));
        tokio::spawn(async move { axum::serve(listener, app).await });
        url
    })
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// A client trusting only `ca` (not the process-wide roots, which other tests
/// change).
fn client_trusting(ca: Option<&Path>) -> ureq::Agent {
    let mut store = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    if let Some(ca) = ca {
        store.add_parsable_certificates(crate::read_certificates(ca).unwrap());
    }
    let config = rustls::ClientConfig::builder_with_provider(crate::provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(store)
        .with_no_client_auth();
    ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(10))
        .tls_config(Arc::new(config))
        .build()
}

#[test]
fn https_is_served_to_a_client_trusting_the_ca_and_refused_to_others() {
    let p = pki("serve", &["localhost", "127.0.0.1"]);
    let rt = runtime();
    let url = serve(&rt, Some(server_config(&p.cert, &p.key).unwrap()));
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");

    let ok = client_trusting(Some(&p.ca))
        .get(&format!("{url}/ping"))
        .call()
        .unwrap();
    assert_eq!(ok.into_string().unwrap(), "pong");

    // The web roots alone do not know the testnet's CA.
    let err = client_trusting(None)
        .get(&format!("{url}/ping"))
        .call()
        .unwrap_err()
        .to_string();
    assert!(err.contains("UnknownIssuer"), "{err}");

    // Plain HTTP to the HTTPS port gets no answer.
    let plain = url.replacen("https://", "http://", 1);
    assert!(client_trusting(Some(&p.ca))
        .get(&format!("{plain}/ping"))
        .call()
        .is_err());

    // An agent on the process-wide config trusts the CA once it is added.
    crate::add_ca_file(&p.ca).unwrap();
    let via_agent = ureq::AgentBuilder::new()
        .tls_config(crate::client_config())
        .build()
        .get(&format!("{url}/ping"))
        .call()
        .unwrap();
    assert_eq!(via_agent.into_string().unwrap(), "pong");
}

#[test]
fn a_certificate_for_another_host_is_refused() {
    let p = pki("host", &["node.example"]);
    let rt = runtime();
    let url = serve(&rt, Some(server_config(&p.cert, &p.key).unwrap()));
    let err = client_trusting(Some(&p.ca))
        .get(&format!("{url}/ping"))
        .call()
        .unwrap_err()
        .to_string();
    assert!(err.contains("not valid for name"), "{err}");
}

#[test]
fn a_stalled_handshake_does_not_hold_up_other_clients() {
    let p = pki("stall", &["127.0.0.1"]);
    let rt = runtime();
    let url = serve(&rt, Some(server_config(&p.cert, &p.key).unwrap()));
    let addr = url.trim_start_matches("https://").to_string();
    // Connections that never send a ClientHello, and one that sends half of one.
    let mut idle: Vec<std::net::TcpStream> = (0..8)
        .map(|_| std::net::TcpStream::connect(&addr).unwrap())
        .collect();
    idle[0].write_all(&[0x16, 0x03, 0x01, 0x02, 0x00]).unwrap();
    let ok = client_trusting(Some(&p.ca))
        .get(&format!("{url}/ping"))
        .call()
        .unwrap();
    assert_eq!(ok.into_string().unwrap(), "pong");
    // Garbage instead of a handshake: the server closes the connection.
    let mut junk = std::net::TcpStream::connect(&addr).unwrap();
    junk.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    junk.write_all(b"GET /ping HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut answer = Vec::new();
    let _ = junk.read_to_end(&mut answer);
    assert!(!String::from_utf8_lossy(&answer).contains("pong"));
}

#[test]
fn plain_http_is_served_without_a_config() {
    let rt = runtime();
    let url = serve(&rt, None);
    assert!(url.starts_with("http://"), "{url}");
    let ok = client_trusting(None)
        .get(&format!("{url}/ping"))
        .call()
        .unwrap();
    assert_eq!(ok.into_string().unwrap(), "pong");
}

#[test]
fn bad_files_are_refused_with_their_reason() {
    let p = pki("bad", &["127.0.0.1"]);
    let other = pki("bad-other", &["127.0.0.1"]);
    // A key of another certificate.
    let err = server_config(&p.cert, &other.key).unwrap_err().to_string();
    assert!(err.contains("do not go together"), "{err}");
    // A key file given as the certificate, a certificate as the key.
    let err = server_config(&p.key, &p.key).unwrap_err().to_string();
    assert!(err.contains("holds no certificate"), "{err}");
    let err = server_config(&p.cert, &p.cert).unwrap_err().to_string();
    assert!(err.contains("not a PEM private key"), "{err}");
    // Missing files name themselves.
    let missing = p.cert.with_file_name("nope.pem");
    let err = server_config(&missing, &p.key).unwrap_err().to_string();
    assert!(err.contains("nope.pem"), "{err}");
    let err = crate::add_ca_file(&p.key).unwrap_err().to_string();
    assert!(err.contains("holds no certificate"), "{err}");
}
