//! Where `issuer serve` keeps its database and finds its fixtures when it is not told, so
//! that it starts from any folder: the fixtures where the installed data is (see
//! `install.rs`), the database in the user's state folder, or the service's own when it
//! runs as the installed system service.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use super::install;
use crate::fixtures::TRAVELLERS_FILE;
use crate::issuer::store::DbLocation;

/// A folder for the service's database, instead of the defaults below.
pub const STATE_DIR_ENV: &str = "LANEDESK_STATE_DIR";
/// The database's file name in whichever folder is chosen.
pub const DB_FILE: &str = "issuer.sqlite";
/// The state folder of the installed service (its unit's `StateDirectory=`, its user's home).
pub const INSTALLED_STATE_DIR: &str = "/var/lib/lanedesk-issuer";

/// What the choice reads from the process, as values, so that it can be tested.
#[derive(Debug, Clone, Default)]
pub struct Surroundings {
    /// `$LANEDESK_STATE_DIR`.
    pub state_dir: Option<OsString>,
    /// `$STATE_DIRECTORY`, set by systemd for a unit with `StateDirectory=`.
    pub systemd_state: Option<OsString>,
    pub xdg_state_home: Option<OsString>,
    pub home: Option<OsString>,
    /// `$LANEDESK_DATA_DIR`.
    pub data_dir: Option<OsString>,
    pub exe: Option<PathBuf>,
    /// The repository this binary was built from.
    pub source: PathBuf,
}

impl Surroundings {
    pub fn of_this_process() -> Self {
        let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
        Surroundings {
            state_dir: var(STATE_DIR_ENV),
            systemd_state: var("STATE_DIRECTORY"),
            xdg_state_home: var("XDG_STATE_HOME"),
            home: var("HOME"),
            data_dir: var(install::DATA_DIR_ENV),
            exe: std::env::current_exe().ok(),
            source: PathBuf::from(env!("CARGO_MANIFEST_DIR")),
        }
    }
}

/// The database and the fixtures to serve from, and a line on how each was chosen.
#[derive(Debug, Clone)]
pub struct Places {
    pub db: DbLocation,
    pub fixtures: PathBuf,
    pub said: Vec<String>,
    /// Whether the database is the default one, whose folder may have to be made.
    db_is_default: bool,
}

/// The places for `issuer serve`: `db` and `fixtures` as given (flag or config file), the
/// defaults for what was not.
pub fn choose(
    db: Option<String>,
    fixtures: Option<PathBuf>,
    around: &Surroundings,
) -> Result<Places, String> {
    let (db, db_is_default, db_said) = match db {
        Some(db) => (DbLocation::parse(&db), false, "given".to_owned()),
        None => {
            let (path, why) = default_db(around);
            (
                DbLocation::Sqlite(path),
                true,
                format!("the default: {why}"),
            )
        }
    };
    let (fixtures, fixtures_said) = match fixtures {
        Some(dir) => (dir, "given".to_owned()),
        None => default_fixtures(around)?,
    };
    let said = vec![
        format!("database {db} ({db_said}; --db to choose another)"),
        format!(
            "fixtures {} ({fixtures_said}; --fixtures to choose another)",
            fixtures.display()
        ),
    ];
    Ok(Places {
        db,
        fixtures,
        said,
        db_is_default,
    })
}

/// The default SQLite file and why it is that one.
pub fn default_db(around: &Surroundings) -> (PathBuf, String) {
    let absolute = |v: &Option<OsString>| v.as_ref().map(PathBuf::from).filter(|p| p.is_absolute());
    let installed = Path::new(INSTALLED_STATE_DIR);
    let systemd = around
        .systemd_state
        .as_ref()
        .and_then(|v| v.to_str())
        .and_then(|v| v.split(':').next())
        .map(PathBuf::from);
    let (dir, why) = if let Some(dir) = absolute(&around.state_dir) {
        (dir, format!("${STATE_DIR_ENV}"))
    } else if let Some(dir) = systemd.filter(|p| p.is_absolute()) {
        (dir, "systemd's StateDirectory=".to_owned())
    } else if absolute(&around.home).is_some_and(|h| h == installed) {
        (installed.to_owned(), "the service user's home".to_owned())
    } else if let Some(state) = absolute(&around.xdg_state_home) {
        (state.join("lanedesk-issuer"), "$XDG_STATE_HOME".to_owned())
    } else if let Some(home) = absolute(&around.home) {
        let dir = home.join(".local/state/lanedesk-issuer");
        (
            dir,
            "~/.local/state, $XDG_STATE_HOME being unset".to_owned(),
        )
    } else {
        (installed.to_owned(), "no home folder".to_owned())
    };
    (dir.join(DB_FILE), why)
}

/// The first fixtures folder holding the travellers, and the places looked in; or an error
/// naming every place looked in.
fn default_fixtures(around: &Surroundings) -> Result<(PathBuf, String), String> {
    let looked: Vec<PathBuf> = install::candidates(
        around.data_dir.as_deref(),
        around.exe.as_deref(),
        &around.source,
    )
    .into_iter()
    .map(|dir| dir.join("fixtures"))
    .collect();
    let list = |dirs: &[PathBuf]| {
        let shown: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
        shown.join(", ")
    };
    match looked.iter().find(|d| d.join(TRAVELLERS_FILE).is_file()) {
        Some(dir) => Ok((dir.clone(), format!("found; looked in {}", list(&looked)))),
        None => Err(format!(
            "no fixtures: {TRAVELLERS_FILE} is in none of {}. Give the folder with --fixtures, or set {} to the folder holding fixtures/",
            list(&looked),
            install::DATA_DIR_ENV
        )),
    }
}

impl Places {
    /// Makes the default database's folder (for the service's user only) when it is not
    /// there yet; a folder given is the user's to make.
    pub fn prepare(&self) -> Result<(), String> {
        let DbLocation::Sqlite(path) = &self.db else {
            return Ok(());
        };
        let Some(dir) = path.parent().filter(|_| self.db_is_default) else {
            return Ok(());
        };
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| {
                format!(
                    "cannot make the folder {} for the database ({e}): give one with --db",
                    dir.display()
                )
            })
    }
}

#[cfg(test)]
mod tests;
