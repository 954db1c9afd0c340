//! `lanedesk config check`: every problem in a lane configuration, each with its line and
//! what to do. What the lane itself refuses at start ([`value_problems`]) plus what a
//! finished lane configuration needs: the keys a lane cannot start without, files that
//! must exist, features this build lacks, and values written as the lane's tools write them.

use std::path::Path;

use super::config::{ConfigError, LaneConfig, find_key_line, theme_dirs};
use crate::console::graphics::GraphicsChoice;
use crate::console::keymap::{Keymap, line_of};
use crate::console::theme::Theme;
use crate::domain::checkpoint::{Checkpoint, Direction, LANE_MAX, OFFICER_MAX, check_label};
use crate::domain::lang::Lang;

/// Keys a lane cannot start without, with an example of each.
const REQUIRED: [(&str, &str); 6] = [
    ("service", "service = \"https://issuer.example:8443\""),
    ("checkpoint", "checkpoint = \"lo-wu\""),
    ("lane", "lane = \"L1\""),
    ("direction", "direction = \"entry\""),
    ("officer", "officer = \"O1234\""),
    (
        "trust-anchor",
        "trust-anchor = \"ed25519:…\" (`lanedesk issuer anchor` prints it on the service)",
    ),
];

/// Unknown keys and values of the wrong type are each reported, after as many tries as
/// there are such lines at most.
const MAX_SHAPE_PROBLEMS: usize = 50;

/// Reads `text` and reports every problem found, sorted by line. The configuration is
/// `None` only when the text is not TOML at all.
pub fn check(text: &str, origin: &str) -> (Option<LaneConfig>, Vec<ConfigError>) {
    let (config, mut problems) = read_leniently(text, origin);
    if let Some(config) = &config {
        problems.extend(value_problems(config, text, origin));
        problems.extend(lane_problems(config, text, origin));
    }
    problems.sort_by_key(|p| p.line);
    (config, problems)
}

/// Deserializes, and on each unknown key or wrongly typed value says so and reads the
/// text again without that line, so every one is reported, not only the first.
fn read_leniently(text: &str, origin: &str) -> (Option<LaneConfig>, Vec<ConfigError>) {
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let mut problems: Vec<ConfigError> = vec![];
    for _ in 0..MAX_SHAPE_PROBLEMS {
        let current = lines.join("\n");
        let error = match toml::from_str::<LaneConfig>(&current) {
            Ok(config) => return (Some(config), problems),
            Err(e) => e,
        };
        let line = line_of(&current, error.span().map_or(0, |s| s.start));
        let repeated = problems.iter().any(|p| p.line == line);
        let syntax = toml::from_str::<toml::Table>(&current).is_err();
        if !repeated && (!syntax || problems.is_empty()) {
            problems.push(ConfigError {
                origin: origin.to_owned(),
                line,
                message: shape_message(error.message().trim()),
            });
        }
        // Not TOML (a value left over from a line taken out, or broken from the start):
        // nothing more can be read.
        if syntax || repeated || line == 0 || line > lines.len() {
            return (None, problems);
        }
        lines[line - 1] = String::new();
    }
    (None, problems)
}

/// serde's "unknown field `x`, expected one of ..." with what to do.
fn shape_message(message: &str) -> String {
    if message.starts_with("unknown field") {
        format!("{message}. Remove it or correct its spelling")
    } else {
        message.to_owned()
    }
}

