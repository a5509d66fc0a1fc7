//! Slow clients (partial headers, a trickled body) cannot hold a connection open.
use crate::dual;
use crate::support::*;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn connect(t: &TestApp) -> TcpStream {
    TcpStream::connect(t.base.trim_start_matches("http://"))
        .await
        .unwrap()
}

/// Reads until the server closes the connection (or `limit` passes: `None`).
async fn read_until_closed(conn: &mut TcpStream, limit: Duration) -> Option<String> {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        match tokio::time::timeout_at(deadline, conn.read(&mut buf)).await {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => return Some(String::from_utf8_lossy(&got).into_owned()),
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
        }
    }
}

fn short_timeouts(b: Backend) -> Builder {
    TestApp::builder(b).config(|c| {
        c.http_header_timeout_secs = 1;
        c.http_body_timeout_secs = 2;
    })
}

dual!(
    a_client_that_never_finishes_its_headers_is_cut_off,
    async |b| {
        let t = short_timeouts(b).start().await;
        let mut conn = connect(&t).await;
        let started = Instant::now();
        conn.write_all(b"GET /ping HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            .await
            .unwrap();
        let answer = read_until_closed(&mut conn, Duration::from_secs(8))
            .await
            .expect("the connection was closed");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
        assert!(
            answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
            "{answer}"
        );
        // Nor may a client connect and send nothing at all.
        let mut silent = connect(&t).await;
        let started = Instant::now();
        let answer = read_until_closed(&mut silent, Duration::from_secs(8))
            .await
            .expect("the silent connection was closed");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
        assert!(
            answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
            "{answer}"
        );
        // A prompt client on the same server is unaffected.
        let (s, _) = json(t.get("/ping").send().await.unwrap()).await;
        assert_eq!(s, 200);
    }
);

dual!(
    a_trickled_body_gets_408_and_the_connection_closed,
    async |b| {
        let t = short_timeouts(b).start().await;
        let mut conn = connect(&t).await;
        let started = Instant::now();
        conn.write_all(
        b"POST /api/v2/open-auth/rpc/3 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{",
    )
    .await
    .unwrap();
        let (mut rd, mut wr) = conn.into_split();
        // One byte every 300 ms: each arrives well within any per-read timeout, the whole never.
        let trickle = tokio::spawn(async move {
            for _ in 0..40 {
                tokio::time::sleep(Duration::from_millis(300)).await;
                if wr.write_all(b" ").await.is_err() {
                    return;
                }
            }
        });
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        let deadline = tokio::time::Instant::now() + Duration::from_secs(9);
        loop {
            match tokio::time::timeout_at(deadline, rd.read(&mut buf)).await {
                Err(_) => panic!(
                    "still open after {:?}: {}",
                    started.elapsed(),
                    String::from_utf8_lossy(&got)
                ),
                Ok(Ok(0)) | Ok(Err(_)) => break,
                Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
            }
        }
        trickle.abort();
        let answer = String::from_utf8_lossy(&got);
        assert!(
            started.elapsed() < Duration::from_secs(6),
            "{:?}",
            started.elapsed()
        );
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
        assert!(answer.contains("error.request.timeout"), "{answer}");
    }
);
