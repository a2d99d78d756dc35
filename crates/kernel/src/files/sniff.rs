//! What an upload is, from its bytes (never from its name or the client's content type).
//!
//! Allowed: PNG, JPEG, GIF, WebP and PDF by their magic bytes, and plain text when the whole file
//! is valid UTF-8 without a NUL byte (so `.txt`, `.md`, `.csv`, `.log` work). Everything else —
//! executables, archives (ZIP-based office documents included: a ZIP can carry anything) — is
//! refused. HTML and SVG are text by these rules, so they are stored and served as `text/plain`
//! and never rendered. The check runs while the upload streams, so a refused file is usually known
//! from its first chunk.

pub const PNG: &str = "image/png";
pub const JPEG: &str = "image/jpeg";
pub const GIF: &str = "image/gif";
pub const WEBP: &str = "image/webp";
pub const PDF: &str = "application/pdf";
pub const TEXT: &str = "text/plain";

/// Bytes the magic numbers need (WebP's `RIFF....WEBP` is the longest).
const HEAD: usize = 12;

/// The type a file's first bytes announce, if it is one of the binary types allowed.
pub fn magic(head: &[u8]) -> Option<&'static str> {
    if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(PNG)
    } else if head.starts_with(b"\xff\xd8\xff") {
        Some(JPEG)
    } else if head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a") {
        Some(GIF)
    } else if head.len() >= 12 && head.starts_with(b"RIFF") && &head[8..12] == b"WEBP" {
        Some(WEBP)
    } else if head.starts_with(b"%PDF-") {
        Some(PDF)
    } else {
        None
    }
}

/// The file is not one of the allowed types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unsupported;

/// Decides the type of a file fed to it chunk by chunk.
#[derive(Debug, Default)]
pub struct Sniffer {
    head: Vec<u8>,
    /// `Some` once the head is complete: the binary type, or `None` for "must be text".
    decided: Option<Option<&'static str>>,
    text: TextCheck,
}

impl Sniffer {
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes the next chunk; `Err` as soon as the file cannot be an allowed type.
    pub fn feed(&mut self, chunk: &[u8]) -> Result<(), Unsupported> {
        if let Some(Some(_)) = self.decided {
            return Ok(());
        }
        if self.head.len() < HEAD {
            let take = (HEAD - self.head.len()).min(chunk.len());
            self.head.extend_from_slice(&chunk[..take]);
        }
        self.text.feed(chunk);
        if self.decided.is_none() && self.head.len() == HEAD {
            self.decided = Some(magic(&self.head));
        }
        match self.decided {
            Some(None) if self.text.failed => Err(Unsupported),
            _ => Ok(()),
        }
    }

    /// The content type of the whole file (call after the last chunk).
    pub fn finish(self) -> Result<&'static str, Unsupported> {
        let binary = match self.decided {
            Some(decided) => decided,
            None => magic(&self.head),
        };
        match binary {
            Some(kind) => Ok(kind),
            None if self.text.is_text() => Ok(TEXT),
            None => Err(Unsupported),
        }
    }
}

/// Incremental "valid UTF-8 and no NUL" over chunks that may split a character.
#[derive(Debug, Default)]
struct TextCheck {
    /// The start of a character cut off at the end of the last chunk (at most 3 bytes).
    carry: Vec<u8>,
    failed: bool,
}

impl TextCheck {
    fn feed(&mut self, chunk: &[u8]) {
        if self.failed {
            return;
        }
        if chunk.contains(&0) {
            self.failed = true;
            return;
        }
        let joined;
        let data: &[u8] = if self.carry.is_empty() {
            chunk
        } else {
            joined = [self.carry.as_slice(), chunk].concat();
            &joined
        };
        match std::str::from_utf8(data) {
            Ok(_) => self.carry.clear(),
            // Cut off mid-character: keep the start for the next chunk.
            Err(e) if e.error_len().is_none() => self.carry = data[e.valid_up_to()..].to_vec(),
            Err(_) => self.failed = true,
        }
    }

    fn is_text(&self) -> bool {
        !self.failed && self.carry.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sniff_in(chunks: &[&[u8]]) -> Result<&'static str, Unsupported> {
        let mut s = Sniffer::new();
        for c in chunks {
            s.feed(c)?;
        }
        s.finish()
    }

    fn sniff(bytes: &[u8]) -> Option<&'static str> {
        let whole = sniff_in(&[bytes]).ok();
        // The verdict must not depend on how the bytes are cut.
        let ones: Vec<&[u8]> = bytes.chunks(1).collect();
        assert_eq!(sniff_in(&ones).ok(), whole, "one-byte chunks of {bytes:?}");
        let threes: Vec<&[u8]> = bytes.chunks(3).collect();
        assert_eq!(
            sniff_in(&threes).ok(),
            whole,
            "three-byte chunks of {bytes:?}"
        );
        whole
    }

    #[test]
    fn types_come_from_the_bytes() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01";
        let exe = b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff\0\0";
        let cases: &[(&[u8], Option<&str>)] = &[
            (png, Some(PNG)),
            (b"\xff\xd8\xff\xe0\0\x10JFIF\0\x01", Some(JPEG)),
            (b"\xff\xd8\xff", Some(JPEG)),
            (b"GIF89a\x01\0\x01\0\x80\0\0", Some(GIF)),
            (b"GIF87a\x01\0\x01\0", Some(GIF)),
            (b"RIFF\x24\0\0\0WEBPVP8 \x18\0\0\0", Some(WEBP)),
            (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", Some(PDF)),
            (b"hello", Some(TEXT)),
            (b"name,age\nAda,36\n", Some(TEXT)),
            (
                "# Notes\n\n* caf\u{e9} \u{2014} \u{1f600}\n".as_bytes(),
                Some(TEXT),
            ),
            (b"\xef\xbb\xbfwith a BOM", Some(TEXT)),
            (b"x", Some(TEXT)),
            // Executables, archives, other binaries.
            (exe, None),
            (b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0", None),
            (b"PK\x03\x04\x14\0\x06\0\x08\0", None),
            (b"\x1f\x8b\x08\0\0\0\0\0", None),
            // Almost magic: RIFF that is not WebP, a broken PNG signature.
            (b"RIFF\x24\0\0\0WAVEfmt ", None),
            (b"\x89PNX\r\n\x1a\n\0\0\0\0", None),
            // Text with a NUL, invalid UTF-8, UTF-16, a truncated character at the end.
            (b"hello\0world", None),
            (b"caf\xe9 latin-1", None),
            (b"\xff\xfeh\0i\0", None),
            (b"ends mid-char \xe2\x82", None),
        ];
        for (bytes, want) in cases {
            assert_eq!(sniff(bytes), *want, "{bytes:?}");
        }
    }

    #[test]
    fn refusal_comes_early_and_binary_types_skip_the_text_check() {
        let mut s = Sniffer::new();
        assert_eq!(
            s.feed(b"MZ\x90\0\x03\0\0\0\x04\0\0\0rest"),
            Err(Unsupported)
        );
        // A PNG body is full of NULs and invalid UTF-8: still a PNG.
        let mut s = Sniffer::new();
        s.feed(b"\x89PNG\r\n\x1a\n\0\0\0\r").unwrap();
        s.feed(&[0, 0xff, 0xfe, 0]).unwrap();
        assert_eq!(s.finish(), Ok(PNG));
        // Text that turns binary later is refused when it does.
        let mut s = Sniffer::new();
        s.feed(b"a perfectly fine start of a text file").unwrap();
        assert_eq!(s.feed(b"\0\0"), Err(Unsupported));
    }
}
