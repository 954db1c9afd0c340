//! The lane configuration's `[reader]` and `[clock]` tables: a 2D code reader beside the
//! camera (serial, or a keyboard wedge told from typing by its speed), and how far the
//! lane's clock may be from the service's before the time checks are doubted.
//!
//! ```toml
//! [reader]
//! device = "serial:/dev/ttyACM0,9600"   # a serial reader (leave out for none)
//! prefix = "\\x02"                     # what the reader sends before a code (STX), stripped
//! suffix = "\\x03"                     # and after it (ETX)
//! keyboard = true                       # fast bursts starting with EC1: (or the prefix) are codes
//! keyboard-gap-ms = 30                  # the longest pause between two keys of one burst
//!
//! [clock]
//! warn-after = "30s"                    # the header warns, time checks say they depend on the clock
//! distrust-after = "5m"                 # the code's validity window is left unknown
//! ```

use std::time::Duration;

use serde::Deserialize;

use crate::console::modes::training::session::parse_duration;
use crate::console::runtime::Readers;
use crate::console::wedge::WedgeConfig;
use crate::domain::lane_time::ClockPolicy;
use crate::edges::reader::{Framing, SerialSpec};

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ReaderConfig {
    /// `serial:/dev/ttyACM0[,BAUD]`.
    pub device: Option<String>,
    pub prefix: Option<String>,
    pub suffix: Option<String>,
    pub keyboard: Option<bool>,
    pub keyboard_gap_ms: Option<u64>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ClockConfig {
    pub warn_after: Option<String>,
    pub distrust_after: Option<String>,
}

/// A mistake in one of these tables: the key it is about, and what to write instead.
pub type KeyError = (&'static str, String);

impl ReaderConfig {
    /// The readers this table (and `--reader`, which wins over `device`) sets up.
    pub fn readers(&self, flag: Option<&str>) -> Result<Readers, KeyError> {
        let framing = Framing {
            prefix: unescape("prefix", self.prefix.as_deref())?,
            suffix: unescape("suffix", self.suffix.as_deref())?,
        };
        let serial = match flag.or(self.device.as_deref()) {
            Some(d) => {
                let mut spec = SerialSpec::parse(d).map_err(|m| ("device", m))?;
                spec.framing = framing.clone();
                Some(spec)
            }
            None => None,
        };
        let gap = self.keyboard_gap_ms.unwrap_or(30);
        if !(5..=200).contains(&gap) {
            return Err((
                "keyboard-gap-ms",
                format!(
                    "keyboard-gap-ms = {gap} is out of range: give 5 to 200 (readers type a key every few ms; people take 80 ms and more)"
                ),
            ));
        }
        Ok(Readers {
            serial,
            wedge: WedgeConfig {
                enabled: self.keyboard.unwrap_or(true),
                gap: Duration::from_millis(gap),
                framing,
            },
        })
    }
}

fn unescape(key: &'static str, text: Option<&str>) -> Result<String, KeyError> {
    let text = Framing::unescape(text.unwrap_or_default()).map_err(|m| (key, m))?;
    if text.contains(['\r', '\n']) {
        return Err((
            key,
            format!(
                "{key} may not contain a line end: lines end at CR or LF, which is stripped by itself"
            ),
        ));
    }
    Ok(text)
}

impl ClockConfig {
    pub fn policy(&self) -> Result<ClockPolicy, KeyError> {
        let read = |key: &'static str, text: &Option<String>, default: Duration| {
            match text {
            None => Ok(default),
            Some(t) => parse_duration(t).filter(|d| !d.is_zero()).ok_or_else(|| {
                (
                    key,
                    format!("{key} = {t:?} is not a duration: write it like \"30s\", \"2m\" or \"1m30s\""),
                )
            }),
        }
        };
        let defaults = ClockPolicy::default();
        let policy = ClockPolicy {
            warn_after: read("warn-after", &self.warn_after, defaults.warn_after)?,
            distrust_after: read(
                "distrust-after",
                &self.distrust_after,
                defaults.distrust_after,
            )?,
        };
        if policy.distrust_after < policy.warn_after {
            return Err((
                "distrust-after",
                "distrust-after must be at least warn-after: the code's window is left unknown only past the warning".into(),
            ));
        }
        Ok(policy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::config::LaneConfig;

    #[test]
    fn the_lane_configuration_names_the_line_of_a_mistake_in_these_tables() {
        let parse = |text: &str| LaneConfig::parse(text, "lane.toml");
        let ok = parse("lane = \"3\"\n\n[reader]\ndevice = \"serial:/dev/ttyACM0\"\nprefix = \"\\u0002\"\n\n[clock]\nwarn-after = \"1m\"\n").unwrap();
        assert_eq!(ok.reader.device.as_deref(), Some("serial:/dev/ttyACM0"));
        let e = parse("lane = \"3\"\n\n[reader]\ndevice = \"usb:3\"\n").unwrap_err();
        assert_eq!(e.line, 4, "{e}");
        assert!(e.message.contains("serial:/dev/ttyACM0"), "{e}");
        let e = parse("[reader]\nbaud = 9600\n").unwrap_err();
        assert_eq!(e.line, 2, "{e}");
        assert!(e.message.contains("unknown field `baud`"), "{e}");
        let e = parse("[clock]\nwarn-after = \"5m\"\ndistrust-after = \"1m\"\n").unwrap_err();
        assert_eq!(e.line, 3, "{e}");
    }

    #[test]
    fn a_reader_table_gives_a_serial_reader_with_framing_and_the_keyboard_detector() {
        let c = ReaderConfig {
            device: Some("serial:/dev/ttyACM0,115200".into()),
            prefix: Some("\\x02".into()),
            suffix: Some("\\x03".into()),
            keyboard: None,
            keyboard_gap_ms: Some(40),
        };
        let r = c.readers(None).unwrap();
        let s = r.serial.unwrap();
        assert_eq!((s.baud, s.framing.prefix.as_str()), (115_200, "\u{2}"));
        assert!(r.wedge.enabled);
        assert_eq!(r.wedge.gap, Duration::from_millis(40));
        // The flag wins over the file.
        let r = c.readers(Some("serial:/dev/ttyUSB0")).unwrap();
        assert_eq!(r.serial.unwrap().label, "ttyUSB0");
    }

    #[test]
    fn mistakes_name_their_key_and_what_to_write() {
        let bad = |c: ReaderConfig| c.readers(None).unwrap_err();
        let c = ReaderConfig::default;
        assert_eq!(
            bad(ReaderConfig {
                device: Some("/dev/ttyACM0".into()),
                ..c()
            })
            .0,
            "device"
        );
        assert_eq!(
            bad(ReaderConfig {
                prefix: Some("\\n".into()),
                ..c()
            })
            .0,
            "prefix"
        );
        assert_eq!(
            bad(ReaderConfig {
                keyboard_gap_ms: Some(1000),
                ..c()
            })
            .0,
            "keyboard-gap-ms"
        );
        let clock = |w: &str, d: &str| ClockConfig {
            warn_after: Some(w.into()),
            distrust_after: Some(d.into()),
        };
        assert_eq!(clock("soon", "5m").policy().unwrap_err().0, "warn-after");
        assert_eq!(clock("5m", "1m").policy().unwrap_err().0, "distrust-after");
        assert_eq!(
            clock("10s", "2m").policy().unwrap().warn_after,
            Duration::from_secs(10)
        );
    }
}
