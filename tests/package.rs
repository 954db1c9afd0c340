//! The Debian package, as an administrator gets it: built by `packaging/build-deb`
//! (release binary with the webcam, cargo-deb), installed with dpkg into a throw-away root
//! (`dpkg --root DIR --force-script-chrootless`: the maintainer scripts really run, and
//! write into that root), then used from there: the binary finds its data beside it, the
//! demo plays a script in a pseudo-terminal, the units' own command lines serve and run a
//! lane, every manual page renders, systemd-analyze accepts the units, and a purge leaves
//! nothing behind.
//!
//! Not part of a plain `cargo test` (`test = false` in Cargo.toml): it builds the release
//! binary. Run it with `cargo test --test package`, as root (dpkg installs files owned by
//! root), with cargo-deb, man-db and systemd (systemd-analyze, systemd-sysusers) installed;
//! .ci/run installs what is missing and runs it.

use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

const MANIFEST_DIR: &str = env!("CARGO_MANIFEST_DIR");
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The package, built once for all the tests in this file.
fn deb() -> &'static Path {
    static DEB: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match DEB.get_or_init(build_package) {
        Ok(path) => path,
        Err(e) => panic!("{e}"),
    }
}

fn build_package() -> Result<PathBuf, String> {
    // Its progress goes to this test's stderr: the release build takes minutes. --fast
    // compresses less (20 s instead of 100): what is in the package is the same.
    let out = Command::new("bash")
        .arg(Path::new(MANIFEST_DIR).join("packaging/build-deb"))
        .arg("--fast")
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run packaging/build-deb: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "packaging/build-deb failed ({}); its output is above",
            out.status
        ));
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let path = PathBuf::from(stdout.lines().last().unwrap_or_default().trim());
    if !path.is_file() || path.extension().is_none_or(|e| e != "deb") {
        return Err(format!(
            "packaging/build-deb did not end with the path of a .deb: {stdout:?}"
        ));
    }
    Ok(path)
}

fn run(command: &mut Command) -> Output {
    command
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `dpkg-deb ARGS deb`, its standard output.
fn dpkg_deb(args: &[&str]) -> String {
    let out = run(Command::new("dpkg-deb").args(args).arg(deb()));
    assert!(
        out.status.success(),
        "dpkg-deb {args:?}: {}",
        text(&out.stderr)
    );
    text(&out.stdout)
}

/// A throw-away root the package is installed into with dpkg.
struct Root {
    dir: tempfile::TempDir,
}

impl Root {
    fn install() -> Root {
        // SAFETY: geteuid has no preconditions and cannot fail.
        let euid = unsafe { libc::geteuid() };
        assert_eq!(
            euid, 0,
            "this test installs the package with dpkg, which makes files owned by root: run it as root"
        );
        let dir = tempfile::tempdir().unwrap();
        for sub in ["info", "updates", "triggers"] {
            std::fs::create_dir_all(dir.path().join("var/lib/dpkg").join(sub)).unwrap();
        }
        for file in ["status", "available"] {
            std::fs::write(dir.path().join("var/lib/dpkg").join(file), "").unwrap();
        }
        let root = Root { dir };
        root.dpkg(&["--install"], Some(deb()));
        root
    }

    /// An absolute path of the installed system, under this root.
    fn path(&self, absolute: &str) -> PathBuf {
        self.dir.path().join(absolute.trim_start_matches('/'))
    }

    /// dpkg on this root. The empty root has no libc6 or systemd packages, hence
    /// --force-depends; the scripts run on the host's tools with DPKG_ROOT set.
    fn dpkg(&self, args: &[&str], deb: Option<&Path>) -> String {
        let mut command = Command::new("dpkg");
        command
            .arg(format!("--root={}", self.dir.path().display()))
            .args([
                "--force-script-chrootless",
                "--force-depends",
                "--log=/dev/null",
            ])
            .args(args);
        if let Some(deb) = deb {
            command.arg(deb);
        }
        let out = run(&mut command);
        assert!(
            out.status.success(),
            "dpkg {args:?} into {}: {}{}",
            self.dir.path().display(),
            text(&out.stdout),
            text(&out.stderr)
        );
        text(&out.stdout) + &text(&out.stderr)
    }

    fn unit(&self, name: &str) -> Unit {
        let path = self.path(&format!("/usr/lib/systemd/system/{name}"));
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("the package has no {}: {e}", path.display()));
        Unit { text }
    }

    /// The installed binary, run as a user in `home` would.
    fn lanedesk(&self, home: &Path) -> Command {
        let mut command = Command::new(self.path("/usr/bin/lanedesk"));
        as_user_in(&mut command, home);
        command
    }

    /// A systemd command line with every absolute path moved under this root.
    fn command_line(&self, line: &str, instance: &str) -> Vec<String> {
        line.split_whitespace()
            .map(|word| word.replace("%i", instance).replace("%I", instance))
            .map(|word| {
                if word.starts_with('/') {
                    self.path(&word).display().to_string()
                } else {
                    word
                }
            })
            .collect()
    }
}

