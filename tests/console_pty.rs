//! End to end in a pseudo-terminal: `lanedesk demo` starts, a traveller is presented
//! through the simulated camera, the officer approves and quits, and the terminal is
//! given back as it was.

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

const ROWS: u16 = 45;
const COLS: u16 = 160;

struct Screen {
    parser: Arc<Mutex<vt100::Parser>>,
}

impl Screen {
    fn text(&self) -> String {
        self.parser.lock().unwrap().screen().contents()
    }

    /// Waits until every one of `needles` is on screen; panics with the screen if not.
    fn wait_for(&self, needles: &[&str], timeout: Duration) {
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
}

#[test]
fn the_demo_presents_a_traveller_approves_and_gives_the_terminal_back() {
    let dir = tempfile::tempdir().unwrap();
    let pty = native_pty_system();
    let pair = pty
        .openpty(PtySize {
            rows: ROWS,
            cols: COLS,
            pixel_width: 0,
            pixel_height: 0,
        })
        .expect("a pseudo-terminal");
    let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_lanedesk"));
    cmd.args(["demo", "--log"]);
    cmd.arg(dir.path().join("demo.log"));
    cmd.cwd(env!("CARGO_MANIFEST_DIR"));
    cmd.env("TERM", "xterm-256color");
    cmd.env("HOME", dir.path());
    cmd.env("XDG_CONFIG_HOME", dir.path().join("config"));
    cmd.env("XDG_STATE_HOME", dir.path().join("state"));
    cmd.env_remove("NO_COLOR");
    let mut child = pair.slave.spawn_command(cmd).expect("lanedesk starts");
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
    let mut keys = pair.master.take_writer().unwrap();
    let screen = Screen { parser };
    let mut press = |k: &str| {
        keys.write_all(k.as_bytes()).unwrap();
        keys.flush().unwrap();
    };

    screen.wait_for(&["Waiting for a code", "online"], Duration::from_secs(60));
    assert!(
        screen.parser.lock().unwrap().screen().alternate_screen(),
        "the console draws on the alternate screen"
    );
    // Traveller 1: a Hong Kong resident. The code goes phone → camera → scanner → verifier
    // → loopback service → screen.
    press("1");
    screen.wait_for(
        &["CHAN Chi Ming", "陳志明", "Home Return Permit", "E-card"],
        Duration::from_secs(60),
    );
    press("a");
    screen.wait_for(
        &["APPROVED", "sent to the service"],
        Duration::from_secs(30),
    );
    press("h");
    screen.wait_for(
        &["Recent decisions at this lane", "CHAN Chi Ming"],
        Duration::from_secs(10),
    );
    press("\x1b");
    // Apart, so the terminal does not read Esc and Q as Alt-Q.
    std::thread::sleep(Duration::from_millis(300));
    press("q");

    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "lanedesk did not exit; screen:\n{}",
            screen.text()
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.success(), "exit status {status:?}");
    std::thread::sleep(Duration::from_millis(300));
    let parser = screen.parser.lock().unwrap();
    assert!(
        !parser.screen().alternate_screen(),
        "the alternate screen was not left"
    );
    assert!(!parser.screen().hide_cursor(), "the cursor was left hidden");
    let log = std::fs::read_to_string(dir.path().join("demo.log")).unwrap_or_default();
    assert!(
        log.contains("demo issuance service started"),
        "the log went elsewhere: {log}"
    );
}