/// What the lane refuses at start: values that cannot be read.
pub(super) fn value_problems(config: &LaneConfig, text: &str, origin: &str) -> Vec<ConfigError> {
    let mut out = Problems::new(text, origin);
    if let Some(cp) = &config.checkpoint {
        out.check("checkpoint", Checkpoint::find(cp).map(drop));
    }
    if let Some(d) = &config.direction {
        out.check("direction", d.parse::<Direction>().map(drop));
    }
    if let Some(l) = &config.language {
        out.check("language", l.parse::<Lang>().map(drop));
    }
    if let Some(g) = &config.graphics {
        out.check("graphics", g.parse::<GraphicsChoice>().map(drop));
    }
    if let Some(s) = &config.service {
        out.check("service", service_usable(s));
    }
    if let Some(a) = &config.trust_anchor {
        let anchor = a.parse::<crate::domain::trust::TrustAnchor>();
        out.check("trust-anchor", anchor.map(drop));
    }
    if let Some(l) = &config.lane {
        out.check("lane", check_label(l, "lane label", LANE_MAX));
    }
    if let Some(o) = &config.officer {
        out.check("officer", check_label(o, "officer id", OFFICER_MAX));
    }
    if let Some(t) = &config.theme {
        let found = Theme::find_in(t, &theme_dirs());
        out.check("theme", found.map(drop).map_err(|e| e.to_string()));
    }
    if let Some(k) = &config.keymap {
        out.check(
            "keymap",
            Keymap::load(k).map(drop).map_err(|e| e.to_string()),
        );
    }
    if let Some(0) = config.camera.fps {
        out.say("fps", "camera fps must be at least 1".into());
    }
    if let Err((k, m)) = config.reader.readers(None) {
        out.say(k, m);
    }
    if let Err((k, m)) = config.clock.policy() {
        out.say(k, m);
    }
    if config.camera.images.is_some() && config.camera.index.is_some() {
        let both = "give either camera.index or camera.images, not both";
        out.say("images", both.into());
    }
    out.found
}

fn service_usable(s: &str) -> Result<(), String> {
    let url = reqwest::Url::parse(s).map_err(|e| {
        format!("service {s:?} is not an address ({e}): give it as https://host:port")
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("service {s:?} must be an https:// address"));
    }
    crate::edges::client::transport_allowed(&url).map_err(|why| format!("service {s:?}: {why}"))
}

/// What a lane's configuration needs beyond readable values.
fn lane_problems(config: &LaneConfig, text: &str, origin: &str) -> Vec<ConfigError> {
    let mut out = Problems::new(text, origin);
    missing_keys(config, &mut out);
    if let Some(cp) = &config.checkpoint {
        slug_problem(cp, &mut out);
    }
    if let Some(d) = &config.direction {
        let fix = match d.trim().to_ascii_lowercase().as_str() {
            "in" => Some("entry"),
            "out" => Some("exit"),
            _ => None,
        };
        if let Some(fix) = fix {
            out.say(
                "direction",
                format!("direction {d:?} is not a direction the lane records. Write direction = \"{fix}\" (entry: into the mainland; exit: out of it)"),
            );
        }
    }
    file_problems(config, &mut out);
    camera_problems(config, &mut out);
    out.found
}

fn missing_keys(config: &LaneConfig, out: &mut Problems) {
    let given = |key: &str| match key {
        "service" => config.service.is_some(),
        "checkpoint" => config.checkpoint.is_some(),
        "lane" => config.lane.is_some(),
        "direction" => config.direction.is_some(),
        "officer" => config.officer.is_some(),
        _ => config.trust_anchor.is_some() || env_set("LANEDESK_TRUST_ANCHOR"),
    };
    let line = top_keys_end(out.text);
    for (key, example) in REQUIRED {
        if !given(key) {
            out.at(
                line,
                format!(
                    "no {key}: a lane cannot start without it. Add {example} among the top keys{}",
                    if key == "trust-anchor" {
                        ", or set LANEDESK_TRUST_ANCHOR where the lane runs (the lane unit reads /etc/lanedesk/lane.env)"
                    } else {
                        ""
                    }
                ),
            );
        }
    }
}

fn env_set(name: &str) -> bool {
    std::env::var_os(name).is_some_and(|v| !v.is_empty())
}

