//! Opening a gateway socket and reading its frames cheaply (the tool decodes tens of thousands
//! of frames a second on the same cores as the server, so it reads only the fields it needs).

use std::borrow::Cow;
use std::time::Duration;

use futures::StreamExt;
use serde::Deserialize;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How long a socket may take from connecting to its `ready` frame.
const READY_WAIT: Duration = Duration::from_secs(60);

/// The `ws://…/api/v1/ws` address for an `http://…` base.
pub fn ws_base(http_base: &str) -> String {
    let base = http_base.trim_end_matches('/');
    let base = if let Some(rest) = base.strip_prefix("https://") {
        format!("wss://{rest}")
    } else if let Some(rest) = base.strip_prefix("http://") {
        format!("ws://{rest}")
    } else {
        base.to_owned()
    };
    format!("{base}/api/v1/ws")
}

/// Opens a socket with `?token=` and waits for `ready`. Errors are short labels for a tally
/// (`http 429 TOO_MANY_CONNECTIONS`, `io ConnectionRefused`, `closed before ready`, …).
pub async fn open(ws_url: &str, token: &str) -> Result<Socket, String> {
    // Small buffers: the tool holds thousands of sockets that read little (tungstenite
    // allocates the read buffer up front, 128 KiB by default).
    let config = WebSocketConfig::default()
        .read_buffer_size(8 * 1024)
        .write_buffer_size(0);
    let connect = tokio_tungstenite::connect_async_with_config(
        format!("{ws_url}?token={token}"),
        Some(config),
        // No Nagle delay on what the tool sends, so send times are what the server sees.
        true,
    );
    let mut ws = match tokio::time::timeout(READY_WAIT, connect).await {
        Err(_) => return Err("upgrade timed out".to_owned()),
        Ok(Err(e)) => return Err(error_label(&e)),
        Ok(Ok((ws, _))) => ws,
    };
    let ready = tokio::time::timeout(READY_WAIT, async {
        while let Some(msg) = ws.next().await {
            match msg {
                Ok(Message::Text(t)) => {
                    return match head(t.as_str()) {
                        Some(h) if h.kind == "ready" => Ok(()),
                        Some(h) => Err(format!("first frame {}", h.kind)),
                        None => Err("first frame not JSON".to_owned()),
                    };
                }
                Ok(Message::Close(f)) => return Err(close_label(f.as_ref())),
                Ok(_) => {}
                Err(e) => return Err(error_label(&e)),
            }
        }
        Err("ended before ready".to_owned())
    })
    .await;
    match ready {
        Err(_) => Err("no ready within 60 s".to_owned()),
        Ok(Err(e)) => Err(e),
        Ok(Ok(())) => Ok(ws),
    }
}

pub fn error_label(e: &tungstenite::Error) -> String {
    match e {
        tungstenite::Error::Http(res) => {
            let code = res
                .body()
                .as_deref()
                .and_then(|b| serde_json::from_slice::<serde_json::Value>(b).ok())
                .and_then(|v| v["error"]["code"].as_str().map(str::to_owned))
                .unwrap_or_default();
            format!("http {} {code}", res.status().as_u16())
                .trim_end()
                .to_owned()
        }
        tungstenite::Error::Io(io) => format!("io {:?}", io.kind()),
        tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed => {
            "connection closed".to_owned()
        }
        tungstenite::Error::Protocol(p) => format!("protocol {p}"),
        other => format!("{other}"),
    }
}

pub fn close_label(f: Option<&tungstenite::protocol::CloseFrame>) -> String {
    match f {
        Some(f) => format!("close {}", u16::from(f.code)),
        None => "close (no code)".to_owned(),
    }
}

/// The top of a server frame: its type, the `ref` (the tool only sends numbers), an error's
/// code. Everything else is skipped without being built.
#[derive(Debug, Deserialize)]
pub struct Head<'a> {
    #[serde(rename = "type", borrow)]
    pub kind: Cow<'a, str>,
    #[serde(rename = "ref", default)]
    pub reference: Option<u64>,
    #[serde(default, borrow)]
    pub code: Option<Cow<'a, str>>,
}

pub fn head(text: &str) -> Option<Head<'_>> {
    serde_json::from_str(text).ok()
}

/// The body of a `new_message` frame.
pub fn message_body(text: &str) -> Option<Cow<'_, str>> {
    #[derive(Deserialize)]
    struct Frame<'a> {
        #[serde(borrow)]
        message: Body<'a>,
    }
    #[derive(Deserialize)]
    struct Body<'a> {
        #[serde(borrow)]
        body: Cow<'a, str>,
    }
    serde_json::from_str::<Frame<'_>>(text)
        .ok()
        .map(|f| f.message.body)
}

/// Parses `"<tag> <a> <b>"` bodies the tool sends (numbers after a tag).
pub fn tagged_numbers<'a>(body: &'a str, tag: &str) -> Option<impl Iterator<Item = u64> + 'a> {
    let rest = body.strip_prefix(tag)?.strip_prefix(' ')?;
    Some(rest.split(' ').filter_map(|n| n.parse().ok()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ws_addresses() {
        assert_eq!(
            ws_base("http://127.0.0.1:8080/"),
            "ws://127.0.0.1:8080/api/v1/ws"
        );
        assert_eq!(ws_base("https://x.test"), "wss://x.test/api/v1/ws");
    }

    #[test]
    fn frames_are_read_partly() {
        let ack = r#"{"type":"ack","ref":42,"for":"send_message","message":{"id":"x","body":"b"}}"#;
        let h = head(ack).unwrap();
        assert_eq!((h.kind.as_ref(), h.reference), ("ack", Some(42)));

        let err = r#"{"type":"error","code":"NOT_A_MEMBER","message":"no","ref":7}"#;
        let h = head(err).unwrap();
        assert_eq!(h.code.as_deref(), Some("NOT_A_MEMBER"));
        assert_eq!(h.reference, Some(7));

        let new = r#"{"type":"new_message","room_id":"r","message":{"id":"m","author":{"id":"u"},"body":"fo 12","reactions":[],"deleted":false}}"#;
        assert_eq!(head(new).unwrap().kind, "new_message");
        let body = message_body(new).unwrap();
        assert_eq!(
            tagged_numbers(&body, "fo").unwrap().collect::<Vec<_>>(),
            vec![12]
        );
        assert!(tagged_numbers("tp 3 4", "fo").is_none());
        assert_eq!(
            tagged_numbers("tp 3 4", "tp").unwrap().collect::<Vec<_>>(),
            vec![3, 4]
        );
    }
}
