//! Where lanedesk's read-only data (the fixtures and the theme files) is: under
//! `/usr/share/lanedesk` when installed from the package, in the repository when run with
//! `cargo run`, or wherever `LANEDESK_DATA_DIR` says.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

/// Overrides where the data is looked for: a folder holding `fixtures/` and `themes/`.
pub const DATA_DIR_ENV: &str = "LANEDESK_DATA_DIR";

/// Where the Debian package puts the data.
pub const INSTALLED_DATA_DIR: &str = "/usr/share/lanedesk";

/// The data folder of this run: `$LANEDESK_DATA_DIR`; else `../share/lanedesk` beside the
/// running binary (`/usr/bin/lanedesk` finds `/usr/share/lanedesk`, and so does a package
/// unpacked under another root); else the repository this binary was built from, when it
/// is still there (`cargo run`, `cargo test`); else `/usr/share/lanedesk`.
pub fn data_dir() -> PathBuf {
    let env = std::env::var_os(DATA_DIR_ENV);
    let exe = std::env::current_exe().ok();
    locate(
        env.as_deref(),
        exe.as_deref(),
        Path::new(env!("CARGO_MANIFEST_DIR")),
    )
}

/// The order `data_dir` follows, with what it reads from the process given as arguments.
pub fn locate(env: Option<&OsStr>, exe: Option<&Path>, source: &Path) -> PathBuf {
    if let Some(dir) = env.filter(|v| !v.is_empty()) {
        return PathBuf::from(dir);
    }
    let beside_binary = exe
        .and_then(Path::parent)
        .and_then(Path::parent)
        .map(|prefix| prefix.join("share/lanedesk"))
        .filter(|dir| dir.is_dir());
    if let Some(dir) = beside_binary {
        return dir;
    }
    if source.join("fixtures").is_dir() {
        return source.to_owned();
    }
    PathBuf::from(INSTALLED_DATA_DIR)
}

/// Every data folder `locate` would consider, in its order: `$LANEDESK_DATA_DIR` alone
/// when it is set; else `../share/lanedesk` beside the binary, the repository, and
/// `/usr/share/lanedesk`. For saying where something was looked for when it is not there.
pub fn candidates(env: Option<&OsStr>, exe: Option<&Path>, source: &Path) -> Vec<PathBuf> {
    if let Some(dir) = env.filter(|v| !v.is_empty()) {
        return vec![PathBuf::from(dir)];
    }
    let beside_binary = exe
        .and_then(Path::parent)
        .and_then(Path::parent)
        .map(|prefix| prefix.join("share/lanedesk"));
    let mut dirs: Vec<PathBuf> = beside_binary.into_iter().collect();
    for dir in [source.to_owned(), PathBuf::from(INSTALLED_DATA_DIR)] {
        if !dirs.contains(&dir) {
            dirs.push(dir);
        }
    }
    dirs
}

/// Whether `LANEDESK_DATA_DIR` is set, so that it wins over a `./fixtures` folder.
pub fn data_dir_from_env() -> bool {
    std::env::var_os(DATA_DIR_ENV).is_some_and(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fake install root: `<root>/usr/bin/lanedesk` and `<root>/usr/share/lanedesk/`.
    fn installed_root() -> (tempfile::TempDir, PathBuf) {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("usr/bin")).unwrap();
        std::fs::create_dir_all(root.path().join("usr/share/lanedesk/fixtures")).unwrap();
        let exe = root.path().join("usr/bin/lanedesk");
        (root, exe)
    }

    #[test]
    fn the_environment_wins_over_everything() {
        let (_root, exe) = installed_root();
        let dir = locate(
            Some(OsStr::new("/srv/lanedesk")),
            Some(&exe),
            Path::new(env!("CARGO_MANIFEST_DIR")),
        );
        assert_eq!(dir, PathBuf::from("/srv/lanedesk"));
    }

    #[test]
    fn an_empty_variable_counts_as_unset() {
        let (root, exe) = installed_root();
        let dir = locate(Some(OsStr::new("")), Some(&exe), Path::new("/nowhere"));
        assert_eq!(dir, root.path().join("usr/share/lanedesk"));
    }

    #[test]
    fn an_installed_binary_finds_share_beside_its_bin_folder_before_the_source_tree() {
        let (root, exe) = installed_root();
        let dir = locate(None, Some(&exe), Path::new(env!("CARGO_MANIFEST_DIR")));
        assert_eq!(dir, root.path().join("usr/share/lanedesk"));
    }

    #[test]
    fn a_binary_in_the_build_tree_finds_the_repository() {
        let exe = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/lanedesk");
        let dir = locate(None, Some(&exe), Path::new(env!("CARGO_MANIFEST_DIR")));
        assert_eq!(dir, PathBuf::from(env!("CARGO_MANIFEST_DIR")));
        assert!(dir.join("fixtures/travellers.toml").is_file());
        assert!(dir.join("themes/dark.toml").is_file());
    }

    #[test]
    fn the_candidates_are_the_places_locate_looks_in_in_its_order() {
        let (root, exe) = installed_root();
        let source = Path::new("/src/lanedesk");
        let all = candidates(None, Some(&exe), source);
        assert_eq!(
            all,
            vec![
                root.path().join("usr/share/lanedesk"),
                source.to_owned(),
                PathBuf::from(INSTALLED_DATA_DIR)
            ]
        );
        assert_eq!(locate(None, Some(&exe), source), all[0]);
        let only = candidates(Some(OsStr::new("/srv/ld")), Some(&exe), source);
        assert_eq!(only, vec![PathBuf::from("/srv/ld")]);
    }

    #[test]
    fn with_neither_it_names_the_installed_folder() {
        let elsewhere = tempfile::tempdir().unwrap();
        let exe = elsewhere.path().join("bin/lanedesk");
        let dir = locate(None, Some(&exe), Path::new("/nowhere/lanedesk-source"));
        assert_eq!(dir, PathBuf::from(INSTALLED_DATA_DIR));
    }
}
