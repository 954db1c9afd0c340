//! `issuer serve --config FILE`: a TOML file with the same keys as the flags
//! (`listen`, `db`, `lane-token`, ...). A flag given on the command line wins over the file.
//! Errors name the file and the line.

use std::path::{Path, PathBuf};

use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Lines for people.
    #[default]
    Text,
    /// One JSON object a line, for log collectors.
    Json,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ServeConfig {
    pub listen: Option<String>,
    pub db: Option<String>,
    pub fixtures: Option<PathBuf>,
    pub demo: Option<bool>,
    pub lane_token: Option<String>,
    pub admin_token: Option<String>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub retain_days: Option<u32>,
    pub pool_size: Option<usize>,
    pub log_format: Option<LogFormat>,
}

impl ServeConfig {
    pub fn load(path: &Path) -> Result<ServeConfig, String> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            format!(
                "cannot read the service configuration {}: {e}. Check the --config path.",
                path.display()
            )
        })?;
        Self::parse(&text, path)
    }

    pub fn parse(text: &str, path: &Path) -> Result<ServeConfig, String> {
        let config: ServeConfig = toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|span| text[..span.start.min(text.len())].matches('\n').count() + 1);
            let message = e.message().trim_end().replace('`', "'");
            match line {
                Some(line) => format!("{} line {line}: {message}", path.display()),
                None => format!("{}: {message}", path.display()),
            }
        })?;
        // Relative paths in the file are relative to the file, as a reader would expect.
        let base = path.parent().unwrap_or(Path::new("."));
        let rebase = |p: Option<PathBuf>| p.map(|p| if p.is_relative() { base.join(p) } else { p });
        let db = config.db.map(|db| {
            let relative_file = !db.contains("://") && Path::new(&db).is_relative();
            if relative_file {
                base.join(db).display().to_string()
            } else {
                db
            }
        });
        if let Some(0) = config.pool_size {
            return Err(format!("{}: pool-size must be at least 1", path.display()));
        }
        Ok(ServeConfig {
            db,
            fixtures: rebase(config.fixtures),
            tls_cert: rebase(config.tls_cert),
            tls_key: rebase(config.tls_key),
            ..config
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ServeConfig, String> {
        ServeConfig::parse(text, Path::new("/etc/lanedesk/issuer.toml"))
    }

    #[test]
    fn keys_are_the_flags_names_and_paths_are_relative_to_the_file() {
        let c = parse(
            "listen = \"127.0.0.1:9000\"\ndb = \"issuer.sqlite\"\nlane-token = \"t\"\n\
             retain-days = 30\nlog-format = \"json\"\nfixtures = \"/srv/fixtures\"\n",
        )
        .unwrap();
        assert_eq!(c.listen.as_deref(), Some("127.0.0.1:9000"));
        assert_eq!(c.db.as_deref(), Some("/etc/lanedesk/issuer.sqlite"));
        assert_eq!(c.retain_days, Some(30));
        assert_eq!(c.log_format, Some(LogFormat::Json));
        assert_eq!(c.fixtures, Some(PathBuf::from("/srv/fixtures")));
        let pg = parse("db = \"postgres://app@127.0.0.1/lanedesk\"\n").unwrap();
        assert_eq!(pg.db.as_deref(), Some("postgres://app@127.0.0.1/lanedesk"));
    }

    #[test]
    fn mistakes_name_the_line() {
        let err = parse("listen = \"127.0.0.1:9000\"\n\nlane_token = \"t\"\n").unwrap_err();
        assert!(
            err.starts_with("/etc/lanedesk/issuer.toml line 3:"),
            "{err}"
        );
        assert!(err.contains("lane_token"), "{err}");
        let err = parse("retain-days = \"ninety\"\n").unwrap_err();
        assert!(err.contains("line 1"), "{err}");
        let err = parse("db = \"x\"\nlisten = \n").unwrap_err();
        assert!(err.contains("line 2"), "{err}");
        let err = parse("pool-size = 0\n").unwrap_err();
        assert!(err.contains("pool-size"), "{err}");
    }
}