/// A checkpoint the lane would find by its name is still written as its slug, as the
/// service and the audit log name it.
fn slug_problem(cp: &str, out: &mut Problems) {
    if let Ok(found) = Checkpoint::find(cp)
        && found.slug != cp
    {
        out.say(
            "checkpoint",
            format!(
                "checkpoint {cp:?} is a name, not a checkpoint's id. Did you mean checkpoint = \"{}\"?",
                found.slug
            ),
        );
    }
}

fn file_problems(config: &LaneConfig, out: &mut Problems) {
    if let Some(ca) = &config.ca_cert {
        match std::fs::read(ca) {
            Err(e) => out.say(
                "ca-cert",
                format!("cannot read the CA certificate {} ({e}). Give the ca.pem `lanedesk issuer tls-init` wrote on the service", ca.display()),
            ),
            Ok(pem) if !pem.starts_with(b"-----BEGIN") => out.say(
                "ca-cert",
                format!("{} is not a PEM certificate. Give the ca.pem `lanedesk issuer tls-init` wrote on the service", ca.display()),
            ),
            Ok(_) => {}
        }
    }
    if let Some(images) = &config.camera.images {
        let parent = images.parent().filter(|p| !p.as_os_str().is_empty());
        if parent.is_some_and(|p| !p.is_dir()) {
            out.say(
                "images",
                format!(
                    "the images folder's parent {} does not exist. Create it, or correct the path",
                    parent.unwrap_or(Path::new("")).display()
                ),
            );
        }
    }
    for (key, path) in [("state-dir", &config.state_dir), ("log", &config.log)] {
        if let Some(p) = path.as_deref().filter(|p| p.exists())
            && (key == "state-dir") != p.is_dir()
        {
            let what = if key == "log" { "a file" } else { "a folder" };
            out.say(key, format!("{} is not {what}. Correct {key}", p.display()));
        }
    }
}

fn camera_problems(config: &LaneConfig, out: &mut Problems) {
    if cfg!(feature = "camera") {
        return;
    }
    let camera = &config.camera;
    let set = [
        ("index", camera.index.is_some()),
        ("width", camera.width.is_some()),
        ("height", camera.height.is_some()),
        ("fps", camera.fps.is_some()),
    ];
    for (key, _) in set.iter().filter(|(_, given)| *given) {
        out.say(
            key,
            format!("camera.{key} needs a webcam, and this lanedesk was built without the camera feature. Use camera.images, or install a build with webcam support (the .deb has it; cargo build --features camera)"),
        );
    }
    if camera.images.is_none() && set.iter().all(|(_, given)| !given) {
        let line = out.line("camera").max(top_keys_end(out.text));
        out.at(
            line,
            "no camera.images, and this lanedesk was built without webcam support. Set images = \"FOLDER\" under [camera], or install a build with the camera feature".into(),
        );
    }
}

/// The last line of the top-level keys (before the first table): where a key goes.
fn top_keys_end(text: &str) -> usize {
    text.lines()
        .take_while(|l| !l.trim_start().starts_with('['))
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .last()
        .map_or(1, |(i, _)| i + 1)
}

/// Problems found so far, each placed on its key's line.
struct Problems<'a> {
    text: &'a str,
    origin: &'a str,
    found: Vec<ConfigError>,
}

impl<'a> Problems<'a> {
    fn new(text: &'a str, origin: &'a str) -> Self {
        Problems {
            text,
            origin,
            found: vec![],
        }
    }

    fn line(&self, key: &str) -> usize {
        if key == "camera" {
            let header = self.text.lines().position(|l| l.trim() == "[camera]");
            return header.map_or(0, |i| i + 1);
        }
        find_key_line(self.text, key)
    }

    fn check(&mut self, key: &str, result: Result<(), String>) {
        if let Err(message) = result {
            self.say(key, message);
        }
    }

    fn say(&mut self, key: &str, message: String) {
        let line = self.line(key);
        self.at(line, message);
    }

    fn at(&mut self, line: usize, message: String) {
        self.found.push(ConfigError {
            origin: self.origin.to_owned(),
            line,
            message,
        });
    }
}
