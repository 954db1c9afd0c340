//! A program in a pseudo-terminal, read through a VT100 parser: what a user would see.

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};

pub const ROWS: u16 = 45;
pub const COLS: u16 = 160;

pub struct Pty {
    pub parser: Arc<Mutex<vt100::Parser>>,
    pub child: Box<dyn Child + Send + Sync>,
    keys: Box<dyn Write + Send>,
    _master: Box<dyn MasterPty + Send>,
}

impl Pty {
    /// Starts `lanedesk ARGS` in a 160x45 terminal with HOME and XDG folders under `home`.
    pub fn lanedesk(args: &[&str], home: &std::path::Path) -> Pty {
        let pair = native_pty_system()
            .openpty(PtySize {
                rows: ROWS,
                cols: COLS,
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
        let parser = Arc::new(Mutex::new(vt100::Parser::new(ROWS, COLS, 0)));
        let mut reader = pair.master.try_clone_reader().unwrap();
        let feed = parser.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                feed.lock().unwrap().process(&buf[..n]);
            }
        });
        let keys = pair.master.take_writer().unwrap();
        Pty {
            parser,
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