/// Away from any checkout (no `./fixtures`), with no lanedesk variables from the test's
/// environment, and the user's folders in `home`.
fn as_user_in(command: &mut Command, home: &Path) {
    command.current_dir(home);
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("LANEDESK_") {
            command.env_remove(key);
        }
    }
    command
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_STATE_HOME", home.join("state"));
}

/// A systemd unit file, read as systemd does for the keys this test needs.
struct Unit {
    text: String,
}

impl Unit {
    fn values(&self, key: &str) -> Vec<String> {
        self.text
            .lines()
            .filter(|l| !l.trim_start().starts_with(['#', ';']))
            .filter_map(|l| l.split_once('='))
            .filter(|(k, _)| k.trim() == key)
            .map(|(_, v)| v.trim().to_owned())
            .collect()
    }

    fn value(&self, key: &str) -> String {
        let values = self.values(key);
        assert_eq!(values.len(), 1, "{key}= is set {} times", values.len());
        values[0].clone()
    }

    /// The variables `Environment=` and `EnvironmentFile=` give the service.
    fn environment(&self, root: &Root) -> Vec<(String, String)> {
        let mut vars = Vec::new();
        for assignment in self.values("Environment") {
            if let Some((k, v)) = assignment.split_once('=') {
                vars.push((k.to_owned(), v.to_owned()));
            }
        }
        for file in self.values("EnvironmentFile") {
            let (optional, file) = match file.strip_prefix('-') {
                Some(f) => (true, f.to_owned()),
                None => (false, file),
            };
            let text = match std::fs::read_to_string(root.path(&file)) {
                Ok(text) => text,
                Err(_) if optional => continue,
                Err(e) => panic!("EnvironmentFile {file} is not in the installed root: {e}"),
            };
            vars.extend(env_file(&text));
        }
        vars
    }
}

fn env_file(text: &str) -> Vec<(String, String)> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect()
}

/// A program in a pseudo-terminal, read through a VT100 parser.
struct Terminal {
    parser: Arc<Mutex<vt100::Parser>>,
    child: Box<dyn portable_pty::Child + Send + Sync>,
    keys: Box<dyn Write + Send>,
    _master: Box<dyn portable_pty::MasterPty + Send>,
}

