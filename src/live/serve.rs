//! `--serve ADDR`: a small local web view of the live report.
//!
//! `GET /` (and `/report.html`) is the HTML snapshot, reloaded by the browser every snapshot
//! interval; `GET /report.json` the JSON snapshot (a stable URL for scripts); `GET /healthz`
//! answers `ok`. Nothing else: no query handling, no files, no writes. The server is a few
//! lines on tokio: HTTP/1.0-style, one request per connection, request heads up to 8 KiB read
//! within 5 s, at most 64 connections at a time; it listens on loopback unless the operator
//! allows another address (`--serve-allow-remote`).

use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};

/// The latest snapshot as served.
#[derive(Debug, Default)]
pub struct Page {
    pub json: String,
    pub html: String,
}

const MAX_HEAD: usize = 8 * 1024;
const MAX_CONNS: usize = 64;

/// Accept connections until the process ends.
pub async fn serve(listener: TcpListener, latest: watch::Receiver<Arc<Page>>, refresh_s: u64) {
    let permits = Arc::new(Semaphore::new(MAX_CONNS));
    loop {
        let Ok((sock, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            drop(sock); // too many at once
            continue;
        };
        let page = latest.borrow().clone();
        tokio::spawn(async move {
            let _ =
                tokio::time::timeout(Duration::from_secs(15), handle(sock, page, refresh_s)).await;
            drop(permit);
        });
    }
}

/// The request line's method and path, once the head is complete.
fn request_line(head: &[u8]) -> Option<(&str, &str)> {
    let text = std::str::from_utf8(head).ok()?;
    let first = text.lines().next()?;
    let mut it = first.split(' ');
    let method = it.next()?;
    let path = it.next()?;
    Some((method, path))
}

/// The HTML with a reload every `refresh_s` seconds.
fn with_refresh(html: &str, refresh_s: u64) -> String {
    let meta = format!("<meta http-equiv=\"refresh\" content=\"{refresh_s}\">");
    match html.find("<head>") {
        Some(i) => format!("{}{meta}{}", &html[..i + 6], &html[i + 6..]),
        None => format!("{meta}{html}"),
    }
}

/// Status, content type and body for a request.
pub fn respond(
    method: &str,
    path: &str,
    page: &Page,
    refresh_s: u64,
) -> (u16, &'static str, String) {
    if method != "GET" && method != "HEAD" {
        return (
            405,
            "text/plain; charset=utf-8",
            "method not allowed\n".into(),
        );
    }
    let path = path.split('?').next().unwrap_or("");
    match path {
        "/" | "/report.html" | "/index.html" => {
            if page.html.is_empty() {
                return (503, "text/plain; charset=utf-8", "no snapshot yet\n".into());
            }
            (
                200,
                "text/html; charset=utf-8",
                with_refresh(&page.html, refresh_s),
            )
        }
        "/report.json" => {
            if page.json.is_empty() {
                return (503, "text/plain; charset=utf-8", "no snapshot yet\n".into());
            }
            (200, "application/json", page.json.clone())
        }
        "/healthz" => (200, "text/plain; charset=utf-8", "ok\n".into()),
        _ => (404, "text/plain; charset=utf-8", "not found\n".into()),
    }
}

async fn handle(mut sock: TcpStream, page: Arc<Page>, refresh_s: u64) -> std::io::Result<()> {
    let mut head = Vec::with_capacity(1024);
    let mut buf = [0u8; 2048];
    let complete = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            let n = sock.read(&mut buf).await?;
            if n == 0 {
                return Ok::<bool, std::io::Error>(false);
            }
            head.extend_from_slice(&buf[..n]);
            if head.len() > MAX_HEAD {
                return Ok(false);
            }
            if head.windows(4).any(|w| w == b"\r\n\r\n") || head.windows(2).any(|w| w == b"\n\n") {
                return Ok(true);
            }
        }
    })
    .await;
    let (status, ctype, body, method_head) = match (complete, request_line(&head)) {
        (Ok(Ok(true)), Some((m, p))) => {
            let (s, c, b) = respond(m, p, &page, refresh_s);
            (s, c, b, m == "HEAD")
        }
        (Ok(Ok(false)), _) if head.len() > MAX_HEAD => (
            431,
            "text/plain; charset=utf-8",
            "request header too large\n".to_string(),
            false,
        ),
        (Ok(Ok(false)), _) => return Ok(()),
        _ => (
            400,
            "text/plain; charset=utf-8",
            "bad request\n".to_string(),
            false,
        ),
    };
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        431 => "Request Header Fields Too Large",
        _ => "Service Unavailable",
    };
    let hdr = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n\
         Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'; \
         script-src 'unsafe-inline'; img-src data:\r\nConnection: close\r\n\r\n",
        body.len()
    );
    sock.write_all(hdr.as_bytes()).await?;
    if !method_head {
        sock.write_all(body.as_bytes()).await?;
    }
    sock.shutdown().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn serves_json_and_refreshing_html_on_loopback() {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        let (tx, rx) = watch::channel(Arc::new(Page::default()));
        tokio::spawn(serve(l, rx, 7));
        async fn get(addr: std::net::SocketAddr, req: &str) -> String {
            let mut s = TcpStream::connect(addr).await.unwrap();
            s.write_all(req.as_bytes()).await.unwrap();
            let mut out = String::new();
            s.read_to_string(&mut out).await.unwrap();
            out
        }
        let r = get(addr, "GET /report.json HTTP/1.1\r\nHost: x\r\n\r\n").await;
        assert!(r.starts_with("HTTP/1.1 503"), "{r}");
        tx.send(Arc::new(Page {
            json: "{\"schema_version\":1}\n".into(),
            html: "<!doctype html><html><head><title>t</title></head><body>x</body></html>".into(),
        }))
        .unwrap();
        let r = get(addr, "GET /report.json HTTP/1.1\r\nHost: x\r\n\r\n").await;
        assert!(r.starts_with("HTTP/1.1 200 OK\r\n"), "{r}");
        assert!(r.contains("Content-Type: application/json"));
        assert!(r.ends_with("\r\n\r\n{\"schema_version\":1}\n"), "{r}");
        let r = get(addr, "GET / HTTP/1.1\r\n\r\n").await;
        assert!(
            r.contains("<head><meta http-equiv=\"refresh\" content=\"7\"><title>"),
            "{r}"
        );
        let r = get(addr, "POST /report.json HTTP/1.1\r\n\r\n").await;
        assert!(r.starts_with("HTTP/1.1 405"), "{r}");
        let r = get(addr, "GET /../../etc/passwd HTTP/1.1\r\n\r\n").await;
        assert!(r.starts_with("HTTP/1.1 404"), "{r}");
        let big = format!("GET / HTTP/1.1\r\nX: {}\r\n\r\n", "a".repeat(10_000));
        let r = get(addr, &big).await;
        assert!(r.starts_with("HTTP/1.1 431"), "{r}");
    }
}
