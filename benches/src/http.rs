//! A small HTTP/1.1 client for the GraphQL endpoint: one kept-alive connection, JSON bodies,
//! `Content-Length` or chunked answers. Enough for a benchmark driver, with no extra crates.

use std::io;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

pub type Error = Box<dyn std::error::Error + Send + Sync>;

pub struct Client {
    host: String,
    stream: Option<BufReader<TcpStream>>,
}

/// `http://host:port` (a trailing slash or path is ignored).
pub fn host_of(server: &str) -> Result<String, Error> {
    let rest = server
        .strip_prefix("http://")
        .ok_or("the server must be an http:// URL")?;
    Ok(rest.split('/').next().unwrap_or(rest).to_owned())
}

impl Client {
    pub fn new(server: &str) -> Result<Self, Error> {
        Ok(Self {
            host: host_of(server)?,
            stream: None,
        })
    }

    /// POSTs a JSON body; returns the status and the parsed JSON answer.
    pub async fn post_json(
        &mut self,
        path: &str,
        bearer: Option<&str>,
        body: &Value,
    ) -> Result<(u16, Value), Error> {
        let body = serde_json::to_vec(body)?;
        let authorization = bearer.map(|token| format!("Bearer {token}"));
        let headers: Vec<(&str, &str)> = authorization
            .iter()
            .map(|value| ("Authorization", value.as_str()))
            .collect();
        self.post(path, &headers, &body).await
    }

    /// POSTs raw JSON bytes with extra headers (e.g. a store's signature); returns the status and
    /// the parsed JSON answer.
    pub async fn post(
        &mut self,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<(u16, Value), Error> {
        // A kept-alive connection the server closed meanwhile: retry once on a new one.
        match self.exchange(path, headers, body).await {
            Ok(answer) => Ok(answer),
            Err(_) if self.stream.is_none() => self.exchange(path, headers, body).await,
            Err(e) => Err(e),
        }
    }

    async fn exchange(
        &mut self,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<(u16, Value), Error> {
        let mut stream = match self.stream.take() {
            Some(s) => s,
            None => {
                let tcp = TcpStream::connect(&self.host).await?;
                // A request is sent whole; Nagle's algorithm would hold a part of it back until
                // the server's delayed ACK (40 ms on Linux) and time that as the server's.
                tcp.set_nodelay(true)?;
                BufReader::new(tcp)
            }
        };
        let mut head = format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
             Accept: application/json\r\nContent-Length: {}\r\n",
            self.host,
            body.len()
        );
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        // Head and body in one write: one segment train, no wait between them.
        let mut request = head.into_bytes();
        request.extend_from_slice(body);
        stream.get_mut().write_all(&request).await?;
        let (status, keep_alive, payload) = read_response(&mut stream).await?;
        if keep_alive {
            self.stream = Some(stream);
        }
        let json = serde_json::from_slice(&payload).map_err(|e| {
            format!(
                "HTTP {status}, not JSON ({e}): {}",
                String::from_utf8_lossy(&payload[..payload.len().min(300)])
            )
        })?;
        Ok((status, json))
    }
}

/// Reads one response: status, whether the connection stays open, body.
pub async fn read_response<R: AsyncBufReadExt + Unpin>(
    reader: &mut R,
) -> Result<(u16, bool, Vec<u8>), Error> {
    let mut line = String::new();
    if reader.read_line(&mut line).await? == 0 {
        return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "connection closed").into());
    }
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("bad status line {line:?}"))?;
    let (mut length, mut chunked, mut keep_alive) = (None, false, true);
    loop {
        line.clear();
        if reader.read_line(&mut line).await? == 0 {
            return Err("connection closed in the headers".into());
        }
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        let Some((name, value)) = header.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match name.to_ascii_lowercase().as_str() {
            "content-length" => length = Some(value.parse::<usize>()?),
            "transfer-encoding" => chunked = value.eq_ignore_ascii_case("chunked"),
            "connection" => keep_alive = !value.eq_ignore_ascii_case("close"),
            _ => {}
        }
    }
    let mut body = Vec::new();
    if chunked {
        loop {
            line.clear();
            reader.read_line(&mut line).await?;
            let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or(""), 16)?;
            if size == 0 {
                line.clear();
                reader.read_line(&mut line).await?;
                break;
            }
            let start = body.len();
            body.resize(start + size, 0);
            reader.read_exact(&mut body[start..]).await?;
            line.clear();
            reader.read_line(&mut line).await?;
        }
    } else if let Some(length) = length {
        body.resize(length, 0);
        reader.read_exact(&mut body).await?;
    } else {
        reader.read_to_end(&mut body).await?;
        keep_alive = false;
    }
    Ok((status, keep_alive, body))
}

/// The `errors` of a GraphQL answer, if any, as text.
pub fn graphql_errors(answer: &Value) -> Option<String> {
    match answer.get("errors") {
        Some(Value::Array(errors)) if !errors.is_empty() => Some(answer["errors"].to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn reads_sized_and_chunked_answers() {
        let sized = b"HTTP/1.1 200 OK\r\ncontent-length: 7\r\n\r\n{\"a\":1}rest";
        let mut r = BufReader::new(&sized[..]);
        assert_eq!(
            read_response(&mut r).await.expect("sized"),
            (200, true, b"{\"a\":1}".to_vec())
        );
        let chunked =
            b"HTTP/1.1 400 Bad\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\n{\"a\r\n4\r\n\":1}\r\n0\r\n\r\n";
        let mut r = BufReader::new(&chunked[..]);
        assert_eq!(
            read_response(&mut r).await.expect("chunked"),
            (400, false, b"{\"a\":1}".to_vec())
        );
    }

    #[test]
    fn hosts_and_errors() {
        assert_eq!(
            host_of("http://127.0.0.1:8080/").expect("host"),
            "127.0.0.1:8080"
        );
        assert!(host_of("https://x").is_err());
        assert!(graphql_errors(&serde_json::json!({"data": {}})).is_none());
        assert!(graphql_errors(&serde_json::json!({"errors": [{"message": "x"}]})).is_some());
    }
}