impl Terminal {
    fn start(command: &Command) -> Terminal {
        let pair = native_pty_system()
            .openpty(PtySize {
                rows: 45,
                cols: 160,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("a pseudo-terminal");
        let mut builder = CommandBuilder::new(command.get_program());
        builder.args(command.get_args());
        if let Some(dir) = command.get_current_dir() {
            builder.cwd(dir);
        }
        for (key, value) in command.get_envs() {
            match value {
                Some(v) => builder.env(key, v),
                None => builder.env_remove(key),
            }
        }
        if !command.get_envs().any(|(k, _)| k == "TERM") {
            builder.env("TERM", "xterm-256color");
        }
        let child = pair.slave.spawn_command(builder).expect("lanedesk starts");
        drop(pair.slave);
        let parser = Arc::new(Mutex::new(vt100::Parser::new(45, 160, 0)));
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
        Terminal {
            parser,
            child,
            keys,
            _master: pair.master,
        }
    }

    fn screen(&self) -> String {
        self.parser.lock().unwrap().screen().contents()
    }

    fn wait_for(&self, needles: &[&str], timeout: Duration) {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if needles.iter().all(|n| screen.contains(n)) {
                return;
            }
            assert!(
                start.elapsed() < timeout,
                "waited {timeout:?} for {needles:?}; the screen shows:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn press(&mut self, keys: &str) {
        self.keys.write_all(keys.as_bytes()).unwrap();
        self.keys.flush().unwrap();
    }

    fn wait_exit(&mut self, timeout: Duration) -> bool {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.success();
            }
            assert!(
                start.elapsed() < timeout,
                "lanedesk did not exit; the screen shows:\n{}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// A service started from a unit's command line; stopped with SIGTERM as systemd would.
struct Service {
    child: Child,
}

impl Service {
    fn stop(mut self) -> std::process::ExitStatus {
        // SAFETY: kill with a pid this test spawned and has not reaped.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "the service did not stop within 20 s of SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `GET path` over plain HTTP/1.1; the status line and the body, or None if nobody answers.
fn http_get(addr: &str, path: &str) -> Option<String> {
    let mut stream =
        std::net::TcpStream::connect_timeout(&addr.parse().ok()?, Duration::from_secs(2)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    Some(answer)
}

fn free_loopback_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn the_package_holds_the_binary_pages_completions_data_config_and_units() {
    let listing = dpkg_deb(&["--contents"]);
    let files: Vec<&str> = listing
        .lines()
        .filter_map(|l| l.split_whitespace().last())
        .map(|p| p.trim_start_matches('.'))
        .collect();
    for expected in [
        "/usr/bin/lanedesk",
        "/usr/share/man/man1/lanedesk.1.gz",
        "/usr/share/man/man1/lanedesk-demo.1.gz",
        "/usr/share/man/man1/lanedesk-issuer-serve.1.gz",
        "/usr/share/bash-completion/completions/lanedesk",
        "/usr/share/zsh/vendor-completions/_lanedesk",
        "/usr/share/fish/vendor_completions.d/lanedesk.fish",
        "/usr/share/lanedesk/themes/dark.toml",
        "/usr/share/lanedesk/themes/high-contrast.toml",
        "/usr/share/lanedesk/fixtures/travellers.toml",
        "/usr/share/lanedesk/fixtures/portraits/T16.jpg",
        "/usr/share/lanedesk/fixtures/sessions/bad-day.toml",
        "/usr/share/lanedesk/fixtures/demo-script.txt",
        "/etc/lanedesk/lane.toml",
        "/usr/lib/systemd/system/lanedesk-issuer.service",
        "/usr/lib/systemd/system/lanedesk-lane@.service",
        "/usr/lib/sysusers.d/lanedesk.conf",
        "/usr/share/doc/lanedesk/copyright",
    ] {
        assert!(
            files.contains(&expected),
            "{expected} is not in the package:\n{listing}"
        );
    }
    // Test images and tools stay in the repository.
    assert!(!files.iter().any(|f| f.contains("/frames/")), "{listing}");

    let fields = dpkg_deb(&["--field"]);
    assert!(fields.contains("Package: lanedesk\n"), "{fields}");
    assert!(
        fields.contains(&format!("Version: {VERSION}-1\n")),
        "{fields}"
    );
    assert!(
        fields.contains("Depends: ") && fields.contains("systemd-sysusers"),
        "systemd-sysusers makes the users: {fields}"
    );
    let control = tempfile::tempdir().unwrap();
    let out = run(Command::new("dpkg-deb")
        .arg("--control")
        .arg(deb())
        .arg(control.path()));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let listed = std::fs::read_to_string(control.path().join("conffiles")).unwrap();
    assert_eq!(listed.trim(), "/etc/lanedesk/lane.toml");
    for script in ["postinst", "prerm", "postrm"] {
        let path = control.path().join(script);
        let body = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("no {script} in the package: {e}"));
        assert!(!body.contains("#DEBHELPER#"), "{script}:\n{body}");
        let check = run(Command::new("sh").arg("-n").arg(&path));
        assert!(
            check.status.success(),
            "{script} is not valid shell: {}\n{body}",
            text(&check.stderr)
        );
    }
    let postinst = std::fs::read_to_string(control.path().join("postinst")).unwrap();
    let calls = postinst
        .lines()
        .filter(|l| !l.trim_start().starts_with('#') && l.contains("systemd-sysusers"))
        .count();
    assert_eq!(calls, 1, "the users are created once:\n{postinst}");

    // The pages and completions are what the packaged binary itself writes today.
    let root = tempfile::tempdir().unwrap();
    let out = run(Command::new("dpkg-deb")
        .arg("-x")
        .arg(deb())
        .arg(root.path()));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let binary = root.path().join("usr/bin/lanedesk");
    let pages = tempfile::tempdir().unwrap();
    let out = run(Command::new(&binary)
        .arg("man")
        .arg("--dir")
        .arg(pages.path()));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let mut written: Vec<String> = std::fs::read_dir(pages.path())
        .unwrap()
        .map(|e| format!("{}.gz", e.unwrap().file_name().to_string_lossy()))
        .collect();
    written.sort();
    let mut packaged: Vec<String> = files
        .iter()
        .filter_map(|f| f.strip_prefix("/usr/share/man/man1/"))
        .filter(|f| !f.is_empty())
        .map(str::to_owned)
        .collect();
    packaged.sort();
    assert_eq!(packaged, written, "the package's pages and the binary's");
    assert!(written.len() >= 15, "one page per command: {written:?}");
    for (shell, file) in [
        ("bash", "usr/share/bash-completion/completions/lanedesk"),
        ("zsh", "usr/share/zsh/vendor-completions/_lanedesk"),
        ("fish", "usr/share/fish/vendor_completions.d/lanedesk.fish"),
    ] {
        let out = run(Command::new(&binary).args(["completions", shell]));
        assert!(out.status.success(), "{}", text(&out.stderr));
        let installed = std::fs::read(root.path().join(file)).unwrap();
        assert_eq!(text(&installed), text(&out.stdout), "{shell} completions");
    }
    // bash loads them and completes the commands.
    let out = run(Command::new("bash").arg("-c").arg(format!(
        "source {} && complete -p lanedesk",
        root.path()
            .join("usr/share/bash-completion/completions/lanedesk")
            .display()
    )));
    assert!(
        out.status.success() && text(&out.stdout).contains("lanedesk"),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
}

#[test]
fn installing_creates_the_users_and_the_service_environment_upgrades_keep_edits_and_purge_removes_all()
 {
    let root = Root::install();
    let passwd = std::fs::read_to_string(root.path("/etc/passwd")).unwrap();
    for user in ["lanedesk-issuer", "lanedesk-lane"] {
        let line = passwd
            .lines()
            .find(|l| l.starts_with(&format!("{user}:")))
            .unwrap_or_else(|| panic!("no user {user} after installation:\n{passwd}"));
        assert!(line.ends_with("/usr/sbin/nologin"), "{line}");
    }
    let group = std::fs::read_to_string(root.path("/etc/group")).unwrap();
    assert!(
        group
            .lines()
            .any(|l| l.starts_with("video:") && l.contains("lanedesk-lane")),
        "the lane user can open the webcam:\n{group}"
    );

    let env_path = root.path("/etc/lanedesk/issuer.env");
    let env = std::fs::read_to_string(&env_path).expect("postinst writes issuer.env");
    let mode = std::fs::metadata(&env_path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the service's secrets are for root alone");
    assert!(
        env_file(&env).is_empty(),
        "no shared lane token (that is --demo only): {env}"
    );
    assert!(env.contains("issuer lanes add"), "{env}");

    let status = std::fs::read_to_string(root.path("/var/lib/dpkg/status")).unwrap();
    assert!(
        status.contains("Conffiles:\n /etc/lanedesk/lane.toml "),
        "{status}"
    );

    // An administrator's edit of the conffile, and the token, survive an upgrade.
    let lane = root.path("/etc/lanedesk/lane.toml");
    let edited = std::fs::read_to_string(&lane).unwrap() + "# edited at this lane\n";
    std::fs::write(&lane, &edited).unwrap();
    root.dpkg(
        &["--force-confold", "--force-confdef", "--install"],
        Some(deb()),
    );
    assert_eq!(std::fs::read_to_string(&lane).unwrap(), edited);
    assert_eq!(std::fs::read_to_string(&env_path).unwrap(), env);

    // What the service made while running goes too.
    std::fs::create_dir_all(root.path("/var/lib/lanedesk-issuer")).unwrap();
    std::fs::write(root.path("/var/lib/lanedesk-issuer/issuer.sqlite"), "x").unwrap();
    root.dpkg(&["--purge", "lanedesk"], None);
    for gone in [
        "/usr/bin/lanedesk",
        "/usr/share/lanedesk",
        "/etc/lanedesk",
        "/var/lib/lanedesk-issuer",
        "/usr/lib/systemd/system/lanedesk-issuer.service",
        "/usr/share/man/man1/lanedesk.1.gz",
    ] {
        assert!(!root.path(gone).exists(), "{gone} is left after a purge");
    }
}

#[test]
fn the_installed_binary_finds_its_data_beside_it_or_where_the_variable_says() {
    let root = Root::install();
    let home = tempfile::tempdir().unwrap();
    let ok = |command: &mut Command| {
        let out = run(command);
        assert!(
            out.status.success(),
            "{command:?}: {}{}",
            text(&out.stdout),
            text(&out.stderr)
        );
        text(&out.stdout)
    };

    assert_eq!(
        ok(root.lanedesk(home.path()).arg("--version")).trim(),
        format!("lanedesk {VERSION}")
    );
    // Built with the webcam: a machine without one hears so, not "rebuild with --features camera".
    let out = run(root.lanedesk(home.path()).arg("cameras"));
    let said = text(&out.stdout) + &text(&out.stderr);
    assert!(!said.contains("--features camera"), "{said}");

    // A session only the installed data folder has: found by name, from a folder that is
    // not a checkout, with no variable set.
    let sessions = root.path("/usr/share/lanedesk/fixtures/sessions");
    std::fs::copy(
        sessions.join("basics.toml"),
        sessions.join("package-check.toml"),
    )
    .unwrap();
    let expected = ok(root
        .lanedesk(home.path())
        .args(["train", "package-check", "--expected"]));
    assert!(expected.contains("decision"), "{expected}");
    ok(root
        .lanedesk(home.path())
        .args(["train", "bad-day", "--expected"]));

    // A theme by name from the installed themes folder.
    let themes = root.path("/usr/share/lanedesk/themes");
    std::fs::copy(
        themes.join("high-contrast.toml"),
        themes.join("package-check.toml"),
    )
    .unwrap();
    let config = home.path().join("lane.toml");
    let lane = |theme: &str| {
        format!(
            "service = \"http://127.0.0.1:8443\"\ntrust-anchor = \"ed25519:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"\n\
             checkpoint = \"lo-wu\"\nlane = \"L1\"\ndirection = \"entry\"\nofficer = \"O1\"\ntheme = \"{theme}\"\n"
        )
    };
    std::fs::write(&config, lane("package-check")).unwrap();
    ok(root
        .lanedesk(home.path())
        .args(["config", "check"])
        .arg(&config));
    std::fs::write(&config, lane("no-such-theme")).unwrap();
    let refused = run(root
        .lanedesk(home.path())
        .args(["config", "check"])
        .arg(&config));
    assert!(
        !refused.status.success() && text(&refused.stderr).contains("no-such-theme"),
        "an unknown theme name is refused, so the one above was found: {}",
        text(&refused.stderr)
    );
    // The example lane configuration and the shipped themes pass their own checks, the
    // example with the trust anchor from the environment, as the lane unit's lane.env gives
    // it; without one it names what the administrator must add.
    let example = root.path("/etc/lanedesk/lane.toml");
    let without = run(root
        .lanedesk(home.path())
        .args(["config", "check"])
        .arg(&example));
    assert!(!without.status.success());
    let said = text(&without.stdout) + &text(&without.stderr);
    assert!(
        said.contains("no trust-anchor") && said.contains("1 problem"),
        "{said}"
    );
    ok(root
        .lanedesk(home.path())
        .args(["config", "check"])
        .arg(&example)
        .env(
            "LANEDESK_TRUST_ANCHOR",
            "ed25519:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        ));
    ok(root
        .lanedesk(home.path())
        .args(["themes", "check"])
        .arg(themes.join("colour-blind-safe.toml")));

    // LANEDESK_DATA_DIR wins: a session only it has is found, and without it is not.
    let data = home.path().join("data");
    copy_tree(&root.path("/usr/share/lanedesk"), &data);
    std::fs::copy(
        sessions.join("basics.toml"),
        data.join("fixtures/sessions/env-check.toml"),
    )
    .unwrap();
    ok(root
        .lanedesk(home.path())
        .env("LANEDESK_DATA_DIR", &data)
        .args(["train", "env-check", "--expected"]));
    assert!(
        !run(root
            .lanedesk(home.path())
            .args(["train", "env-check", "--expected"]))
        .status
        .success()
    );
    let empty = home.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let out = run(root
        .lanedesk(home.path())
        .env("LANEDESK_DATA_DIR", &empty)
        .args(["train", "basics", "--expected"]));
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains(&empty.display().to_string()),
        "the message names where it looked: {}",
        text(&out.stderr)
    );
}

#[test]
fn the_installed_demo_plays_a_script_in_a_terminal() {
    let root = Root::install();
    let home = tempfile::tempdir().unwrap();
    let script = home.path().join("tour.txt");
    std::fs::write(
        &script,
        "wait 1\npress 1\nwait 4\npress a\nwait 3\npress h\nwait 2\npress esc\nwait 1\npress q\n",
    )
    .unwrap();
    let log = home.path().join("demo.log");
    let mut command = root.lanedesk(home.path());
    command
        .args(["demo", "--script"])
        .arg(&script)
        .arg("--log")
        .arg(&log);
    let mut term = Terminal::start(&command);
    term.wait_for(&["CHAN Chi Ming", "陳志明"], Duration::from_secs(60));
    term.wait_for(&["APPROVED", "recorded"], Duration::from_secs(30));
    term.wait_for(&["Recent decisions at this lane"], Duration::from_secs(30));
    assert!(
        term.wait_exit(Duration::from_secs(60)),
        "the demo ends with its script's q"
    );
    let log = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(log.contains("demo issuance service started"), "{log}");
}

#[test]
fn the_units_command_lines_serve_and_run_a_lane_on_the_installed_files() {
    let root = Root::install();
    let home = tempfile::tempdir().unwrap();

    // The issuance service, as systemd would start it: its user exists, its state folder
    // is made for it, its token comes from the file the postinst wrote.
    let issuer = root.unit("lanedesk-issuer.service");
    for (key, value) in [
        ("User", "lanedesk-issuer"),
        ("StateDirectory", "lanedesk-issuer"),
        ("NoNewPrivileges", "yes"),
        ("ProtectSystem", "strict"),
        ("ProtectHome", "yes"),
        ("PrivateTmp", "yes"),
    ] {
        assert_eq!(issuer.value(key), value, "{key}=");
    }
    let state = root.path("/var/lib/lanedesk-issuer");
    std::fs::create_dir_all(&state).unwrap();
    let mut args = root.command_line(&issuer.value("ExecStart"), "");
    let listen = args
        .iter()
        .position(|a| a == "--listen")
        .expect("the unit names its address");
    assert!(
        args[listen + 1].starts_with("127.0.0.1:"),
        "loopback until the administrator says otherwise: {}",
        args[listen + 1]
    );
    let addr = format!("127.0.0.1:{}", free_loopback_port());
    args[listen + 1] = addr.clone();
    let vars = issuer.environment(&root);
    assert!(
        !vars.iter().any(|(k, _)| k == "LANEDESK_LANE_TOKEN"),
        "no shared lane token outside --demo: {vars:?}"
    );
    assert_eq!(Path::new(&args[0]), root.path("/usr/bin/lanedesk"));
    let mut command = Command::new(&args[0]);
    as_user_in(&mut command, home.path());
    command
        .args(&args[1..])
        .current_dir(root.path(&issuer.value("WorkingDirectory")))
        .envs(vars)
        .env("LANEDESK_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    let service = Service {
        child: command.spawn().expect("the unit's ExecStart runs"),
    };
    let start = Instant::now();
    loop {
        match http_get(&addr, "/v1/health") {
            Some(answer) if answer.starts_with("HTTP/1.1 200") => break,
            other => assert!(
                start.elapsed() < Duration::from_secs(60),
                "no health answer at {addr} within 60 s: {other:?}"
            ),
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(
        state.join("issuer.sqlite").is_file(),
        "the database is in the state folder"
    );

    // The operator's commands on the service's database: the anchor lanes pin, the lane's
    // own token (for the example configuration's lane), a holder secret for T01's phone.
    let db = state.join("issuer.sqlite");
    let first_line = |args: &[&str]| {
        let out = run(root.lanedesk(home.path()).args(args).arg("--db").arg(&db));
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        text(&out.stdout)
            .lines()
            .next()
            .unwrap_or_default()
            .to_owned()
    };
    let anchor = first_line(&["issuer", "anchor"]);
    assert!(anchor.starts_with("ed25519:"), "{anchor}");
    let token = first_line(&[
        "issuer",
        "lanes",
        "add",
        "--checkpoint",
        "futian",
        "--lane",
        "12",
    ]);
    let enrolled = run(root
        .lanedesk(home.path())
        .args(["issuer", "cards", "enrol", "--card", "T01", "--db"])
        .arg(&db));
    assert!(enrolled.status.success(), "{}", text(&enrolled.stderr));
    let enrolled = text(&enrolled.stdout);
    let holder = enrolled.lines().next().unwrap_or_default().to_owned();
    // "# the holder secret of card REF (T01 ...)": outside demo mode a phone names its card
    // by reference, as the e-card app knows it.
    let t01 = enrolled
        .split("card ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .expect("enrol names the card")
        .to_owned();

    // A traveller's code, minted as T01's phone would and verified as lane 12 would.
    let url = format!("http://{addr}");
    let mint = |png: Option<&Path>| {
        let mut command = root.lanedesk(home.path());
        command
            .args(["issuer", "mint", "--service", &url, "--card", &t01])
            .args(["--holder-secret", &holder]);
        if let Some(png) = png {
            command.arg("--png").arg(png);
        }
        let out = run(&mut command);
        assert!(out.status.success(), "{}", text(&out.stderr));
        text(&out.stdout).trim().to_owned()
    };
    let code = mint(None);
    let out = run(root.lanedesk(home.path()).args([
        "verify",
        "--service",
        &url,
        "--lane-token",
        &token,
        "--trust-anchor",
        &anchor,
        "--checkpoint",
        "futian",
        "--lane",
        "12",
        "--direction",
        "entry",
        &code,
    ]));
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );

    // A lane terminal, from the template's command line for tty2 and the example
    // configuration, pointed at this service and at image files instead of a webcam (flags
    // win over the file, as an administrator's edit would).
    // Another code (that one has been presented), as the image the lane reads.
    let frames = home.path().join("frames");
    std::fs::create_dir_all(&frames).unwrap();
    mint(Some(&frames.join("t01.png")));
    let lane = root.unit("lanedesk-lane@.service");
    assert_eq!(lane.value("TTYPath"), "/dev/%I");
    assert_eq!(lane.value("User"), "lanedesk-lane");
    let lane_state = root.path("/var/lib/lanedesk-lane/tty2");
    std::fs::create_dir_all(&lane_state).unwrap();
    std::fs::create_dir_all(root.path("/var/log/lanedesk-lane")).unwrap();
    let args = root.command_line(&lane.value("ExecStart"), "tty2");
    let mut command = root.lanedesk(home.path());
    command
        .args(&args[1..])
        .args(["--service", &url, "--images"])
        .arg(&frames)
        .envs(lane.environment(&root))
        .env("LANEDESK_LANE_TOKEN", &token)
        .env("LANEDESK_TRUST_ANCHOR", &anchor);
    assert_eq!(Path::new(&args[0]), root.path("/usr/bin/lanedesk"));
    let mut term = Terminal::start(&command);
    // Futian and O1234 come from the example /etc/lanedesk/lane.toml.
    term.wait_for(
        &["Futian", "O1234", "CHAN Chi Ming"],
        Duration::from_secs(60),
    );
    std::thread::sleep(Duration::from_millis(700));
    term.press("a");
    term.wait_for(&["APPROVED", "recorded"], Duration::from_secs(30));
    term.wait_for(&["sent to the service"], Duration::from_secs(30));
    term.press("q");
    assert!(term.wait_exit(Duration::from_secs(30)), "the lane quits");
    let out = run(root
        .lanedesk(home.path())
        .args(["audit", "verify"])
        .arg(lane_state.join("audit")));
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(
        root.path("/var/log/lanedesk-lane/tty2.log").is_file(),
        "the lane logs where its unit says"
    );

    let status = service.stop();
    assert!(
        status.success() || status.code().is_none(),
        "the service stops on SIGTERM: {status}"
    );
}

#[test]
fn every_manual_page_renders_without_warnings() {
    let root = tempfile::tempdir().unwrap();
    let out = run(Command::new("dpkg-deb")
        .arg("-x")
        .arg(deb())
        .arg(root.path()));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let man1 = root.path().join("usr/share/man/man1");
    let mut pages: Vec<PathBuf> = std::fs::read_dir(&man1)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    pages.sort();
    assert!(!pages.is_empty());
    for page in &pages {
        let out = run(Command::new("man")
            .args(["--warnings", "-P", "cat", "-l"])
            .arg(page)
            .env("MANWIDTH", "100")
            .env("LC_ALL", "C.UTF-8"));
        let rendered = text(&out.stdout);
        assert!(
            out.status.success() && out.stderr.is_empty(),
            "man -l {}: {}",
            page.display(),
            text(&out.stderr)
        );
        let name = page
            .file_name()
            .unwrap()
            .to_string_lossy()
            .trim_end_matches(".1.gz")
            .to_owned();
        assert!(rendered.contains("NAME"), "{rendered}");
        assert!(rendered.contains(&name), "{name}: {rendered}");
    }
    let serve = run(Command::new("man")
        .args(["-P", "cat", "-l"])
        .arg(man1.join("lanedesk-issuer-serve.1.gz"))
        .env("MANWIDTH", "100")
        .env("LC_ALL", "C.UTF-8"));
    let serve = text(&serve.stdout);
    for flag in [
        "--listen",
        "--db",
        "--fixtures",
        "--lane-token",
        "LANEDESK_LANE_TOKEN",
    ] {
        assert!(serve.contains(flag), "{flag} is not in the page:\n{serve}");
    }
}

#[test]
fn the_units_pass_systemd_analyze_verify_and_security() {
    let root = tempfile::tempdir().unwrap();
    let out = run(Command::new("dpkg-deb")
        .arg("-x")
        .arg(deb())
        .arg(root.path()));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let system = root.path().join("usr/lib/systemd/system");
    // systemd-analyze checks that ExecStart's binary exists: point the copies at the
    // unpacked one. The lane's template is verified as an instance, like getty@tty2.
    let units = tempfile::tempdir().unwrap();
    let binary = root.path().join("usr/bin/lanedesk");
    for (from, to) in [
        ("lanedesk-issuer.service", "lanedesk-issuer.service"),
        ("lanedesk-lane@.service", "lanedesk-lane@tty2.service"),
    ] {
        let unit = std::fs::read_to_string(system.join(from)).unwrap();
        let unit = unit.replace("/usr/bin/lanedesk ", &format!("{} ", binary.display()));
        std::fs::write(units.path().join(to), unit).unwrap();
    }
    let paths = [
        units.path().join("lanedesk-issuer.service"),
        units.path().join("lanedesk-lane@tty2.service"),
    ];
    // Documentation=man:... is checked against the package's own pages.
    let out = run(Command::new("systemd-analyze")
        .arg("verify")
        .args(&paths)
        .env("MANPATH", root.path().join("usr/share/man")));
    let said = text(&out.stdout) + &text(&out.stderr);
    let ours: Vec<&str> = said.lines().filter(|l| l.contains("lanedesk")).collect();
    assert!(
        out.status.success() && ours.is_empty(),
        "systemd-analyze verify: {said}"
    );

    // Exposure as systemd-analyze scores it (0 is best, 10 worst; 'OK' is below 4).
    for (path, at_most) in [(&paths[0], 2.0), (&paths[1], 3.0)] {
        let out = run(Command::new("systemd-analyze")
            .args(["security", "--offline=true", "--no-pager"])
            .arg(path));
        let said = text(&out.stdout) + &text(&out.stderr);
        let exposure: f64 = said
            .lines()
            .find_map(|l| l.split("Overall exposure level for ").nth(1))
            .and_then(|rest| rest.split(": ").nth(1))
            .and_then(|score| score.split_whitespace().next())
            .and_then(|score| score.parse().ok())
            .unwrap_or_else(|| panic!("no exposure level in: {said}"));
        assert!(
            exposure <= at_most,
            "{}: exposure {exposure} (at most {at_most}):\n{said}",
            path.display()
        );
    }
}
