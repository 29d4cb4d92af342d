//! A real SMTP server on loopback for the mail tests: `tests/lib/smtp_sink.py` (Python
//! `aiosmtpd`) on a free port, writing each message it receives as a JSON file into a temp
//! dir, which [`SmtpSink::wait_for`] reads.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// One received message.
#[derive(Clone, Debug)]
pub struct Received {
    pub rcpt_tos: Vec<String>,
    pub from: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl Received {
    /// The first link in the text body that starts with `prefix`.
    pub fn link(&self, prefix: &str) -> String {
        let start = self
            .text
            .find(prefix)
            .unwrap_or_else(|| panic!("no link {prefix} in:\n{}", self.text));
        self.text[start..]
            .split_whitespace()
            .next()
            .expect("link")
            .to_owned()
    }

    /// The `token` query parameter of the link that starts with `prefix`.
    pub fn token(&self, prefix: &str) -> String {
        let link = self.link(prefix);
        let url = url::Url::parse(&link).expect("link is a URL");
        url.query_pairs()
            .find(|(k, _)| k == "token")
            .map(|(_, v)| v.into_owned())
            .unwrap_or_else(|| panic!("no token in {link}"))
    }
}

pub struct SmtpSink {
    pub port: u16,
    dir: tempfile::TempDir,
    child: Option<Child>,
}

/// A port free right now on 127.0.0.1 ([`super::ports`]).
fn free_port() -> u16 {
    super::ports::free_port()
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/lib/smtp_sink.py")
}

impl SmtpSink {
    /// Starts the sink on a free port.
    pub fn start() -> Self {
        let mut sink = Self {
            port: free_port(),
            dir: tempfile::tempdir().expect("temp dir"),
            child: None,
        };
        sink.resume();
        sink
    }

    /// `smtp://127.0.0.1:PORT`, for `PARTNERGRAPH_SMTP_URL`.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Stops the server (the port refuses connections); what it received stays readable.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port and directory.
    pub fn resume(&mut self) {
        assert!(self.child.is_none(), "already running");
        let mut child = Command::new("python3")
            .arg(script())
            .arg(self.port.to_string())
            .arg(self.dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start python3 tests/lib/smtp_sink.py");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read sink output");
        assert_eq!(
            line.trim(),
            "READY",
            "the SMTP sink did not start (is aiosmtpd installed? `pip install aiosmtpd`)"
        );
        self.child = Some(child);
    }

    /// Every message received so far, in arrival order.
    pub fn received(&self) -> Vec<Received> {
        let mut names: Vec<PathBuf> = std::fs::read_dir(self.dir.path())
            .expect("read sink dir")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .filter(|p| {
                !p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with('.'))
            })
            .collect();
        names.sort();
        names
            .iter()
            .map(|path| {
                let raw: Value = serde_json::from_slice(&std::fs::read(path).expect("read mail"))
                    .expect("mail JSON");
                let text = |key: &str| raw[key].as_str().unwrap_or_default().to_owned();
                Received {
                    rcpt_tos: raw["rcpt_tos"]
                        .as_array()
                        .map(|a| {
                            a.iter()
                                .filter_map(|v| v.as_str().map(str::to_owned))
                                .collect()
                        })
                        .unwrap_or_default(),
                    from: text("from"),
                    subject: text("subject"),
                    text: text("text"),
                    html: text("html"),
                }
            })
            .collect()
    }

    /// Waits (10 s at most) for a message to `recipient` whose subject contains `subject`.
    pub async fn wait_for(&self, recipient: &str, subject: &str) -> Received {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(found) = self
                .received()
                .into_iter()
                .find(|m| m.rcpt_tos.iter().any(|r| r == recipient) && m.subject.contains(subject))
            {
                return found;
            }
            assert!(
                Instant::now() < deadline,
                "no mail to {recipient} about {subject:?} within 10 s; received: {:?}",
                self.received()
                    .iter()
                    .map(|m| (&m.rcpt_tos, &m.subject))
                    .collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.stop();
    }
}
