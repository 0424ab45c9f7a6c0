//! The clients against a tiny local HTTP server that answers what a test says.

use super::*;
use crate::{NodeClient, OracleClient};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;

/// Serves `answers` (status line, content type, body), one per connection, in
/// order; returns the base URL.
fn serve(answers: Vec<(&'static str, &'static str, String)>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for (status, content_type, body) in answers {
            let Ok((mut stream, _)) = listener.accept() else {
                return;
            };
            // Read the request head and body before answering.
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut length = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body_in = vec![0u8; length];
            let _ = std::io::Read::read_exact(&mut reader, &mut body_in);
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    base
}

fn json(status: &'static str, body: serde_json::Value) -> (&'static str, &'static str, String) {
    (status, "application/json", body.to_string())
}

#[test]
fn a_json_error_becomes_a_typed_error_with_code_and_message() {
    let base = serve(vec![json(
        "422 Unprocessable Entity",
        serde_json::json!({"error": {"code": "bad_nonce", "message": "nonce 3, expected 4",
            "details": {"expected": 4, "found": 3}}}),
    )]);
    let e = NodeClient::new(&base).status().unwrap_err();
    match &e {
        ClientError::Api {
            service,
            status,
            error,
        } => {
            assert_eq!(*service, Service::Node);
            assert_eq!(*status, 422);
            assert_eq!(error.code, "bad_nonce");
            assert_eq!(error.message, "nonce 3, expected 4");
            assert_eq!(error.details.as_ref().unwrap()["expected"], 4);
        }
        other => panic!("not an API error: {other:?}"),
    }
    assert_eq!(e.code(), Some("bad_nonce"));
    assert_eq!(e.status(), Some(422));
    assert!(!e.is_not_found());
    assert_eq!(
        e.to_string(),
        "node refused (422): nonce 3, expected 4 [bad_nonce]"
    );
}

#[test]
fn a_non_json_error_body_is_a_clear_error() {
    let base = serve(vec![(
        "502 Bad Gateway",
        "text/html",
        "<html>upstream is down</html>".into(),
    )]);
    let e = OracleClient::new(&base).status().unwrap_err();
    match &e {
        ClientError::Unexpected {
            service,
            status,
            path,
            body,
        } => {
            assert_eq!(*service, Service::Oracle);
            assert_eq!(*status, 502);
            assert_eq!(path, "/v1/status");
            assert!(body.contains("upstream is down"), "{body}");
        }
        other => panic!("not an unexpected answer: {other:?}"),
    }
    assert_eq!(e.code(), None);
    assert_eq!(
        e.to_string(),
        "oracle answered 502 to /v1/status without a JSON error: <html>upstream is down</html>"
    );
}

#[test]
fn a_404_is_none_where_absence_is_an_answer() {
    let base = serve(vec![
        json(
            "404 Not Found",
            serde_json::json!({"error": {"code": "unknown_device", "message": "unknown device"}}),
        ),
        ("404 Not Found", "text/plain", String::new()),
        json(
            "404 Not Found",
            serde_json::json!({"error": {"code": "unknown_transaction", "message": "unknown"}}),
        ),
    ]);
    let node = NodeClient::new(&base);
    let id = plinth_core::DeviceId(plinth_core::Keypair::from_seed([1; 32]).public());
    assert!(node.device(&id).unwrap().is_none());
    assert!(node.deal(&Hash::of(b"d")).unwrap().is_none());
    // Where a 404 is not an answer it stays an error, with its code.
    let e = node
        .wait(&Hash::of(b"t"), Duration::from_secs(1))
        .unwrap_err();
    assert!(e.is_not_found());
    assert_eq!(e.code(), Some("unknown_transaction"));
}

#[test]
fn a_success_answer_that_is_not_the_promised_json_is_refused() {
    let base = serve(vec![
        ("200 OK", "application/json", "{\"height\": 1}".into()),
        ("200 OK", "application/json", "x".repeat(100)),
    ]);
    let node = NodeClient::new(&base).with_max_answer(50);
    let e = node.status().unwrap_err();
    assert!(
        matches!(&e, ClientError::BadAnswer { path, .. } if path == "/v1/status"),
        "{e:?}"
    );
    let e = node.status().unwrap_err();
    assert!(
        matches!(e, ClientError::TooLarge { limit: 50, .. }),
        "{e:?}"
    );
}

#[test]
fn a_server_that_is_not_there_is_unreachable() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let e = NodeClient::with_timeout(&format!("http://127.0.0.1:{port}/"), Duration::from_secs(2))
        .status()
        .unwrap_err();
    assert!(e.is_unreachable(), "{e:?}");
    assert!(
        e.to_string().starts_with(&format!(
            "cannot reach the node at http://127.0.0.1:{port} (/v1/status)"
        )),
        "{e}"
    );
}

#[test]
fn a_rejected_transaction_carries_the_ledger_reason() {
    let h = Hash::of(b"t");
    let base = serve(vec![json(
        "200 OK",
        serde_json::json!({"hash": h.to_string(), "status": "rejected",
            "error": {"code": "insufficient_funds", "message": "balance 1, needs 2"}}),
    )]);
    let e = NodeClient::new(&base)
        .wait_committed(&h, Duration::from_secs(1))
        .unwrap_err();
    assert_eq!(e.code(), Some("insufficient_funds"));
    assert_eq!(
        e.to_string(),
        format!("transaction {h} was rejected: balance 1, needs 2 [insufficient_funds]")
    );
}

#[test]
fn verdicts_come_back_in_order() {
    let h = Hash::of(b"r");
    let base = serve(vec![json(
        "200 OK",
        serde_json::json!({"accepted": 1, "results": [
            {"hash": h.to_string(), "status": "accepted"},
            {"status": "rejected", "code": "malformed", "reason": "not hex"}]}),
    )]);
    let v = OracleClient::new(&base).send(&[]).unwrap();
    assert_eq!(
        v,
        vec![
            crate::oracle::Verdict::accepted(h),
            crate::oracle::Verdict::rejected(None, "malformed", "not hex")
        ]
    );
}
