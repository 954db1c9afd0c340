//! A program in a pseudo-terminal, read through a VT100 parser: what a user would see.

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};

pub const ROWS: u16 = 45;
pub const COLS: u16 = 160;

pub struct Pty {
    pub parser: Arc<Mutex<vt100::Parser>>,
    /// Every byte the program wrote, for what a screen does not show (escape sequences).
    #[allow(dead_code)]
    pub raw: Arc<Mutex<Vec<u8>>>,
    pub child: Box<dyn Child + Send + Sync>,
    keys: Box<dyn Write + Send>,
    _master: Box<dyn MasterPty + Send>,
}

impl Pty {
    /// Starts `lanedesk ARGS` in a 160x45 terminal with HOME and XDG folders under `home`.
    pub fn lanedesk(args: &[&str], home: &std::path::Path) -> Pty {
        Pty::lanedesk_sized(args, home, (COLS, ROWS))
    }

    /// The same in a terminal of `(cols, rows)`.
    pub fn lanedesk_sized(args: &[&str], home: &std::path::Path, (cols, rows): (u16, u16)) -> Pty {
        let pair = native_pty_system()
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("a pseudo-terminal");
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_lanedesk"));
        cmd.args(args);
        cmd.cwd(env!("CARGO_MANIFEST_DIR"));
        cmd.env("TERM", "xterm-256color");
        cmd.env("HOME", home);
        cmd.env("XDG_CONFIG_HOME", home.join("config"));
        cmd.env("XDG_STATE_HOME", home.join("state"));
        cmd.env_remove("NO_COLOR");
        cmd.env_remove("LANEDESK_LANE_TOKEN");
        let child = pair.slave.spawn_command(cmd).expect("lanedesk starts");
        drop(pair.slave);
        let parser = Arc::new(Mutex::new(vt100::Parser::new(rows, cols, 0)));
        let raw = Arc::new(Mutex::new(Vec::new()));
        let mut reader = pair.master.try_clone_reader().unwrap();
        let (feed, record) = (parser.clone(), raw.clone());
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                feed.lock().unwrap().process(&buf[..n]);
                record.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        let keys = pair.master.take_writer().unwrap();
        Pty {
            parser,
            raw,
            child,
            keys,
            _master: pair.master,
        }
    }

    pub fn text(&self) -> String {
        self.parser.lock().unwrap().screen().contents()
    }

    /// Waits until every one of `needles` is on screen; panics with the screen if not.
    pub fn wait_for(&self, needles: &[&str], timeout: Duration) {
        let start = Instant::now();
        loop {
            let text = self.text();
            if needles.iter().all(|n| text.contains(n)) {
                return;
            }
            assert!(
                start.elapsed() < timeout,
                "waited {timeout:?} for {needles:?}; the screen shows:\n{text}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// A decision key, pressed as an officer would: after looking at the traveller (the
    /// console ignores decision keys in the first half second a traveller is on screen).
    pub fn decide(&mut self, keys: &str) {
        std::thread::sleep(Duration::from_millis(700));
        self.press(keys);
    }

    pub fn press(&mut self, keys: &str) {
        self.keys.write_all(keys.as_bytes()).unwrap();
        self.keys.flush().unwrap();
    }

    /// Waits for the program to exit; returns whether it succeeded.
    pub fn wait_exit(&mut self, timeout: Duration) -> bool {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                // Let the last bytes (the terminal being restored) reach the parser.
                std::thread::sleep(Duration::from_millis(300));
                return status.success();
            }
            assert!(
                start.elapsed() < timeout,
                "lanedesk did not exit; screen:\n{}",
                self.text()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The terminal is as the shell left it: main screen, cursor shown.
    pub fn assert_restored(&self) {
        let parser = self.parser.lock().unwrap();
        assert!(
            !parser.screen().alternate_screen(),
            "the alternate screen was not left"
        );
        assert!(!parser.screen().hide_cursor(), "the cursor was left hidden");
    }
}
