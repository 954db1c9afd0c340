//! Asking the terminal what it can draw: kitty graphics (a one-pixel query image), sixel
//! (device attributes, where 4 means sixel), the cell size in pixels, and a status report
//! every terminal answers, which ends the wait. Answers are read by polling standard input
//! with a deadline, so nothing keeps reading once the console starts taking keys.

use std::io::Write;
use std::time::{Duration, Instant};

/// What the terminal said.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Answer {
    pub kitty: bool,
    pub sixel: bool,
    /// A cell's width and height in pixels.
    pub cell: Option<(u16, u16)>,
    /// The terminal answered at all (the status report came back).
    pub answered: bool,
}

/// The query: inside tmux the kitty query goes through tmux's passthrough to the outer
/// terminal; the others tmux answers itself.
pub fn query_text(in_tmux: bool) -> String {
    let kitty = "\x1b_Gi=31,s=1,v=1,a=q,t=d,f=24;AAAA\x1b\\";
    let kitty = if in_tmux {
        format!("\x1bPtmux;{}\x1b\\", kitty.replace('\x1b', "\x1b\x1b"))
    } else {
        kitty.to_owned()
    };
    format!("{kitty}\x1b[c\x1b[16t\x1b[5n")
}

/// Reads what the terminal answered to [`query_text`].
pub fn parse(reply: &[u8]) -> Answer {
    let text = String::from_utf8_lossy(reply);
    let mut answer = Answer {
        kitty: text.contains("_Gi=31;OK"),
        answered: text.contains("\x1b[0n"),
        ..Answer::default()
    };
    for part in text.split('\x1b').skip(1) {
        if let Some(attrs) = part.strip_prefix("[?").and_then(|p| p.split('c').next()) {
            answer.sixel |= attrs.split(';').any(|a| a == "4");
        }
        if let Some(size) = part.strip_prefix("[6;").and_then(|p| p.split('t').next()) {
            let mut n = size.split(';').filter_map(|v| v.parse::<u16>().ok());
            if let (Some(h), Some(w)) = (n.next(), n.next())
                && w > 0
                && h > 0
            {
                answer.cell = Some((w, h));
            }
        }
    }
    answer
}

/// Sends the query and reads answers until the status report or `timeout`.
#[cfg(unix)]
pub fn ask(timeout: Duration) -> Answer {
    let in_tmux = std::env::var_os("TMUX").is_some();
    let mut out = std::io::stdout();
    if out.write_all(query_text(in_tmux).as_bytes()).is_err() || out.flush().is_err() {
        return Answer::default();
    }
    let deadline = Instant::now() + timeout;
    let mut reply = Vec::new();
    while !parse(&reply).answered {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        let mut fds = libc::pollfd {
            fd: libc::STDIN_FILENO,
            events: libc::POLLIN,
            revents: 0,
        };
        let ms = i32::try_from(left.as_millis()).unwrap_or(i32::MAX).max(1);
        // SAFETY: one valid pollfd, its count, a bounded timeout.
        let ready = unsafe { libc::poll(&mut fds, 1, ms) };
        if ready <= 0 {
            break;
        }
        let mut buf = [0u8; 256];
        // SAFETY: reads at most the buffer's length into it; stdin is open.
        let n = unsafe { libc::read(libc::STDIN_FILENO, buf.as_mut_ptr().cast(), buf.len()) };
        if n <= 0 {
            break;
        }
        reply.extend_from_slice(&buf[..n as usize]);
    }
    parse(&reply)
}

#[cfg(not(unix))]
pub fn ask(_timeout: Duration) -> Answer {
    Answer::default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_read_from_what_terminals_send() {
        let kitty = parse(b"\x1b_Gi=31;OK\x1b\\\x1b[?62;22c\x1b[6;20;10t\x1b[0n");
        assert_eq!(
            kitty,
            Answer {
                kitty: true,
                sixel: false,
                cell: Some((10, 20)),
                answered: true
            }
        );
        let sixel = parse(b"\x1b[?63;1;2;4;6;9;15;22c\x1b[0n");
        assert!(sixel.sixel && !sixel.kitty && sixel.answered && sixel.cell.is_none());
        assert!(!parse(b"").answered);
        assert!(!parse(b"\x1b[?1;2c").sixel, "no 4 among the attributes");
    }

    #[test]
    fn inside_tmux_only_the_kitty_query_is_passed_through() {
        let q = query_text(true);
        assert!(q.starts_with("\x1bPtmux;\x1b\x1b_G"), "{q:?}");
        assert!(q.ends_with("\x1b[c\x1b[16t\x1b[5n"), "{q:?}");
    }
}
