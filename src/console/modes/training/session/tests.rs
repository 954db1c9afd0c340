//! The session file format: what parses, and what each mistake says.

use super::*;

fn known() -> HashSet<String> {
    ["T01", "hk-resident", "watch-list-alert"]
        .iter()
        .map(|s| s.to_string())
        .collect()
}

const GOOD: &str = r#"
name = "Two"
checkpoint = "lo-wu"
direction = "exit"

[[step]]
after = "20s"
traveller = "hk-resident"
expect = "approve"

[[step]]
after = "1m30s"
code = "replay"
via = "reader"
faults = ["service-down", "clock-offset:-45s", "service-slow"]
expect = "escalate"
accept = ["flag"]
reasons = ["forged-code"]
"#;

#[test]
fn a_session_parses() {
    let s = parse(GOOD, "s.toml", &known()).unwrap();
    assert_eq!(s.steps.len(), 2);
    assert_eq!(s.steps[1].after, Duration::from_secs(90));
    assert_eq!(s.steps[1].present, Present::Replay);
    assert!(s.steps[1].via_reader && !s.steps[0].via_reader);
    // The older name for a wrong lane clock still reads.
    let older = parse(
        &GOOD.replace("clock-offset", "clock-skew"),
        "s.toml",
        &known(),
    );
    assert_eq!(older.unwrap().steps[1].faults[1], Fault::ClockSkew(-45));
    assert_eq!(
        s.steps[1].faults,
        vec![
            Fault::ServiceDown,
            Fault::ClockSkew(-45),
            Fault::ServiceSlow
        ]
    );
    assert_eq!(s.steps[1].expect.accept, vec![DecisionKind::Flag]);
    assert_eq!(s.start, NaiveTime::from_hms_opt(9, 0, 0).unwrap());
}

#[test]
fn mistakes_name_the_line_and_what_to_write() {
    let cases = [
        (
            GOOD.replace("\"hk-resident\"", "\"hk-residnet\""),
            8,
            "no fixture traveller \"hk-residnet\"",
        ),
        (GOOD.replace("\"20s\"", "\"soon\""), 7, "is not a duration"),
        (
            GOOD.replace("\"service-down\"", "\"meteor\""),
            15,
            "unknown fault \"meteor\"",
        ),
        (
            GOOD.replace("expect = \"approve\"", "expect = \"wave\""),
            9,
            "unknown decision \"wave\"",
        ),
        (
            GOOD.replace("direction = \"exit\"", "direction = \"up\""),
            4,
            "unknown direction",
        ),
        (
            GOOD.replace("code = \"replay\"", "code = \"photocopy\""),
            13,
            "unknown code \"photocopy\"",
        ),
        (
            GOOD.replace("via = \"reader\"", "via = \"fax\""),
            14,
            "via \"fax\" is not a way in",
        ),
        (
            GOOD.replace("expect = \"approve\"", "expect = \"approve\"\ncolour = 3"),
            10,
            "unknown field `colour`",
        ),
        (
            GOOD.replace("traveller = \"hk-resident\"\n", ""),
            6,
            "say who comes",
        ),
    ];
    for (text, line, needle) in cases {
        let e = parse(&text, "s.toml", &known()).unwrap_err();
        assert!(e.message.contains(needle), "{e}");
        assert_eq!(e.line, line, "{e}");
    }
}

#[test]
fn durations_read_as_trainers_write_them() {
    assert_eq!(parse_duration("90"), Some(Duration::from_secs(90)));
    assert_eq!(parse_duration("1h2m3s"), Some(Duration::from_secs(3723)));
    assert_eq!(parse_duration("2m"), Some(Duration::from_secs(120)));
    assert_eq!(parse_duration("m"), None);
    assert_eq!(parse_duration("5x"), None);
}
